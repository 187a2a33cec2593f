import { describe, expect, it } from 'vitest';
import type { Recording } from '../../src/recording/decode';
import type { BlockedRecord, RecordedFrame, SampleRecord, StallRecord } from '../../src/recording/schema';
import { buildReport, percentile, summarizeCallSites, type RunInfo } from '../../src/report/build-report';
import { REPORT_SCHEMA_VERSION, type Stall } from '../../src/report/schema';
import { exitRecord, processRecord, processRecording } from './records';

const RUN: RunInfo = {
  command: ['node', '/app/server.js'],
  cwd: '/app',
  thresholdMs: 50,
  startedAt: 900,
  durationMs: 5000,
  exitCode: 0,
  signal: null,
  toolVersion: '0.1.0-test',
};

function stallRecord(seq: number, start: number, end: number, extra: Partial<StallRecord> = {}): StallRecord {
  return { type: 'stall', seq, start, end, durationMs: end - start, inProgressAtExit: false, phase: 'run', ...extra };
}

function sampleRecord(seq: number, at: number, frames: RecordedFrame[], extra: Partial<SampleRecord> = {}): SampleRecord {
  return { type: 'sample', seq, requestedAt: at - 1, at, frames, ...extra };
}


const PBKDF2: RecordedFrame[] = [
  { file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' },
  { file: '/app/server.js', line: 12, column: 10, function: 'hash' },
];
const PARSE: RecordedFrame[] = [
  { file: null, line: null, column: null, function: 'JSON.parse' },
  { file: '/app/server.js', line: 30, column: 20, function: 'load' },
];
const SPIN: RecordedFrame[] = [{ file: '/app/worker.js', line: 5, column: 7, function: 'spin' }];

describe('buildReport', () => {
  // Process 100: two pbkdf2 stalls (300 ms and 100 ms), one stall split between JSON.parse and pbkdf2.
  // Process 200 (started later, listed first): one busy-loop stall between the others.
  const p100 = processRecording({
    process: processRecord(100, 1000),
    stalls: [stallRecord(1, 1100, 1400), stallRecord(2, 2000, 2100), stallRecord(3, 3000, 3200)],
    samples: [
      sampleRecord(1, 1399, PBKDF2),
      sampleRecord(2, 2099, PBKDF2),
      sampleRecord(3, 3150, PARSE), // 150 ms of JSON.parse
      // Asked for as soon as the previous one was served, served 40 ms late: pbkdf2 ran from 3150.
      sampleRecord(3, 3190, PBKDF2, { requestedAt: 3150, traceId: 't1', spanId: 's1' }), // 40 + 10 ms of pbkdf2
    ],
    exit: exitRecord(4000, 1000),
  });
  const p200 = processRecording({
    process: processRecord(200, 1050),
    stalls: [stallRecord(7, 1500, 1580)],
    samples: [sampleRecord(7, 1560, SPIN), sampleRecord(8, 1570, PBKDF2) /* another seq: not this stall's */],
    exit: exitRecord(3500, 1050),
  });
  const recording: Recording = { dir: '/rec', processes: [p200, p100] };
  const report = buildReport(recording, RUN);

  it('copies the run info', () => {
    expect(report.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(report.tool).toEqual({ name: 'loopwatch', version: '0.1.0-test' });
    expect(report.command).toEqual(RUN.command);
    expect(report.thresholdMs).toBe(50);
    expect(report.startedAt).toBe(900);
    expect(report.durationMs).toBe(5000);
    expect(report.exitCode).toBe(0);
    expect(report.signal).toBeNull();
  });

  it('sorts stalls by start across processes', () => {
    expect(report.stalls.map((s) => [s.pid, s.start])).toEqual([
      [100, 1100],
      [200, 1500],
      [100, 2000],
      [100, 3000],
    ]);
  });

  it('names each stall by its main cause', () => {
    const [first, busy] = report.stalls;
    expect(first).toMatchObject({ durationMs: 300, category: 'crypto', operation: 'crypto.pbkdf2Sync', samples: 1, inProgressAtExit: false, phase: 'run' });
    expect(first!.callSite).toEqual({ file: '/app/server.js', line: 12, column: 10, function: 'hash' });
    expect(first!.stack).toHaveLength(2);
    expect(busy).toMatchObject({ durationMs: 80, category: 'js', operation: 'spin', samples: 1 });
  });

  it('only uses the samples of the stall’s own seq', () => {
    const busy = report.stalls[1]!;
    expect(busy.causes).toHaveLength(1);
    expect(busy.causes[0]!.durationMs).toBe(80);
  });

  it('lists a stall’s causes longest first, with the trace of the traced one', () => {
    const split = report.stalls[3]!;
    expect(split.operation).toBe('JSON.parse');
    expect(split.category).toBe('json');
    expect(split.samples).toBe(2);
    expect(split.causes.map((c) => [c.operation, c.durationMs])).toEqual([
      ['JSON.parse', 150],
      ['crypto.pbkdf2Sync', 50],
    ]);
    expect(split.causes[1]!.traceId).toBe('t1');
    expect(split.traceId).toBe('t1');
    expect(split.spanId).toBe('s1');
    expect(report.stalls[0]!.traceId).toBeUndefined();
  });

  it('aggregates call sites across stalls, by total time', () => {
    expect(report.callSites.map((c) => [c.operation, c.count, c.totalMs, c.maxMs, c.p95Ms])).toEqual([
      ['crypto.pbkdf2Sync', 3, 450, 300, 300],
      ['JSON.parse', 1, 150, 150, 150],
      ['spin', 1, 80, 80, 80],
    ]);
    expect(report.callSites[0]!.callSite).toMatchObject({ file: '/app/server.js', line: 12 });
    expect(report.callSites[0]!.category).toBe('crypto');
  });

  it('says which processes each call site blocked, most time first', () => {
    expect(report.callSites.map((c) => c.processes)).toEqual([
      [{ pid: 100, count: 3, totalMs: 450, maxMs: 300 }],
      [{ pid: 100, count: 1, totalMs: 150, maxMs: 150 }],
      [{ pid: 200, count: 1, totalMs: 80, maxMs: 80 }],
    ]);
    // One call site in two processes: the one it blocked longer first.
    const both = buildReport({ dir: '/rec', processes: [p100, processRecording({ ...p200, samples: [sampleRecord(7, 1579, PBKDF2)] })] }, RUN);
    expect(both.callSites[0]!.processes).toEqual([
      { pid: 100, count: 3, totalMs: 450, maxMs: 300 },
      { pid: 200, count: 1, totalMs: 80, maxMs: 80 },
    ]);
  });

  it("marks processes by role, and the command's own process from the run's pid", () => {
    const tree = [
      processRecord(10, 0, { argv: ['/usr/bin/node', '/usr/bin/npm', 'test'] }),
      processRecord(12, 1, { ppid: 11, argv: ['/usr/bin/node'], execArgv: ['--test'] }),
      processRecord(13, 2, { ppid: 12, argv: ['/usr/bin/node', '/app/test/a.test.js'] }),
      processRecord(14, 3, { ppid: 11, argv: ['/usr/bin/node', '/app/node_modules/.bin/vitest', 'run'] }),
      processRecord(15, 4, { ppid: 14, argv: ['/usr/bin/node', '/app/node_modules/vitest/dist/workers/forks.js'] }),
      processRecord(16, 5, { ppid: 11, argv: ['/usr/bin/node', '/app/server.js'] }),
      processRecord(17, 6, { ppid: 11, argv: ['/usr/bin/node'], execArgv: ['--test', '--test-isolation=none'] }),
    ].map((process) => processRecording({ process, exit: exitRecord(100, 0) }));
    const r = buildReport({ dir: '/rec', processes: tree }, { ...RUN, commandPid: 10 });
    expect(r.processes.map((p) => [p.pid, p.role, p.firstProcess])).toEqual([
      [10, 'package-manager', true],
      [12, 'test-runner', false],
      [13, 'test-worker', false],
      [14, 'test-runner', false],
      [15, 'test-worker', false],
      [16, null, false],
      // Tests run in the runner's own process: it is not only the tooling.
      [17, null, false],
    ]);
    expect(r.processes[1]!.execArgv).toEqual(['--test']);
  });

  it('totals stalls and blocked time', () => {
    expect(report.totals).toEqual({
      stalls: 4,
      blockedMs: 300 + 80 + 100 + 200,
      threadpoolStalls: 0,
      threadpoolStarvedMs: 0,
      gcPauses: 4,
      gcPauseMs: 6,
    });
  });

  it('summarizes processes in recording order', () => {
    expect(report.processes.map((p) => p.pid)).toEqual([200, 100]);
    expect(report.processes[1]).toEqual({
      pid: 100,
      ppid: 1,
      argv: ['/usr/bin/node', '/app/p100.js'],
      execArgv: [],
      role: null,
      firstProcess: false,
      startedAt: 1000,
      durationMs: 3000,
      endedBy: 'exit',
      exitCode: 0,
      figuresAt: 4000,
      eventLoopDelay: { minMs: 0.1, p50Ms: 0.2, p90Ms: 1, p99Ms: 300, maxMs: 320 },
      utilization: 0.46,
      gc: { count: 2, totalMs: 3, maxMs: 2, byKind: { minor: { count: 2, totalMs: 3 } } },
      threadpool: { size: 4, queueWait: { work: null, dns: null } },
      threads: [],
    unwatchedThreads: [],
    });
  });

  it("takes a killed process's figures from the running totals it wrote last", () => {
    const { type: _exit, exitCode: _code, ...figures } = exitRecord(2500, 1000, { utilization: 0.7 });
    const killed = processRecording({ process: processRecord(300, 1000), totals: { ...figures, type: 'totals' } });
    const [summary] = buildReport({ dir: '/rec', processes: [killed] }, RUN).processes;
    expect(summary).toMatchObject({ endedBy: 'killed', exitCode: null, figuresAt: 2500, utilization: 0.7 });
    expect(summary!.eventLoopDelay).not.toBeNull();
    expect(summary!.gc).not.toBeNull();
  });

  it('keeps startup stalls and their phase', () => {
    const p = processRecording({
      process: processRecord(1, 0),
      stalls: [stallRecord(0, 5, 205, { phase: 'startup' })],
      samples: [sampleRecord(0, 200, PBKDF2)],
      exit: exitRecord(300, 0),
    });
    const r = buildReport({ dir: '/rec', processes: [p] }, RUN);
    expect(r.stalls[0]!.phase).toBe('startup');
  });

  it('an empty recording gives an empty report', () => {
    const r = buildReport({ dir: '/rec', processes: [] }, RUN);
    expect(r.stalls).toEqual([]);
    expect(r.callSites).toEqual([]);
    expect(r.processes).toEqual([]);
    expect(r.totals).toEqual({ stalls: 0, blockedMs: 0, threadpoolStalls: 0, threadpoolStarvedMs: 0, gcPauses: 0, gcPauseMs: 0 });
  });
});

describe('buildReport: a process killed during a stall', () => {
  const blocked = (seq: number, since: number, at: number): BlockedRecord => ({ type: 'blocked', seq, since, at });

  it('turns the last blocked seq without a stall record into an in-progress stall', () => {
    const p = processRecording({
      process: processRecord(300, 1000),
      stalls: [stallRecord(4, 1500, 1600)],
      samples: [sampleRecord(4, 1590, SPIN), sampleRecord(9, 2150, PBKDF2), sampleRecord(9, 2250, PBKDF2)],
      blocked: [blocked(4, 1500, 1560), blocked(9, 2000, 2100), blocked(9, 2000, 2200)],
      lastSeenAt: 2250,
    });
    const r = buildReport({ dir: '/rec', processes: [p] }, { ...RUN, exitCode: 143, signal: 'SIGTERM' });
    expect(r.stalls).toHaveLength(2);
    const cut = r.stalls[1]!;
    expect(cut).toMatchObject({
      pid: 300,
      start: 2000,
      durationMs: 250, // up to the last record of that seq, the sample at 2250
      inProgressAtExit: true,
      operation: 'crypto.pbkdf2Sync',
      samples: 2,
    });
    expect(r.stalls[0]!.inProgressAtExit).toBe(false);
    expect(r.processes[0]).toMatchObject({ endedBy: 'killed', exitCode: null, eventLoopDelay: null, utilization: null, durationMs: 1250 });
    expect(r.totals.blockedMs).toBe(100 + 250);
    expect(r.signal).toBe('SIGTERM');
  });

  it('drops a cut stall no longer than the threshold', () => {
    const p = processRecording({
      process: processRecord(300, 1000),
      samples: [sampleRecord(9, 2040, SPIN)],
      blocked: [blocked(9, 2000, 2030), blocked(9, 2000, 2050)],
      lastSeenAt: 2050,
    });
    expect(buildReport({ dir: '/rec', processes: [p] }, RUN).stalls).toEqual([]);
  });

  it('adds nothing when the last blocked seq already has its stall record', () => {
    const p = processRecording({
      process: processRecord(300, 1000),
      stalls: [stallRecord(9, 2000, 2300)],
      samples: [sampleRecord(9, 2290, SPIN)],
      blocked: [blocked(9, 2000, 2100), blocked(9, 2000, 2200)],
      lastSeenAt: 2300,
    });
    const r = buildReport({ dir: '/rec', processes: [p] }, RUN);
    expect(r.stalls).toHaveLength(1);
    expect(r.stalls[0]!.inProgressAtExit).toBe(false);
  });

  it('adds nothing for a process that exited', () => {
    const p = processRecording({
      process: processRecord(300, 1000),
      blocked: [blocked(9, 2000, 2100), blocked(9, 2000, 2200)],
      exit: exitRecord(2500, 1000),
    });
    expect(buildReport({ dir: '/rec', processes: [p] }, RUN).stalls).toEqual([]);
  });

  it('a cut stall without samples is unknown', () => {
    const p = processRecording({
      process: processRecord(300, 1000),
      blocked: [blocked(9, 2000, 2100), blocked(9, 2000, 2200)],
      lastSeenAt: 2200,
    });
    const [stall] = buildReport({ dir: '/rec', processes: [p] }, RUN).stalls;
    expect(stall).toMatchObject({ durationMs: 200, inProgressAtExit: true, operation: 'unknown', category: 'unknown', callSite: null, samples: 0 });
  });
});

describe('summarizeCallSites', () => {
  it('counts each stall cause for its own call site, merging columns', () => {
    const at = (column: number) => ({ file: '/a.js', line: 1, column, function: 'f' });
    const cause = (column: number, durationMs: number) => ({ callSite: at(column), operation: 'op', category: 'js' as const, durationMs, samples: 1, stack: [] });
    const stall = (durations: Array<[number, number]>): Stall => ({
      kind: 'event-loop',
      pid: 1,
      threadId: 0,
      start: 0,
      durationMs: 0,
      inProgressAtExit: false,
      phase: 'run' as const,
      category: 'js' as const,
      operation: 'op',
      callSite: at(1),
      stack: [],
      samples: 1,
      causes: durations.map(([c, d]) => cause(c, d)),
    });
    const sites = summarizeCallSites([stall([[1, 60]]), stall([[5, 80]]), stall([[9, 70]])]);
    expect(sites).toHaveLength(1);
    expect(sites[0]).toMatchObject({ count: 3, totalMs: 210, maxMs: 80, p95Ms: 80 });
    expect(sites[0]!.callSite?.column).toBe(1); // the first one seen
  });
});

describe('percentile (nearest rank)', () => {
  it('picks the value at rank ceil(p/100 * n)', () => {
    const oneToTwenty = Array.from({ length: 20 }, (_, i) => 20 - i); // unsorted on purpose
    expect(percentile(oneToTwenty, 95)).toBe(19);
    expect(percentile(oneToTwenty, 50)).toBe(10);
    expect(percentile(oneToTwenty, 100)).toBe(20);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([15, 20, 35, 40, 50], 30)).toBe(20);
    expect(percentile([15, 20, 35, 40, 50], 40)).toBe(20);
    expect(percentile([15, 20, 35, 40, 50], 50)).toBe(35);
    expect(percentile([100, 300], 95)).toBe(300);
  });

  it('p0 is the minimum, one value is itself, nothing is 0', () => {
    expect(percentile([5, 3, 9], 0)).toBe(3);
    expect(percentile([42], 95)).toBe(42);
    expect(percentile([], 95)).toBe(0);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });
});
