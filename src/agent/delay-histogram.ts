import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { DelaySummary } from '../recording/schema';

const NS_PER_MS = 1e6;

/**
 * Most swallowed beats recorded for one late beat: a thread stopped for 10,000 s (a
 * suspended laptop) at a 10 ms interval. Recording a beat is a native call of well
 * under a microsecond, so the cap (about 0.1 s of recording, once) is never reached by a
 * stall a program makes; past it, the late beat's own value still counts.
 */
export const MAX_SWALLOWED_BEATS = 1_000_000;

/**
 * The event-loop delay, two ways. A timer-based histogram records one value per beat
 * that ran: a 500 ms stall is one late beat among hundreds of punctual ones, and the
 * 49 beats it swallowed (due at 10, 20, ... 490 ms into it, each of which would have run
 * late when the loop came back) are not in the percentiles at all. `corrected` records
 * them too, as HdrHistogram's recordValueWithExpectedInterval does: for a beat late by
 * L with interval I, also L - I, L - 2I, ... while above 0. `perBeat` keeps the figures
 * as perf_hooks.monitorEventLoopDelay gives them.
 */
export class DelayHistograms {
  private readonly perBeat: RecordableHistogram = createHistogram();
  private readonly corrected: RecordableHistogram = createHistogram();
  private readonly intervalNs: number;

  constructor(intervalMs: number) {
    this.intervalNs = Math.round(intervalMs * NS_PER_MS);
  }

  /** One beat, late by `lateMs` (early or on time: recorded as 1 ns, histograms take positive integers). */
  record(lateMs: number): void {
    const lateNs = Math.max(1, Math.round(lateMs * NS_PER_MS));
    this.perBeat.record(lateNs);
    this.corrected.record(lateNs);
    if (this.intervalNs <= 0) return;
    let swallowed = 0;
    for (let missed = lateNs - this.intervalNs; missed > 0 && swallowed < MAX_SWALLOWED_BEATS; missed -= this.intervalNs) {
      this.corrected.record(missed);
      swallowed += 1;
    }
  }

  summary(): DelaySummary | null {
    const h = this.perBeat;
    if (h.count === 0) return null;
    const c = this.corrected;
    return {
      minMs: h.min / NS_PER_MS,
      p50Ms: h.percentile(50) / NS_PER_MS,
      p90Ms: h.percentile(90) / NS_PER_MS,
      p99Ms: h.percentile(99) / NS_PER_MS,
      maxMs: h.max / NS_PER_MS,
      beats: h.count,
      corrected: {
        p50Ms: c.percentile(50) / NS_PER_MS,
        p90Ms: c.percentile(90) / NS_PER_MS,
        p99Ms: c.percentile(99) / NS_PER_MS,
        beats: c.count,
      },
    };
  }
}
