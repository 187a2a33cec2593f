import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncCallProbes } from '../../src/agent/probes/sync-calls';
import { NO_SOURCE } from '../../src/attribution/source';
import { evaluate } from '../../src/gate/evaluate';
import { type RecordedFrame, type SyncCallRecord, type SyncSampleRecord } from '../../src/recording/schema';
import { summarizeSyncIo } from '../../src/report/sync-io';
import { exitRecord, processRecord, processRecording } from './records';
import { processSummary, report } from './reports';

/**
 * Calls under the sync-I/O threshold after startup: one in so many is picked at random, and
 * stands for the calls after it until the next pick; every call is counted exactly.
 */
describe('SyncCallProbes: short calls sampled', () => {
  afterEach(() => vi.restoreAllMocks());

  /** A clock that moves only when told, past the event loop's first turn (phase 'run'). */
  function fakeClock() {
    let t = performance.now() + 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => t);
    return { advance: (ms: number) => (t += ms), at: () => t };
  }

  /**
   * Math.random from a fixed seed (mulberry32): the picks are random to the code, the same
   * from run to run of the test, so that a statistical check cannot fail by chance.
   */
  function seededRandom(seed: number) {
    let a = seed >>> 0;
    vi.spyOn(Math, 'random').mockImplementation(() => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    });
  }

  function probes() {
    const samples: SyncSampleRecord[] = [];
    const recorded: SyncCallRecord[] = [];
    const p = new SyncCallProbes({ thresholdMs: 1, record: (make) => recorded.push(make()), sample: (make) => samples.push(make()) });
    return { p, samples, recorded };
  }

  it('credits each call site with about its share of the calls, counting every call, at a few stacks a second', () => {
    const clock = fakeClock();
    seededRandom(1);
    const { p, samples, recorded } = probes();
    const read = p.timed('fs.readFileSync', 'fs', () => 'data') as () => string;
    function everyRequest(): string {
      return read();
    }
    function oneInFour(): string {
      return read();
    }
    const captures = vi.spyOn(Error, 'captureStackTrace');
    // 200,000 calls, one every 50 µs: 10 seconds.
    const CALLS = 200_000;
    for (let k = 0; k < CALLS; k++) {
      if (k % 4 === 3) oneInFour();
      else everyRequest();
      clock.advance(0.05);
      if (k % 20_000 === 0) p.writePicks();
    }
    p.writePicks(true);
    expect(recorded).toEqual([]);
    expect(samples.reduce((n, s) => n + s.calls, 0)).toBe(CALLS);
    const credited = (fn: string) => samples.filter((s) => s.frames[0]?.function === fn).reduce((n, s) => n + s.calls, 0);
    expect(credited('everyRequest') + credited('oneInFour')).toBe(CALLS);
    const picks = new Set(samples.map((s) => s.at)).size;
    // Picks come every 100 to 1,000 ms once the mean skip has settled: 10 to 100 in 10 s, and a few more while it grew.
    expect(picks).toBeGreaterThanOrEqual(10);
    expect(picks).toBeLessThan(150);
    expect(captures.mock.calls.length).toBe(picks);
    // A quarter of the calls: with a few dozen picks, each standing for hundreds of calls,
    // one run's estimate is within about 0.15 of it (the next test checks the mean).
    const share = credited('oneInFour') / CALLS;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.4);
  });

  it('over many runs the credited share of a call site is its share of the calls (unbiased)', () => {
    const shares: number[] = [];
    for (let run = 0; run < 100; run++) {
      const clock = fakeClock();
      seededRandom(run + 1);
      const { p, samples } = probes();
      const read = p.timed('fs.readFileSync', 'fs', () => 'data') as () => string;
      const everyRequest = (): string => read();
      const oneInFour = (): string => read();
      for (let k = 0; k < 8_000; k++) {
        if (k % 4 === 3) oneInFour();
        else everyRequest();
        clock.advance(0.05);
      }
      p.writePicks(true);
      const credited = samples.filter((s) => s.frames[0]?.function === 'oneInFour').reduce((n, s) => n + s.calls, 0);
      shares.push(credited / 8_000);
      vi.restoreAllMocks();
    }
    const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
    // Each run's estimate varies widely (a dozen picks); their mean over 100 runs is within 0.04 of the truth.
    expect(mean).toBeGreaterThan(0.25 - 0.04);
    expect(mean).toBeLessThan(0.25 + 0.04);
  });

  it('the first short call after startup is picked; a pick is written with the totals, and again with the calls since', () => {
    const clock = fakeClock();
    const { p, samples } = probes();
    const stat = p.timed('fs.statSync', 'fs', () => 1) as () => number;
    const first = clock.at();
    stat();
    expect(samples).toEqual([]);
    clock.advance(500);
    p.writePicks();
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ type: 'syncSample', operation: 'fs.statSync', category: 'fs', calls: 1, totalMs: 0, durationMs: 0 });
    expect(samples[0]!.at).toBeCloseTo(performance.timeOrigin + first, 6);
    expect(samples[0]!.end).toBeCloseTo(performance.timeOrigin + first + 500, 6);
    // Nothing since: nothing written. Then the stop writes what came.
    p.writePicks();
    expect(samples).toHaveLength(1);
    clock.advance(2_000);
    stat();
    p.stop();
    const calls = samples.reduce((n, s) => n + s.calls, 0);
    expect(calls).toBe(2);
  });

  it('a long call is recorded, and not counted among the short ones', () => {
    const clock = fakeClock();
    const { p, samples, recorded } = probes();
    const slow = p.timed('fs.readFileSync', 'fs', () => clock.advance(5)) as () => number;
    const quick = p.timed('fs.readFileSync', 'fs', () => 0) as () => number;
    slow();
    quick();
    quick();
    p.writePicks(true);
    expect(recorded).toHaveLength(1);
    expect(samples.reduce((n, s) => n + s.calls, 0)).toBe(2);
  });

  it('a sink without sample() only counts short calls', () => {
    fakeClock();
    const p = new SyncCallProbes({ thresholdMs: 1, record: () => expect.fail('no call is long') });
    const read = p.timed('fs.readFileSync', 'fs', () => 'data') as () => string;
    read();
    p.writePicks(true);
    expect(p.totals()).toEqual([expect.objectContaining({ operation: 'fs.readFileSync', phase: 'run', count: 1 })]);
  });
});

