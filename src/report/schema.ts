import type { Category } from '../attribution/categories';
import type { Frame } from '../attribution/frames';
import type { StallPart } from '../attribution/samples-to-stall';
import type { DelaySummary } from '../recording/schema';

/**
 * The JSON report (`--json FILE`). Documented in the README; bump REPORT_SCHEMA_VERSION
 * on any change that could break a reader. Times are epoch milliseconds, durations
 * milliseconds, paths absolute.
 */
export const REPORT_SCHEMA_VERSION = 1;

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
  stalls: Stall[];
  callSites: CallSiteSummary[];
  totals: { stalls: number; blockedMs: number };
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
}

/** One thing a stall spent its time on (see attribution/samples-to-stall.ts). */
export type StallCause = StallPart;

export interface Stall {
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
}

export interface CallSiteSummary {
  callSite: Frame | null;
  operation: string;
  category: Category;
  /** Stalls in which this call site blocked. */
  count: number;
  totalMs: number;
  maxMs: number;
  p95Ms: number;
}
