import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/schema';
import { BIN, FIXTURES, ROOT, runCli } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'loopwatch-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the fixture under loopwatch, and sends loopwatch the signal once the program says it is ready. */
async function stopWith(signal: NodeJS.Signals, name: string): Promise<{ status: number | null; stderr: string; report: Report }> {
  const json = join(dir, `${name}.json`);
  const child = spawn(process.execPath, [BIN, 'run', '--json', json, join(FIXTURES, 'until-signal.js')], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (d.includes('ready')) child.kill(signal);
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { status, stderr, report: JSON.parse(readFileSync(json, 'utf8')) as Report };
}

describe('a program stopped by a signal keeps its figures', () => {
  for (const [signal, number] of [['SIGTERM', 15], ['SIGINT', 2]] as const) {
    it(`${signal}: its event-loop, utilization and GC figures as of at most a second or so before its end`, async () => {
      const { status, stderr, report } = await stopWith(signal, signal);
      // Node's default: the program dies by the signal, which loopwatch passes on.
      expect(status).toBe(128 + number);
      const [p] = report.processes;
      expect(p!.endedBy).toBe('killed');
      expect(p!.eventLoopDelay).not.toBeNull();
      expect(p!.utilization).toBeGreaterThan(0);
      expect(p!.gc!.count).toBeGreaterThan(0);
      // Running totals are written every second (at a heartbeat): what is lost is the last of it.
      const end = p!.startedAt + p!.durationMs;
      expect(p!.figuresAt).not.toBeNull();
      expect(end - p!.figuresAt!).toBeLessThan(1_500);
      expect(stderr).toMatch(/ended without running its exit handlers: its figures as of .*\nevent loop: delay p50 /);
      expect(stderr).not.toContain('no loop figures');
      expect(report.stalls.flatMap((s) => s.causes).some((c) => c.operation === 'crypto.pbkdf2Sync')).toBe(true);
    });
  }
});

describe('a program that calls process.exit() in its main module', () => {
  it('ran JavaScript all along: utilization 100 %, and its GC said unobserved rather than absent', () => {
    const run = runCli(['run', join(FIXTURES, 'exit-at-startup.js')]);
    expect(run.status).toBe(0);
    const [p] = run.report!.processes;
    expect(p!.startup!.loopTurned).toBe(false);
    // Node.js counts no utilization before the first turn (0 %); the thread was busy all along.
    expect(p!.utilization).toBe(1);
    expect(run.stderr).toMatch(/^event loop: delay .*; utilization 100%$/m);
    // Node.js delivers GC entries from the loop, which never turned: none were seen, and the report says why.
    expect(p!.gc!.count).toBe(0);
    expect(run.stderr).toContain('GC: not observed (its event loop never turned, and Node.js reports pauses from it)');
    expect(run.report!.stalls.flatMap((s) => s.causes).some((c) => c.operation === 'crypto.pbkdf2Sync')).toBe(true);
  });
});