function site(line: number, fn = 'handler'): RecordedFrame {
  return { file: '/app/server.js', line, column: 9, function: fn };
}

function sample(line: number, calls: number, totalMs: number, extra: Partial<SyncSampleRecord> = {}): SyncSampleRecord {
  return { type: 'syncSample', operation: 'fs.readFileSync', category: 'fs', start: 2000, end: 2100, calls, totalMs, at: 2010, durationMs: 0.02, frames: [site(line)], ...extra };
}

function longCall(line: number, durationMs: number): SyncCallRecord {
  return { type: 'syncCall', operation: 'fs.readFileSync', category: 'fs', start: 2050, durationMs, phase: 'run', frames: [site(line)] };
}

describe('summarizeSyncIo with sampled short calls', () => {
  const total = (count: number, totalMs: number) => ({ operation: 'fs.readFileSync', category: 'fs', phase: 'run' as const, count, totalMs, maxMs: 3 });

  it('places the calls each pick stands for at its call site, beside the timed calls, marked estimated', () => {
    const p = processRecording({
      process: processRecord(1, 1000),
      syncCalls: [longCall(10, 3)],
      syncSamples: [sample(10, 150, 3), sample(20, 50, 1, { at: 2060, durationMs: 0.05, target: '/srv/b.json' })],
      exit: exitRecord(5000, 1000, { syncCalls: [total(201, 7)] }),
    });
    const summary = summarizeSyncIo([p], NO_SOURCE);
    expect(summary.callSites.map((s) => [s.callSite?.line, s.count, s.totalMs, s.maxMs, s.estimated, s.sampled])).toEqual([
      [10, 151, 6, 3, true, { count: 150, totalMs: 3, samples: 1 }],
      [20, 50, 1, 0.05, true, { count: 50, totalMs: 1, samples: 1 }],
    ]);
    expect(summary.callSites[1]!.targets).toEqual(['/srv/b.json']);
    expect(summary.callSites[1]!.processes).toEqual([{ pid: 1, count: 50, totalMs: 1, maxMs: 0.05 }]);
    // The short calls are still counted exactly by operation, and all were placed.
    expect(summary.belowThreshold).toEqual([
      { operation: 'fs.readFileSync', category: 'fs', count: 200, totalMs: 4, sampledCount: 200, processes: [{ pid: 1, count: 200, totalMs: 4, sampledCount: 200, sampledMs: 4 }] },
    ]);
    expect(summary.totals).toEqual({ count: 201, totalMs: 7 });
  });

  it("a killed process's sampled calls after its last totals are added to the totals, not lost", () => {
    const p = processRecording({
      process: processRecord(1, 1000),
      syncSamples: [sample(10, 40, 2, { start: 2000, end: 2100 }), sample(10, 30, 1, { start: 4000, end: 4100 })],
      totals: { ...exitRecord(3000, 1000, { syncCalls: [total(40, 2)] }), type: 'totals' },
      lastSeenAt: 4100,
    });
    const summary = summarizeSyncIo([p], NO_SOURCE);
    expect(summary.callSites[0]).toMatchObject({ count: 70, totalMs: 3 });
    expect(summary.totals).toEqual({ count: 70, totalMs: 3 });
    expect(summary.belowThreshold[0]!.sampledCount).toBe(40);
  });

  it('the gate counts a sampled call once: at its call site, not again among the short calls', () => {
    const p = processRecording({
      process: processRecord(1, 1000),
      syncSamples: [sample(10, 150, 3)],
      exit: exitRecord(5000, 1000, { syncCalls: [total(160, 3.5)] }),
    });
    const summary = summarizeSyncIo([p], NO_SOURCE);
    const verdict = evaluate(report({ cwd: '/app', processes: [processSummary(1)], syncIo: summary }), { source: 'test', root: '/app', config: { syncIo: { maxCalls: 1000 } } });
    expect(verdict.rules[0]!.summary).toBe('160 sync calls after startup, 3.5 ms in all');
  });
});
