import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/schema';
import { InspectorClient, type InspectorMessage } from '../support/inspector-client';
import { BIN, FIXTURES, ROOT, readMarkers, toleranceMs, type Truth } from './run-cli';

/**
 * A program debugged while loopwatch watches it, by a real debugger: a client of the
 * inspector protocol on the port `--inspect-brk=0` opens, which holds the program at its
 * first line, at a `debugger` statement, and at a breakpoint it set, steps over a line,
 * and lists every script the program has (Debugger.scriptParsed). The pauses are not
 * the program's stalls; its one real stall is; the debugger sees no script of loopwatch's.
 */
const FIXTURE = join(FIXTURES, 'debugger.js');
const lines = readFileSync(FIXTURE, 'utf8').split('\n');
/** 0-based, as the protocol counts lines. */
const lineOf = (text: string) => lines.findIndex((line) => line.includes(text));
const BREAKPOINT_LINE = lineOf('// the test\'s breakpoint');
const STEP_LINE = lineOf('// where its step over lands');
const DEBUGGER_LINE = lineOf('debugger; //');
/** How long the debugger holds the program at its first line and at the `debugger` statement. */
const HOLD_MS = { start: 400, statement: 600 };

interface Pause {
  reason: string;
  line: number;
  hitBreakpoints: number;
}

interface DebuggedRun {
  status: number | null;
  stderr: string;
  report: Report | undefined;
  truth: Truth[];
  pauses: Pause[];
  scriptUrls: string[];
}

async function runDebugged(): Promise<DebuggedRun> {
  const dir = mkdtempSync(join(tmpdir(), 'loopwatch-debugger-'));
  const jsonFile = join(dir, 'report.json');
  const truthFile = join(dir, 'truth.jsonl');
  const child = spawn(process.execPath, [BIN, 'run', '--json', jsonFile, '--', process.execPath, '--inspect-brk=0', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', LOOPWATCH_FIXTURE_TRUTH: truthFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pauses: Pause[] = [];
  const scriptUrls: string[] = [];
  let stderr = '';
  let client: InspectorClient | undefined;
  let connecting = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
  const debug = async (url: string) => {
    const c = await InspectorClient.connect(url);
    client = c;
    c.on('event', (message: InspectorMessage) => {
      if (message.method === 'Debugger.scriptParsed') scriptUrls.push(String(message.params?.url));
      if (message.method !== 'Debugger.paused') return;
      const params = message.params as { reason: string; hitBreakpoints?: string[]; callFrames: Array<{ location: { lineNumber: number } }> };
      const pause = { reason: params.reason, line: params.callFrames[0]!.location.lineNumber, hitBreakpoints: params.hitBreakpoints?.length ?? 0 };
      pauses.push(pause);
      if (pause.reason === 'Break on start') setTimeout(() => void c.send('Debugger.resume'), HOLD_MS.start);
      else if (pause.hitBreakpoints > 0) void c.send('Debugger.stepOver');
      else if (pause.line === DEBUGGER_LINE) setTimeout(() => void c.send('Debugger.resume'), HOLD_MS.statement);
      else void c.send('Debugger.resume');
    });
    await c.send('Runtime.enable');
    await c.send('Debugger.enable');
    await c.send('Debugger.setBreakpointByUrl', { urlRegex: 'fixtures/debugger\\.js$', lineNumber: BREAKPOINT_LINE });
    await c.send('Runtime.runIfWaitingForDebugger');
  };
  child.stderr.setEncoding('utf8').on('data', (data: string) => {
    stderr += data;
    const url = /ws:\/\/\S+/.exec(stderr)?.[0];
    if (url && !connecting) {
      connecting = true;
      void debug(url);
    }
    // The program has ended; Node.js waits for its debugger to go.
    if (stderr.includes('Waiting for the debugger to disconnect')) client?.close();
  });
  child.stdout.resume();
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  try {
    return {
      status,
      stderr,
      report: existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as Report) : undefined,
      truth: existsSync(truthFile) ? readFileSync(truthFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Truth) : [],
      pauses,
      scriptUrls,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('a program in a debugger', () => {
  let run: DebuggedRun;
  beforeAll(async () => {
    run = await runDebugged();
  }, 60_000);

  it('keeps breakpoints and stepping working', () => {
    expect(run.status).toBe(0);
    expect(run.pauses.map((p) => [p.reason, p.line])).toEqual([
      ['Break on start', expect.any(Number)],
      ['other', DEBUGGER_LINE],
      ['other', BREAKPOINT_LINE],
      // V8 12.4 and later (Node.js 22, 24) say 'step'.
      [expect.stringMatching(/^(other|step)$/), STEP_LINE],
    ]);
    expect(run.pauses[2]!.hitBreakpoints).toBe(1);
  });

  it('shows the debugger no script of its own', () => {
    // Each stack sample would be a script evaluated in the program (`loopwatch:sample`, or one without a URL).
    expect(run.scriptUrls).toContain(`file://${FIXTURE}`);
    expect(run.scriptUrls.filter((url) => url === '' || url.startsWith('loopwatch:'))).toEqual([]);
  });

  it('reports the program\'s own stall, and not the time it was paused', () => {
    const report = run.report!;
    const [marker] = readMarkers(FIXTURE);
    const truth = run.truth.find((t) => t.label === 'spin')!;
    // Held 400 ms at the first line and 600 ms at the `debugger` statement: neither is a
    // stall. Once the program runs, its one stall is spin()'s; before, module loading on a
    // loaded machine may be one, never as long as a hold.
    const loop = report.stalls.filter((s) => s.kind === 'event-loop');
    const running = loop.filter((s) => s.phase === 'run');
    expect(running).toHaveLength(1);
    // Not sampled while the inspector listens on a port: the stall is timed by the
    // heartbeat alone, its edges known to one beat (10 ms).
    expect(Math.abs(running[0]!.durationMs - truth.ms)).toBeLessThanOrEqual(toleranceMs(truth.ms) + 10);
    for (const startup of loop.filter((s) => s.phase === 'startup')) expect(startup.durationMs).toBeLessThan(HOLD_MS.start - 100);
    expect(marker?.label).toBe('spin');
    expect(report.totals.threadpoolStalls).toBe(0);
    expect(report.warnings.some((w) => /paused in a debugger \d+ times?, [\d.]+ (s|ms) in all: left out of its stalls/.test(w))).toBe(true);
    // Not sampled while a debugger could see it, and the report says so.
    expect(report.warnings.some((w) => /1 stall not sampled while its inspector listened on a port/.test(w))).toBe(true);
  });
});
