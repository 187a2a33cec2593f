/**
 * Where a stall's time went, as the watchdog read it from the blocked thread's scheduler
 * statistics (ThreadTimeRecord), and whether the stall was the host's doing rather than
 * the program's: a thread that was runnable but got no CPU for most of it (other
 * processes or threads took the cores, a throttled container), or a process that was
 * stopped whole, its watchdog with it (SIGSTOP, a frozen container, a paused VM).
 */
import type { StallRecord, ThreadTimeRecord } from '../recording/schema';

export interface ThreadTimeSplit {
  /** How much of the stall the split was read over (from the first look that found it blocked to the last). */
  observedMs: number;
  /** On a CPU: JavaScript, or native code. */
  onCpuMs: number;
  /** Runnable, waiting for a CPU the host gave to something else. */
  runQueueMs: number;
  /** Neither: asleep in a system call (sync I/O, Atomics.wait, waiting for a child) or stopped. */
  offCpuMs: number;
  /** How late the watchdog's own timers ran in that time, at most. */
  watchdogLateMs: number;
  /** Set when the host, not the program, took most of the stall. */
  host?: 'starved' | 'stopped';
}

/** Of the observed time: waiting for a CPU this much of it makes the stall the host's. */
const STARVED_SHARE = 0.5;
/** The watchdog itself stopped for this much of the observed time, while the thread barely ran: the whole process was stopped. */
const STOPPED_SHARE = 0.5;

/** The split of a stall, from the last record of its seq (the one read over most of it). */
export function threadTimeOf(stall: StallRecord, records: readonly ThreadTimeRecord[]): ThreadTimeSplit | undefined {
  let last: ThreadTimeRecord | undefined;
  for (const r of records) if (r.seq === stall.seq && r.from >= stall.start - 1 && (!last || r.to > last.to)) last = r;
  if (!last) return undefined;
  const observedMs = last.to - last.from;
  if (observedMs <= 0) return undefined;
  const onCpuMs = clamp(last.onCpuMs, observedMs);
  const runQueueMs = clamp(last.runQueueMs, observedMs - onCpuMs);
  const split: ThreadTimeSplit = {
    observedMs,
    onCpuMs,
    runQueueMs,
    offCpuMs: Math.max(0, observedMs - onCpuMs - runQueueMs),
    watchdogLateMs: last.watchdogLateMs,
  };
  if (runQueueMs >= STARVED_SHARE * observedMs) split.host = 'starved';
  else if (last.watchdogLateMs >= STOPPED_SHARE * observedMs && onCpuMs + runQueueMs < 0.25 * observedMs) split.host = 'stopped';
  return split;
}

/** What a stall the host took is called, where nothing of the program's was seen in it. */
export function hostOperation(host: NonNullable<ThreadTimeSplit['host']>): string {
  return host === 'starved' ? 'waiting for a CPU' : 'process stopped';
}

function clamp(ms: number, max: number): number {
  return Math.min(Math.max(0, ms), Math.max(0, max));
}

/**
 * About how long the thread waited for a CPU between `from` and `to`: the watchdog's
 * records of a stall are cumulative from its first look, so consecutive ones give the
 * run-queue time of each stretch between looks, spread evenly over it. 0 where no record
 * covers the span (no split on this system, or before the first look).
 */
export function runQueueWithin(records: readonly ThreadTimeRecord[], seq: number, from: number, to: number): number {
  const mine = records.filter((r) => r.seq === seq).sort((a, b) => a.to - b.to);
  let total = 0;
  let previous: { at: number; runQueueMs: number } | undefined;
  for (const r of mine) {
    // A record from another first look starts its own sums.
    const start = previous && r.from <= previous.at ? previous : { at: r.from, runQueueMs: 0 };
    const span = r.to - start.at;
    const overlap = Math.min(to, r.to) - Math.max(from, start.at);
    if (span > 0 && overlap > 0) total += (Math.max(0, r.runQueueMs - start.runQueueMs) * overlap) / span;
    previous = { at: r.to, runQueueMs: r.runQueueMs };
  }
  return Math.min(total, Math.max(0, to - from));
}
