import { describe, expect, it } from 'vitest';
import { DelayHistograms } from '../../src/agent/delay-histogram';

/** Nearest-rank percentile of a list, worked out here, apart from the histogram. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

/** HdrHistogram keeps 3 significant digits: within 0.1 %, and 1 ns for the smallest values. */
function near(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * 0.001 + 1e-6);
}

describe('DelayHistograms: the beats a stall swallowed', () => {
  it('a beat 500 ms late at a 10 ms interval also records 490, 480, ... 10 ms', () => {
    const delay = new DelayHistograms(10);
    const punctual = Array.from({ length: 200 }, () => 0.2);
    for (const late of punctual) delay.record(late);
    delay.record(500);
    const summary = delay.summary()!;
    // Per beat: 201 values, one of them 500 ms.
    expect(summary.beats).toBe(201);
    const perBeat = [...punctual, 500];
    near(summary.p50Ms, nearestRank(perBeat, 50));
    near(summary.p99Ms, nearestRank(perBeat, 99));
    expect(summary.p99Ms).toBeLessThan(1);
    near(summary.maxMs, 500);
    // Corrected: the 49 swallowed beats too, 10 ms apart below 500.
    const swallowed = Array.from({ length: 49 }, (_, i) => 500 - 10 * (i + 1));
    expect(swallowed.at(-1)).toBe(10);
    const corrected = [...perBeat, ...swallowed];
    expect(summary.corrected!.beats).toBe(corrected.length);
    near(summary.corrected!.p50Ms, nearestRank(corrected, 50));
    near(summary.corrected!.p90Ms, nearestRank(corrected, 90));
    near(summary.corrected!.p99Ms, nearestRank(corrected, 99));
    expect(summary.corrected!.p90Ms).toBeGreaterThan(250);
  });

  it('records L - kI only while it is above 0: 25 ms late gives 15 and 5, 20 ms late gives 10 alone', () => {
    const a = new DelayHistograms(10);
    a.record(25);
    expect(a.summary()!.corrected!.beats).toBe(3);
    near(a.summary()!.corrected!.p50Ms, 15);
    const b = new DelayHistograms(10);
    b.record(20);
    expect(b.summary()!.corrected!.beats).toBe(2);
    near(b.summary()!.corrected!.p50Ms, 10);
  });

  it('a beat on time or early swallows nothing, and counts as 1 ns', () => {
    const delay = new DelayHistograms(10);
    delay.record(-3);
    delay.record(0);
    delay.record(9.9);
    const summary = delay.summary()!;
    expect(summary.beats).toBe(3);
    expect(summary.corrected!.beats).toBe(3);
    expect(summary.minMs).toBe(1e-6);
  });

  it('no beat yet: no figures', () => {
    expect(new DelayHistograms(10).summary()).toBeNull();
  });
});
