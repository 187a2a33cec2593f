import { describe, expect, it } from 'vitest';
import { NO_SOURCE } from '../../src/attribution/source';
import type { ProcessRecording } from '../../src/recording/decode';
import type { RecordedFrame, SyncCallRecord, SyncCallTotal } from '../../src/recording/schema';
import { summarizeSyncIo } from '../../src/report/sync-io';
import { exitRecord, processRecord, processRecording } from './records';

function recordingOf(
  pid: number,
  syncCalls: SyncCallRecord[],
  totals: SyncCallTotal[] | null,
  syncIoThresholdMs: number | null = 1,
): ProcessRecording {
  const process = processRecord(pid, 1000, { syncIoThresholdMs });
  const exit = totals ? exitRecord(5000, 1000, { eventLoopDelay: null, utilization: 0.5, syncCalls: totals }) : undefined;
  return processRecording({ process, syncCalls, lastSeenAt: 5000, ...(exit ? { exit } : {}) });
}

function site(line: number, fn = 'handler', file = '/app/server.js'): RecordedFrame {
  return { file, line, column: 9, function: fn };
}

function syncCall(operation: string, durationMs: number, caller: RecordedFrame, extra: Partial<SyncCallRecord> = {}): SyncCallRecord {
  return {
    type: 'syncCall',
    operation,
    category: operation.startsWith('require') ? 'module' : operation.split('.')[0]!,
    start: 2000,
    durationMs,
    phase: 'run',
    frames: [caller, { file: 'node:events', line: 517, column: 28, function: 'emit' }],
    ...extra,
  };
}

function runTotal(operation: string, count: number, totalMs: number, maxMs = totalMs, phase: 'run' | 'startup' = 'run'): SyncCallTotal {
  return { operation, category: operation.startsWith('require') ? 'module' : operation.split('.')[0]!, phase, count, totalMs, maxMs };
}

