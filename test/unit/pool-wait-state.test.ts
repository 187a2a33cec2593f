import { describe, expect, it } from 'vitest';
import { createPoolWaitBuffer, PoolWaitState } from '../../src/contract/pool-wait-state';

/** The exact nearest-rank percentile of the data (the definition summary() reads its buckets by). */
function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function summarize(waitsMs: number[]) {
  const state = new PoolWaitState(createPoolWaitBuffer(), 0);
  waitsMs.forEach((ms, i) => state.ran('work', i, ms));
  return state.summary('work')!;
}

/** 8 buckets per power of two: a bucket's upper bound is at most 2^(1/8) times any value in it. */
const MOST_HIGH = 2 ** (1 / 8);

describe('the shared-memory queue-wait histogram', () => {
  const r = random(1);
  const sets: Array<[string, number[]]> = [
    ['log-uniform, 10 µs to 10 s', Array.from({ length: 2_000 }, () => 0.01 * 10 ** (6 * r()))],
    ['mostly short, a few long', Array.from({ length: 1_000 }, (_, i) => (i % 97 === 0 ? 800 + i : 0.05 + (i % 13) * 0.011))],
    ['one value', [3.7]],
    ['integers in ms', Array.from({ length: 500 }, (_, i) => i + 1)],
  ];

  it.each(sets)('%s: p50 and p99 at most 9.1 %% high, never low; count and max exact', (_name, waits) => {
    const sorted = [...waits].sort((a, b) => a - b);
    const summary = summarize(waits);
    expect(summary.count).toBe(waits.length);
    expect(summary.maxMs).toBeCloseTo(sorted.at(-1)!, 3);
    for (const [p, reported] of [
      [50, summary.p50Ms],
      [99, summary.p99Ms],
    ] as const) {
      const exact = exactPercentile(sorted, p);
      // Waits are kept in whole microseconds: half of one is the rounding.
      expect(reported, `p${p}`).toBeGreaterThanOrEqual(exact - 0.0005);
      expect(reported / exact, `p${p}: ${reported} vs ${exact}`).toBeLessThanOrEqual(MOST_HIGH + 1e-9);
    }
  });

  it('the bound is reached: a wait at a bucket\'s lower edge reads 9.05 % high', () => {
    // 256 µs = 2^8 µs opens a bucket whose upper bound is 2^(65/8) µs.
    const summary = summarize([0.256, 0.256, 0.256, 10]);
    expect(summary.p50Ms / 0.256).toBeCloseTo(MOST_HIGH, 6);
    expect(MOST_HIGH - 1).toBeGreaterThan(0.09);
    expect(MOST_HIGH - 1).toBeLessThan(0.091);
  });

  it('a percentile never exceeds the maximum, which is exact', () => {
    const summary = summarize([1.001, 1.001, 1.001]);
    expect(summary.p99Ms).toBe(1.001);
    expect(summary.maxMs).toBe(1.001);
  });
});
