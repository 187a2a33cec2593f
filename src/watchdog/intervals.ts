/**
 * When the watchdog looks at a thread and how often it samples a blocked one: pure
 * functions of the settings, tested in test/unit/watchdog-intervals.test.ts.
 */
import { watchdogLooksAfterMs } from '../contract/settings';

/** The settings the intervals depend on, in ms. */
export interface IntervalSettings {
  heartbeatMs: number;
  thresholdMs: number;
  sampleIntervalMs: number;
}

/** How long without a beat before sampling starts: the contract's rule, which the report also reads. */
export function detectAfterMs(settings: IntervalSettings): number {
  return watchdogLooksAfterMs(settings);
}

/**
 * A sample costs the blocked program about half a millisecond on a core it shares
 * with this thread. A long stall is sampled less often as it goes on: every
 * sampleIntervalMs at first, then a tenth of its age so far (a part of it is still
 * placed within about 5 % of its length), up to MAX_SAMPLE_INTERVAL_MS.
 */
export const MAX_SAMPLE_INTERVAL_MS = 50;

/** The time to the next sample of a thread blocked for `ageMs`. */
export function sampleIntervalAt(ageMs: number, settings: IntervalSettings): number {
  return Math.min(Math.max(settings.sampleIntervalMs, ageMs / 10), Math.max(settings.sampleIntervalMs, MAX_SAMPLE_INTERVAL_MS));
}
