import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { MIN_GC_RECORD_MS, type GcKind, type GcRecord, type GcTotals } from '../../recording/schema';

/**
 * Garbage-collection pauses, from perf_hooks' 'gc' entries. Every pause seen is added to
 * the totals; pauses of at least MIN_GC_RECORD_MS are recorded with their time, so that a
 * stall can say how much of it was the collector. Entries arrive after the pause (the
 * observer is called from the event loop), and those still queued at exit are taken then.
 *
 * Observing costs: 0.13 to 0.16 ms of CPU per collection on a program that collects 250
 * times a second (bench/FINDINGS.md, section 4), not in the callback (an empty one costs
 * the same) but because V8 collects differently once entries are delivered: half as many
 * scavenges, each twice as long, over a larger young generation. So the observer is
 * connected in one of two ways:
 * - 'always': for the whole run (`loopwatch run`, which reports everything afterwards);
 * - 'when late' (the production mode): only from a heartbeat late by half the threshold,
 *   or a stall, on, for OBSERVE_AFTER_TROUBLE_MS, then disconnected until the next. Long
 *   pauses come with heap growth, in bursts: the loop is in trouble around them. What it
 *   loses: the pauses before the observer connects, the first pause of an episode among
 *   them (that stall is then attributed by its samples alone), and the totals count only
 *   the pauses it saw.
 */
const KINDS: Record<number, GcKind> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export type GcObserving = 'always' | 'when late';

/** How long the observer stays connected after the loop was last in trouble ('when late'). */
export const OBSERVE_AFTER_TROUBLE_MS = 10_000;

export class GcProbe {
  private readonly observer: PerformanceObserver;
  private readonly sums: GcTotals = { count: 0, totalMs: 0, maxMs: 0, byKind: {} };
  private connected = false;
  private stopped = false;
  /** 'when late': performance.now() until which the observer stays connected. */
  private until = -Infinity;

  constructor(
    private readonly record: (gc: GcRecord) => void,
    readonly observing: GcObserving = 'always',
  ) {
    this.observer = new PerformanceObserver((list) => this.take(list.getEntries()));
  }

  start(): void {
    if (this.observing === 'always') this.connect();
  }

  /** 'when late': the loop is in trouble (a late heartbeat, a stall): observe for a while from now. */
  trouble(nowMs: number): void {
    if (this.observing !== 'when late' || this.stopped) return;
    this.until = nowMs + OBSERVE_AFTER_TROUBLE_MS;
    if (!this.connected) this.connect();
  }

  /** At each heartbeat, 'when late': disconnects once the loop has been well for a while. */
  beat(nowMs: number): void {
    if (this.connected && this.observing === 'when late' && nowMs > this.until) this.disconnect();
  }

  /** Whether the observer is connected now. */
  isObserving(): boolean {
    return this.connected;
  }

  /** At exit: takes the entries not delivered yet, and stops observing. */
  stop(): void {
    this.stopped = true;
    if (this.connected) this.disconnect();
  }

  totals(): GcTotals {
    return this.sums;
  }

  private connect(): void {
    this.observer.observe({ type: 'gc' });
    this.connected = true;
  }

  private disconnect(): void {
    this.take(this.observer.takeRecords());
    this.observer.disconnect();
    this.connected = false;
  }

  private take(entries: PerformanceEntry[]): void {
    for (const entry of entries) {
      const detail = (entry as { detail?: { kind?: number } }).detail;
      const kind = KINDS[detail?.kind ?? -1] ?? 'unknown';
      const ms = entry.duration;
      this.sums.count += 1;
      this.sums.totalMs += ms;
      if (ms > this.sums.maxMs) this.sums.maxMs = ms;
      const byKind = (this.sums.byKind[kind] ??= { count: 0, totalMs: 0 });
      byKind.count += 1;
      byKind.totalMs += ms;
      if (ms >= MIN_GC_RECORD_MS) {
        this.record({ type: 'gc', start: performance.timeOrigin + entry.startTime, durationMs: ms, kind });
      }
    }
  }
}
