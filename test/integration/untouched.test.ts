import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, runCli } from './run-cli';

/**
 * The program is untouched: what it prints of its own errors is byte for byte what it
 * prints without loopwatch. Each fixture runs bare and under `loopwatch run --quiet`.
 */
function bareAndWatched(command: string[]): { bare: ReturnType<typeof spawnSync>; watched: ReturnType<typeof spawnSync> } {
  const options = { cwd: ROOT, encoding: 'utf8' as const, env: { ...process.env, NO_COLOR: '1' } };
  const [file, ...args] = command;
  return {
    bare: spawnSync(file!, args, options),
    watched: spawnSync(process.execPath, [BIN, 'run', '--quiet', '--', ...command], options),
  };
}

/**
 * node --test prints how long each test took: the one thing that may differ. Its TAP
 * reporter (Node.js 20 and 22 without a terminal) says `duration_ms 1.2`, its spec reporter
 * (Node.js 24) `✖ fails (1.2ms)`.
 */
const withoutDurations = (text: unknown) =>
  String(text)
    .replace(/duration_ms:? [\d.]+/g, 'duration_ms X')
    .replace(/\([\d.]+ms\)/g, '(X ms)');

describe("the program's error stacks are its own", () => {
  it('an error thrown by a probed sync call, caught and printed, and uncaught: same stack, same source line above it', () => {
    const { bare, watched } = bareAndWatched([process.execPath, join(FIXTURES, 'untouched', 'missing-file.js')]);
    expect(bare.status).toBe(1);
    expect(watched.status).toBe(1);
    expect(String(bare.stdout)).toContain('at level');
    expect(watched.stdout).toBe(bare.stdout);
    expect(watched.stderr).toBe(bare.stderr);
  });

  it('errors made in callbacks loopwatch tracks, and thrown out of a require(): same stacks, same names', () => {
    const { bare, watched } = bareAndWatched([process.execPath, join(FIXTURES, 'untouched', 'callback-error.js')]);
    expect(bare.status).toBe(0);
    expect(String(bare.stdout)).toContain('at GetAddrInfoReqWrap.callback');
    expect(watched.stdout).toBe(bare.stdout);
    expect(watched.stderr).toBe(bare.stderr);
  });

  it('a failing node --test assertion: the same report', () => {
    const { bare, watched } = bareAndWatched([process.execPath, '--test', join(FIXTURES, 'untouched', 'node-test', 'fails.test.js')]);
    expect(bare.status).toBe(1);
    expect(watched.status).toBe(1);
    expect(String(bare.stdout)).toContain('check');
    expect(withoutDurations(watched.stdout)).toBe(withoutDurations(bare.stdout));
    expect(watched.stderr).toBe(bare.stderr);
  });

  it('a node --test runner that blocks: no abort, and the report says why it has no stack samples', () => {
    // The runner process has no inspector; a watchdog that connected to it anyway would
    // make Node.js abort the whole process (exit status 134) instead of running the tests.
    const spin = join(FIXTURES, 'untouched', 'busy-start', 'spin.js');
    const command = [process.execPath, '--require', spin, '--test', join(FIXTURES, 'untouched', 'busy-start', 'passes.test.js')];
    const { bare, watched } = bareAndWatched(command);
    expect(bare.status).toBe(0);
    expect(watched.status).toBe(0);
    expect(withoutDurations(watched.stdout)).toBe(withoutDurations(bare.stdout));
    const run = runCli(['run', '--', ...command]);
    expect(run.status).toBe(0);
    // The runner is the parent of the test file's process.
    const runner = run.report!.processes.find((p) => run.report!.processes.some((child) => child.ppid === p.pid));
    expect(runner).toBeDefined();
    expect(run.report!.warnings).toContainEqual(expect.stringMatching(new RegExp(`^pid ${runner!.pid}: no stack samples \\(Node\\.js creates no inspector in a \`node --test\` runner process\\)`)));
    // Its stall is still there, found by the heartbeat, only not named by a sample.
    expect(run.report!.stalls.some((s) => s.pid === runner!.pid)).toBe(true);
  });
});


describe.skipIf(process.platform !== 'linux')('the agent is a guest (Linux: /proc/self/fd)', () => {
  it('opens no socket, and a program with nothing left to do exits at once, after a stall was sampled', () => {
    const run = runCli(['run', '-q', join(FIXTURES, 'untouched', 'own-sockets.js')]);
    expect(run.status).toBe(0);
    const printed = JSON.parse(run.stdout) as { sockets: number; endedAt: number };
    expect(printed.sockets).toBe(0);
    // The stall was sampled: the watchdog's inspector session was there, and is gone.
    expect(run.report!.stalls.some((s) => s.phase === 'run' && s.samples > 0)).toBe(true);
    const [p] = run.report!.processes;
    // From the program's last line to its exit: the agent's exit handler, no timer or thread of its own kept it.
    expect(p!.startedAt + p!.durationMs - printed.endedAt).toBeLessThan(500);
  });
});

describe("a worker thread's loop is its own", () => {
  it('a worker thread that only runs timers: no stall, and no module of the kind that stalled it (undici, 30-45 ms on Node.js 22 and later) loaded into it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopwatch-worker-timers-'));
    try {
      const truthFile = join(dir, 'bare.jsonl');
      const bare = spawnSync(process.execPath, [join(FIXTURES, 'worker-timers.js')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOOPWATCH_FIXTURE_TRUTH: truthFile } });
      expect(bare.status, bare.stderr).toBe(0);
      const bareModules = readFileSync(truthFile, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { modules: string[] }).modules);
      expect(bareModules).toHaveLength(2);
      // The program itself loads no undici: whatever does under loopwatch is loopwatch's.
      for (const modules of bareModules) expect(modules).not.toContain('internal/deps/undici/undici');

      const run = runCli(['run', join(FIXTURES, 'worker-timers.js')]);
      expect(run.status, run.stderr).toBe(0);
      const gaps = run.truth.filter((t) => t.label === 'gap');
      expect(gaps).toHaveLength(2);
      for (const gap of gaps) expect((gap as unknown as { modules: string[] }).modules).not.toContain('internal/deps/undici/undici');
      // Both worker threads were watched, and neither stalled.
      expect(run.report!.processes[0]!.threads.map((t) => t.threadId).sort()).toEqual(gaps.map((g) => g.threadId).sort());
      expect(run.report!.stalls.filter((s) => s.threadId !== 0)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
