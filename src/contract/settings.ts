/**
 * What the agent watches with: one set of settings, read by the agent on the main thread
 * and handed to its watchdog thread as they are.
 */
/**
 * How long the watchdog waits without a beat before it looks at a thread (and samples
 * it). The age of the last beat wanders between 0 and one heartbeat interval on an idle
 * loop; half the threshold leaves room for several samples before a stall crosses the
 * threshold, so its first moments are seen. A stall shorter than this is never seen
 * blocked, and never sampled.
 */
export function watchdogLooksAfterMs(settings: { heartbeatMs: number; thresholdMs: number }): number {
  return Math.max(settings.heartbeatMs + 5, settings.thresholdMs / 2);
}

export interface WatchSettings {
  /** A stall is a stretch in which the event loop was blocked longer than this. */
  thresholdMs: number;
  /** The main thread beats this often. */
  heartbeatMs: number;
  /** During a stall the watchdog asks for a stack sample this often (at first). */
  sampleIntervalMs: number;
  /**
   * The watchdog takes at most this many stack samples a second, on average over
   * SAMPLE_BOUND_WINDOW_MS, for the whole process: a storm of stalls is counted and
   * timed in full, but only so much of it is sampled.
   */
  maxSamplesPerSecond: number;
  /** Sync API calls at least this long are recorded with their stack; null when the sync probes are off. */
  syncIoThresholdMs: number | null;
}
