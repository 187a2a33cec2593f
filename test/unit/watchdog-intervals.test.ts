import { describe, expect, it } from 'vitest';
import { detectAfterMs, MAX_SAMPLE_INTERVAL_MS, sampleIntervalAt } from '../../src/watchdog/intervals';

const DEFAULTS = { heartbeatMs: 10, thresholdMs: 50, sampleIntervalMs: 10 };

describe('detectAfterMs: how long without a beat before the watchdog samples', () => {
  it('half the threshold, so that a stall is sampled before it crosses the threshold', () => {
    expect(detectAfterMs(DEFAULTS)).toBe(25);
    expect(detectAfterMs({ ...DEFAULTS, thresholdMs: 200 })).toBe(100);
  });

  it('never less than a heartbeat and 5 ms: an idle loop\'s last beat is up to one interval old', () => {
    expect(detectAfterMs({ ...DEFAULTS, thresholdMs: 1 })).toBe(15);
    expect(detectAfterMs({ ...DEFAULTS, thresholdMs: 20 })).toBe(15);
    expect(detectAfterMs({ heartbeatMs: 40, thresholdMs: 50, sampleIntervalMs: 10 })).toBe(45);
  });
});

describe('sampleIntervalAt: the time to a blocked thread\'s next sample', () => {
  it('the sampling interval while the stall is young', () => {
    expect(sampleIntervalAt(25, DEFAULTS)).toBe(10);
    expect(sampleIntervalAt(100, DEFAULTS)).toBe(10);
  });

  it('then a tenth of the stall\'s age, so that a part is still placed within about 5 % of it', () => {
    expect(sampleIntervalAt(200, DEFAULTS)).toBe(20);
    expect(sampleIntervalAt(350, DEFAULTS)).toBe(35);
  });

  it('at most MAX_SAMPLE_INTERVAL_MS however long the stall', () => {
    expect(MAX_SAMPLE_INTERVAL_MS).toBe(50);
    expect(sampleIntervalAt(10_000, DEFAULTS)).toBe(50);
    expect(sampleIntervalAt(3_600_000, DEFAULTS)).toBe(50);
  });

  it('a sampling interval set above that bound is kept: the bound never samples more often than asked', () => {
    expect(sampleIntervalAt(10, { ...DEFAULTS, sampleIntervalMs: 80 })).toBe(80);
    expect(sampleIntervalAt(10_000, { ...DEFAULTS, sampleIntervalMs: 80 })).toBe(80);
  });

  it('grows with the stall, never shrinks', () => {
    let last = 0;
    for (let age = 0; age <= 2_000; age += 7) {
      const next = sampleIntervalAt(age, DEFAULTS);
      expect(next).toBeGreaterThanOrEqual(last);
      last = next;
    }
  });
});
