import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { MIN_GC_RECORD_MS, type GcKind, type GcRecord, type GcTotals } from '../../recording/schema';

/**
 * Garbage-collection pauses, from perf_hooks' 'gc' entries. Every pause is added to the
 * totals; pauses of at least MIN_GC_RECORD_MS are recorded with their time, so that a
 * stall can say how much of it was the collector. Entries arrive after the pause (the
 * observer is called from the event loop), and those still queued at exit are taken then.
 */
const KINDS: Record<number, GcKind> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export class GcProbe {
  private readonly observer: PerformanceObserver;
  private readonly sums: GcTotals = { count: 0, totalMs: 0, maxMs: 0, byKind: {} };

  constructor(private readonly record: (gc: GcRecord) => void) {
    this.observer = new PerformanceObserver((list) => this.take(list.getEntries()));
  }

  start(): void {
    this.observer.observe({ type: 'gc' });
  }

  /** At exit: takes the entries not delivered yet, and stops observing. */
  stop(): void {
    this.take(this.observer.takeRecords());
    this.observer.disconnect();
  }

  totals(): GcTotals {
    return this.sums;
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
