import type { Frame } from '../../src/attribution/frames';
import type { ProcessSummary, Report, Stall, StallCause, SyncIoCallSite } from '../../src/report/schema';

/** Builders of report models for unit tests of the stages after the report: valid, with what a test sets. */

export const ROOT = '/proj';

export function frame(file: string, line: number, fn: string | null = null, column = 5): Frame {
  return { file: file.startsWith('/') || file.startsWith('node:') ? file : `${ROOT}/${file}`, line, column, function: fn };
}

export function processSummary(pid: number, extra: Partial<ProcessSummary> = {}): ProcessSummary {
  return {
    pid,
    ppid: 1,
    argv: ['/usr/bin/node', `${ROOT}/app${pid}.js`],
    startedAt: 1000,
    durationMs: 5000,
    endedBy: 'exit',
    exitCode: 0,
    figuresAt: 6000,
    eventLoopDelay: { minMs: 0.01, p50Ms: 0.2, p90Ms: 1, p99Ms: 20, maxMs: 300 },
    utilization: 0.4,
    gc: null,
    threadpool: { size: 4, queueWait: { work: { count: 10, p50Ms: 0.1, p99Ms: 2, maxMs: 3 }, dns: null } },
    threads: [],
    unwatchedThreads: [],
    ...extra,
  };
}

export function cause(callSite: Frame | null, operation: string, category: StallCause['category'], durationMs: number, extra: Partial<StallCause> = {}): StallCause {
  return { callSite, operation, category, durationMs, samples: 1, stack: callSite ? [callSite] : [], ...extra };
}

/** An event-loop stall whose duration is its causes' sum. */
export function stall(pid: number, causes: StallCause[], extra: Partial<Stall> = {}): Stall {
  const main = [...causes].sort((a, b) => b.durationMs - a.durationMs)[0]!;
  return {
    kind: 'event-loop',
    pid,
    threadId: 0,
    start: 2000,
    durationMs: causes.reduce((sum, c) => sum + c.durationMs, 0),
    inProgressAtExit: false,
    phase: 'run',
    category: main.category,
    operation: main.operation,
    callSite: main.callSite,
    stack: main.stack,
    samples: causes.length,
    causes,
    ...extra,
  };
}

export function syncSite(callSite: Frame, operation: string, category: string, perProcess: Array<{ pid: number; count: number; totalMs: number; maxMs: number }>): SyncIoCallSite {
  return {
    callSite,
    operation,
    category,
    count: perProcess.reduce((n, p) => n + p.count, 0),
    totalMs: perProcess.reduce((n, p) => n + p.totalMs, 0),
    maxMs: Math.max(...perProcess.map((p) => p.maxMs)),
    stack: [callSite],
    processes: perProcess,
  };
}

export function report(extra: Partial<Report> = {}): Report {
  const stalls = extra.stalls ?? [];
  const loop = stalls.filter((s) => s.kind === 'event-loop');
  return {
    schemaVersion: 2,
    tool: { name: 'loopwatch', version: '0.1.0' },
    command: ['/usr/bin/node', `${ROOT}/app.js`],
    cwd: ROOT,
    thresholdMs: 50,
    startedAt: 1000,
    durationMs: 5000,
    exitCode: 0,
    signal: null,
    processes: [processSummary(100)],
    stalls,
    callSites: [],
    syncIo: { thresholdMs: 1, callSites: [], belowThreshold: [], totals: { count: 0, totalMs: 0 } },
    warnings: [],
    frames: [],
    gcPauses: [],
    limits: { stacksPerStall: 20, stacks: 20_000, gcPauses: 5_000, omittedStacks: 0, omittedStackMs: 0, omittedGcPauses: 0 },
    totals: {
      stalls: loop.length,
      blockedMs: loop.reduce((n, s) => n + s.durationMs, 0),
      threadpoolStalls: 0,
      threadpoolStarvedMs: 0,
      gcPauses: 0,
      gcPauseMs: 0,
    },
    ...extra,
  };
}
