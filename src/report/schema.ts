import type { Category } from '../attribution/categories';
import type { Frame } from '../attribution/frames';
import type { StallPart } from '../attribution/samples-to-stall';
import type { DelaySummary, GcTotals, PoolQueue, QueueWaitSummary } from '../recording/schema';

/**
 * The JSON report (`--json FILE`). Documented in the README; bump REPORT_SCHEMA_VERSION
 * on any change that could break a reader. Times are epoch milliseconds, durations
 * milliseconds, paths absolute.
 */
export const REPORT_SCHEMA_VERSION = 2;

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'loopwatch'; version: string };
  /** The command as loopwatch ran it. */
  command: string[];
  thresholdMs: number;
  startedAt: number;
  durationMs: number;
  /** The command's exit status as loopwatch exits with it (128 + signal number when killed). */
  exitCode: number;
  /** The signal that killed the command, if one did. */
  signal: string | null;
  processes: ProcessSummary[];
  /** Event-loop stalls and threadpool starvation episodes, in time order. */
  stalls: Stall[];
  /** Call sites of the event-loop stalls. */
  callSites: CallSiteSummary[];
  /** Sync API calls made after startup, stalls or not. */
  syncIo: SyncIoSummary;
  totals: {
    /** Event-loop stalls, and the time they blocked the loop. */
    stalls: number;
    blockedMs: number;
    threadpoolStalls: number;
    threadpoolStarvedMs: number;
    gcPauses: number;
    gcPauseMs: number;
  };
}

export interface ProcessSummary {
  pid: number;
  ppid: number;
  argv: string[];
  startedAt: number;
  durationMs: number;
  /** 'exit' when the process ran its exit handlers; 'killed' when it died without them (signal). */
  endedBy: 'exit' | 'killed';
  exitCode: number | null;
  eventLoopDelay: DelaySummary | null;
  utilization: number | null;
  /** Null when the process ended without its exit handlers. */
  gc: GcTotals | null;
  /** How long tasks waited for a thread, per queue of the pool (`dns`: lookups, `work`: the rest). */
  threadpool: { size: number; queueWait: Record<PoolQueue, QueueWaitSummary | null> } | null;
}

/** One thing a stall spent its time on (see attribution/samples-to-stall.ts). */
export type StallCause = StallPart;

export interface Stall {
  /**
   * 'event-loop': the main thread was busy this long. 'threadpool': work submitted to
   * libuv's threadpool waited longer than the threshold for a thread, this long.
   */
  kind: 'event-loop' | 'threadpool';
  pid: number;
  start: number;
  durationMs: number;
  inProgressAtExit: boolean;
  /** 'startup': before the event loop's first turn (the main module running). */
  phase: 'startup' | 'run';
  /** The cause that took most of the stall's time. */
  category: Category;
  operation: string;
  callSite: Frame | null;
  stack: Frame[];
  samples: number;
  traceId?: string;
  spanId?: string;
  /** Everything the stall spent its time on, longest first (one entry for most stalls). */
  causes: StallCause[];
  /** Threadpool stalls: the queue that was starved, and the longest a task waited in it. */
  queue?: PoolQueue;
  maxQueueWaitMs?: number;
}

export interface SyncIoSummary {
  /** Calls at least this long were recorded with their call site; null when the probes were off. */
  thresholdMs: number | null;
  /** Calls after startup of at least the threshold, by call site and operation, most time first. */
  callSites: SyncIoCallSite[];
  /** Calls after startup under the threshold, by operation: counted, their call sites not captured. */
  belowThreshold: Array<{ operation: string; category: string; count: number; totalMs: number }>;
  /** All calls after startup. */
  totals: { count: number; totalMs: number };
}

export interface SyncIoCallSite {
  callSite: Frame | null;
  operation: string;
  category: string;
  count: number;
  totalMs: number;
  maxMs: number;
  /** What the calls were about, up to 10: the modules a require loaded, the files an fs call used. */
  targets?: string[];
}

export interface CallSiteSummary {
  callSite: Frame | null;
  operation: string;
  category: Category;
  /** What the calls were about (the module a require loaded), from the first stall. */
  detail?: string;
  /** Stalls in which this call site blocked. */
  count: number;
  totalMs: number;
  maxMs: number;
  p95Ms: number;
}
