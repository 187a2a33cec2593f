/**
 * A report's blocking, as the gate reads it: one finding per stall cause, per sync call
 * site after startup (per process), per threadpool episode's work. Rules, baselines and
 * `loopwatch diff` all start from these, so that they agree on what a call site is.
 */
import type { Report, Stall } from '../report/schema';
import type { CallSiteKind } from './keys';
import type { VerdictFrame } from './verdict';

export interface Finding {
  kind: CallSiteKind;
  pid: number;
  phase: 'startup' | 'run';
  callSite: VerdictFrame | null;
  operation: string;
  category: string;
  stack: VerdictFrame[];
  /** How many stalls, calls or episodes. */
  count: number;
  totalMs: number;
  maxMs: number;
  /** The stall it is a cause of (event-loop and threadpool findings). */
  stall?: Stall;
}

/**
 * Causes that never held the loop for a tenth of the threshold (and 5 ms) are a stall's
 * edges, the moment it ended, not what it was spent on: the text report counts them
 * without listing them, and the gate does not treat them as call sites of their own.
 */
export function minorBelowMs(thresholdMs: number): number {
  return Math.max(5, thresholdMs / 10);
}

/** Every finding of a report, for stalls longer than `thresholdMs` (the report's own, or a higher one). */
export function findingsOf(report: Report, thresholdMs = report.thresholdMs): Finding[] {
  const findings: Finding[] = [];
  for (const stall of report.stalls) {
    if (stall.durationMs <= thresholdMs) continue;
    const kind: CallSiteKind = stall.kind === 'threadpool' ? 'threadpool' : 'stall';
    for (const cause of stall.causes) {
      findings.push({
        kind,
        pid: stall.pid,
        phase: stall.phase,
        callSite: cause.callSite,
        operation: cause.operation,
        category: cause.category,
        stack: cause.stack,
        count: 1,
        totalMs: cause.durationMs,
        maxMs: kind === 'threadpool' ? (stall.maxQueueWaitMs ?? stall.durationMs) : cause.durationMs,
        stall,
      });
    }
  }
  for (const site of report.syncIo.callSites) {
    for (const p of site.processes ?? []) {
      findings.push({
        kind: 'sync-io',
        pid: p.pid,
        phase: 'run',
        callSite: site.callSite,
        operation: site.operation,
        category: site.category,
        stack: site.stack ?? (site.callSite ? [site.callSite] : []),
        count: p.count,
        totalMs: p.totalMs,
        maxMs: p.maxMs,
      });
    }
  }
  return findings;
}