describe('summarizeSyncIo', () => {
  it('counts only calls made after startup', () => {
    const p = recordingOf(
      1,
      [syncCall('fs.readFileSync', 5, site(10)), syncCall('fs.readFileSync', 50, site(3, 'main'), { phase: 'startup' })],
      [runTotal('fs.readFileSync', 1, 5), runTotal('fs.readFileSync', 9, 80, 50, 'startup')],
    );
    const summary = summarizeSyncIo([p], NO_SOURCE);
    expect(summary.callSites).toHaveLength(1);
    expect(summary.callSites[0]!.callSite?.line).toBe(10);
    expect(summary.totals).toEqual({ count: 1, totalMs: 5 });
    expect(summary.belowThreshold).toEqual([]);
  });

  it('groups calls by call site and operation, with count, total and max', () => {
    const p = recordingOf(
      1,
      [
        syncCall('fs.readFileSync', 3, site(10)),
        syncCall('fs.readFileSync', 7, site(10)),
        syncCall('fs.statSync', 2, site(10)),
        syncCall('fs.readFileSync', 4, site(20)),
      ],
      null,
    );
    const { callSites } = summarizeSyncIo([p], NO_SOURCE);
    expect(callSites.map((s) => [s.callSite?.line, s.operation, s.category, s.count, s.totalMs, s.maxMs])).toEqual([
      [10, 'fs.readFileSync', 'fs', 2, 10, 7],
      [20, 'fs.readFileSync', 'fs', 1, 4, 4],
      [10, 'fs.statSync', 'fs', 1, 2, 2],
    ]);
  });

  it('groups the same call site across processes', () => {
    const a = recordingOf(1, [syncCall('fs.readFileSync', 3, site(10))], null);
    const b = recordingOf(2, [syncCall('fs.readFileSync', 9, site(10))], null);
    const { callSites } = summarizeSyncIo([a, b], NO_SOURCE);
    expect(callSites).toHaveLength(1);
    expect(callSites[0]).toMatchObject({ count: 2, totalMs: 12, maxMs: 9 });
  });

  it('lists the modules a require call site loaded, each once', () => {
    const p = recordingOf(
      1,
      [
        syncCall('require', 30, site(44, 'lazy'), { target: './big' }),
        syncCall('require', 20, site(44, 'lazy'), { target: 'left-pad' }),
        syncCall('require', 25, site(44, 'lazy'), { target: './big' }),
      ],
      null,
    );
    const { callSites } = summarizeSyncIo([p], NO_SOURCE);
    expect(callSites).toHaveLength(1);
    expect(callSites[0]).toMatchObject({ operation: 'require', category: 'module', count: 3, totalMs: 75, maxMs: 30 });
    expect(callSites[0]!.targets).toEqual(['./big', 'left-pad']);
  });

  it('leaves targets out for calls that name none (an fs call given a descriptor)', () => {
    const p = recordingOf(1, [syncCall('fs.readFileSync', 3, site(10))], null);
    expect(summarizeSyncIo([p], NO_SOURCE).callSites[0]!.targets).toBeUndefined();
  });

  it('keeps the first ten targets of a call site', () => {
    const reads = Array.from({ length: 12 }, (_, i) => syncCall('fs.readFileSync', 2, site(10), { target: `/data/f${i}.json` }));
    const [callSite] = summarizeSyncIo([recordingOf(1, reads, null)], NO_SOURCE).callSites;
    expect(callSite!.count).toBe(12);
    expect(callSite!.targets).toEqual(Array.from({ length: 10 }, (_, i) => `/data/f${i}.json`));
  });

  it('attributes a call made inside a dependency to the dependency function the program called', () => {
    const call = syncCall('child_process.execFileSync', 120, site(31, 'resolveHost'));
    call.frames = [{ file: '/app/node_modules/dns-sync/index.js', line: 30, column: 20, function: 'resolve' }, site(31, 'resolveHost')];
    const { callSites } = summarizeSyncIo([recordingOf(1, [call], null)], NO_SOURCE);
    expect(callSites[0]).toMatchObject({ operation: 'dns-sync.resolve', category: 'dns', count: 1 });
    expect(callSites[0]!.callSite?.line).toBe(31);
  });

  it('keeps each call site\'s figures per process, and the first call\'s stack', () => {
    const a = recordingOf(1, [syncCall('fs.readFileSync', 5, site(10)), syncCall('fs.readFileSync', 7, site(10))], null);
    const b = recordingOf(2, [syncCall('fs.readFileSync', 3, site(10))], null);
    const [callSite] = summarizeSyncIo([a, b], NO_SOURCE).callSites;
    expect(callSite!.processes).toEqual([
      { pid: 1, count: 2, totalMs: 12, maxMs: 7 },
      { pid: 2, count: 1, totalMs: 3, maxMs: 3 },
    ]);
    expect(callSite!.stack[0]).toMatchObject({ line: 10 });
  });

  it("belowThreshold per operation is the exit record's run totals minus the recorded calls", () => {
    const p = recordingOf(
      1,
      [syncCall('fs.readFileSync', 5, site(10)), syncCall('fs.readFileSync', 6, site(10))],
      [runTotal('fs.readFileSync', 202, 611), runTotal('fs.statSync', 40, 8)],
    );
    const summary = summarizeSyncIo([p], NO_SOURCE);
    expect(summary.belowThreshold).toEqual([
      { operation: 'fs.readFileSync', category: 'fs', count: 200, totalMs: 600, processes: [{ pid: 1, count: 200, totalMs: 600 }] },
      { operation: 'fs.statSync', category: 'fs', count: 40, totalMs: 8, processes: [{ pid: 1, count: 40, totalMs: 8 }] },
    ]);
    expect(summary.totals).toEqual({ count: 242, totalMs: 619 });
  });

  it('leaves out an operation all of whose calls were recorded', () => {
    const p = recordingOf(1, [syncCall('fs.readFileSync', 5, site(10))], [runTotal('fs.readFileSync', 1, 5)]);
    expect(summarizeSyncIo([p], NO_SOURCE).belowThreshold).toEqual([]);
  });

  it('two processes with the same operation each subtract their own recorded calls', () => {
    // Process 1: 10 calls, 2 recorded (20 ms) → 8 below, 4 ms. Process 2: 5 calls, none recorded → 5 below, 3 ms.
    const a = recordingOf(
      1,
      [syncCall('fs.readFileSync', 10, site(10)), syncCall('fs.readFileSync', 10, site(10))],
      [runTotal('fs.readFileSync', 10, 24)],
    );
    const b = recordingOf(2, [], [runTotal('fs.readFileSync', 5, 3)]);
    const summary = summarizeSyncIo([a, b], NO_SOURCE);
    expect(summary.belowThreshold).toEqual([
      {
        operation: 'fs.readFileSync',
        category: 'fs',
        count: 13,
        totalMs: 7,
        processes: [
          { pid: 1, count: 8, totalMs: 4 },
          { pid: 2, count: 5, totalMs: 3 },
        ],
      },
    ]);
    expect(summary.totals).toEqual({ count: 15, totalMs: 27 });
  });

  it("a process's recorded calls do not reduce another process's below-threshold count", () => {
    const a = recordingOf(1, [syncCall('fs.readFileSync', 10, site(10)), syncCall('fs.readFileSync', 10, site(10))], [runTotal('fs.readFileSync', 2, 20)]);
    const b = recordingOf(2, [], [runTotal('fs.readFileSync', 3, 1.5)]);
    expect(summarizeSyncIo([a, b], NO_SOURCE).belowThreshold).toEqual([
      { operation: 'fs.readFileSync', category: 'fs', count: 3, totalMs: 1.5, processes: [{ pid: 2, count: 3, totalMs: 1.5 }] },
    ]);
  });

  it('a process without exit record contributes its recorded calls to the totals', () => {
    const killed = recordingOf(1, [syncCall('fs.readFileSync', 10, site(10)), syncCall('zlib.gzipSync', 4, site(12))], null);
    const exited = recordingOf(2, [], [runTotal('fs.readFileSync', 3, 2)]);
    const summary = summarizeSyncIo([killed, exited], NO_SOURCE);
    expect(summary.totals).toEqual({ count: 5, totalMs: 16 });
    expect(summary.callSites).toHaveLength(2);
    expect(summary.belowThreshold).toEqual([
      { operation: 'fs.readFileSync', category: 'fs', count: 3, totalMs: 2, processes: [{ pid: 2, count: 3, totalMs: 2 }] },
    ]);
  });

  it('a process without exit record does not count its startup calls in the totals', () => {
    const killed = recordingOf(1, [syncCall('fs.readFileSync', 10, site(10), { phase: 'startup' })], null);
    expect(summarizeSyncIo([killed], NO_SOURCE).totals).toEqual({ count: 0, totalMs: 0 });
  });

  it('sorts call sites and below-threshold operations by total time, most first', () => {
    const p = recordingOf(
      1,
      [syncCall('fs.statSync', 2, site(5)), syncCall('fs.readFileSync', 9, site(10))],
      [runTotal('fs.statSync', 100, 50), runTotal('fs.readFileSync', 11, 12)],
    );
    const summary = summarizeSyncIo([p], NO_SOURCE);
    expect(summary.callSites.map((s) => s.operation)).toEqual(['fs.readFileSync', 'fs.statSync']);
    expect(summary.belowThreshold.map((b) => b.operation)).toEqual(['fs.statSync', 'fs.readFileSync']);
  });

  it('thresholdMs is that of the processes that had the probes on', () => {
    const on = recordingOf(1, [], [], 1);
    const off = recordingOf(2, [], [], null);
    expect(summarizeSyncIo([on, off], NO_SOURCE).thresholdMs).toBe(1);
  });

  it('thresholdMs is null when every process had the probes off', () => {
    const a = recordingOf(1, [], [], null);
    const b = recordingOf(2, [], null, null);
    expect(summarizeSyncIo([a, b], NO_SOURCE).thresholdMs).toBeNull();
  });

  it('no processes give an empty summary', () => {
    expect(summarizeSyncIo([], NO_SOURCE)).toEqual({ thresholdMs: null, callSites: [], belowThreshold: [], totals: { count: 0, totalMs: 0 } });
  });
});
