import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/attribution/frames';
import { samplesToParts, type ExactInterval, type StallPart } from '../../src/attribution/samples-to-stall';
import { NO_SOURCE } from '../../src/attribution/source';
import type { RecordedFrame, SampleRecord } from '../../src/recording/schema';

const TIMING = { lateAfterMs: 30 };
const FILE = '/app/server.js';

function frame(line: number, fn: string | null = 'handler', column = 5, file: string | null = FILE): RecordedFrame {
  return { file, line, column, function: fn };
}

const PBKDF2 = { file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' };

/** A timely sample (served 1 ms after it was asked for) unless `requestedAt` says otherwise. */
function sample(at: number, frames: RecordedFrame[], extra: Partial<SampleRecord> = {}): SampleRecord {
  return { type: 'sample', seq: 1, requestedAt: at - 1, at, frames, ...extra };
}

/** A probed sync call made at `caller`, as build-report hands it over. */
function call(start: number, end: number, caller: Frame, operation = 'crypto.pbkdf2Sync', category: ExactInterval['category'] = 'crypto', detail?: string): ExactInterval {
  const interval: ExactInterval = { start, end, attribution: { callSite: caller, operation, category }, operation, category, stack: [caller] };
  if (detail !== undefined) interval.detail = detail;
  return interval;
}

function gcPause(start: number, end: number, kind = 'major'): ExactInterval {
  return { start, end, attribution: null, operation: `gc.${kind}`, category: 'gc', stack: [] };
}

function total(parts: StallPart[]): number {
  return parts.reduce((sum, p) => sum + p.durationMs, 0);
}

const HASH = frame(12, 'hash', 10) as Frame;

describe('samplesToParts with exact intervals', () => {
  // The pbkdf2Sync sample is asked for at 60 and served at 400, when the call had returned.
  const samples = [sample(50, [frame(5)]), sample(400, [PBKDF2, frame(12, 'hash', 10)], { requestedAt: 60 }), sample(990, [frame(20, 'after')])];
  // Without exact intervals: line 5 [0,55], pbkdf2Sync at line 12 [55,695], line 20 [695,1000].

  it('a probed call gets exactly its measured duration, as one exact call with its operation and category', () => {
    const parts = samplesToParts({ start: 0, end: 1000 }, samples, TIMING, NO_SOURCE, [call(100, 380, HASH)]);
    const exact = parts.filter((p) => p.exact);
    expect(exact).toHaveLength(1);
    expect(exact[0]).toMatchObject({ operation: 'crypto.pbkdf2Sync', category: 'crypto', durationMs: 280, exact: true, calls: 1 });
    expect(exact[0]!.callSite).toEqual(HASH);
    expect(exact[0]!.stack).toEqual([HASH]);
  });

  it("carries the probed call's detail (the module a require loaded)", () => {
    const parts = samplesToParts({ start: 0, end: 1000 }, [sample(990, [frame(20)])], TIMING, NO_SOURCE, [
      call(100, 600, frame(3, 'lazy') as Frame, 'require', 'module', './big-module'),
    ]);
    const exact = parts.find((p) => p.exact)!;
    expect(exact).toMatchObject({ operation: 'require', category: 'module', durationMs: 500, detail: './big-module', calls: 1 });
  });

  it('a GC pause during a probed call is part of the call, but the collection a global.gc() call asked for takes its own time, with its kind, at the call', () => {
    const pauseInHash = samplesToParts({ start: 0, end: 1000 }, samples, TIMING, NO_SOURCE, [call(100, 380, HASH), gcPause(200, 250)]);
    expect(pauseInHash.filter((p) => p.exact).map((p) => [p.operation, p.durationMs, p.calls])).toEqual([['crypto.pbkdf2Sync', 280, 1]]);

    const collect = call(100, 380, HASH, 'global.gc', 'gc');
    const parts = samplesToParts({ start: 0, end: 1000 }, samples, TIMING, NO_SOURCE, [collect, gcPause(120, 370)]);
    const exact = parts.filter((p) => p.exact).map((p) => ({ operation: p.operation, durationMs: p.durationMs, calls: p.calls, line: p.callSite?.line }));
    // The call is cut in two around the pause, and counts once.
    expect(exact).toEqual([
      { operation: 'gc.major', durationMs: 250, calls: 1, line: 12 },
      { operation: 'global.gc', durationMs: 30, calls: 1, line: 12 },
    ]);
    expect(total(parts)).toBeCloseTo(1000, 6);
  });

  it('leaves the rest of the stall to what the samples say', () => {
    const parts = samplesToParts({ start: 0, end: 1000 }, samples, TIMING, NO_SOURCE, [call(100, 380, HASH)]);
    const line5 = parts.find((p) => p.callSite?.line === 5)!;
    const line20 = parts.find((p) => p.callSite?.line === 20)!;
    expect(line5).toMatchObject({ operation: 'handler', category: 'js', durationMs: 55, samples: 1 });
    expect(line20).toMatchObject({ operation: 'after', category: 'js', durationMs: 305, samples: 1 });
  });

  it("gives what is left of a sample showing the probed call to the call site's own work, not to the call", () => {
    const parts = samplesToParts({ start: 0, end: 1000 }, samples, TIMING, NO_SOURCE, [call(100, 380, HASH)]);
    const atHash = parts.filter((p) => p.callSite?.line === 12);
    expect(atHash).toHaveLength(2);
    const own = atHash.find((p) => !p.exact)!;
    // [55,100] before the call and [380,695] after it.
    expect(own).toMatchObject({ operation: 'hash', category: 'js', durationMs: 45 + 315 });
    expect(parts.filter((p) => p.operation === 'crypto.pbkdf2Sync' && !p.exact)).toEqual([]);
  });

  it('leaves the samples of an import() with the load when a require() inside it was timed (Node.js 24)', () => {
    // The ES loader parses a CommonJS module, then runs it through Module.prototype.require:
    // only that part is timed. The samples around it show the loader at the import's line.
    const importLine = frame(8, null, 14);
    const loader = { file: 'node:internal/modules/esm/loader', line: 632, column: 3, function: 'import' };
    const loading = [sample(40, [loader, importLine]), sample(90, [loader, importLine]), sample(200, [loader, importLine])];
    const interval = { ...call(150, 156, importLine as Frame, 'import', 'module'), partial: true };
    const parts = samplesToParts({ start: 0, end: 250 }, loading, TIMING, NO_SOURCE, [interval]);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ operation: 'import', category: 'module', durationMs: 250 });
  });

  it('leaves a sample showing other work at the same call site with that work', () => {
    // The sample shows fs.readFileSync at line 12; the probed call is a pbkdf2Sync there.
    const readFile = { file: 'node:fs', line: 460, column: 5, function: 'readFileSync' };
    const parts = samplesToParts({ start: 0, end: 1000 }, [sample(990, [readFile, frame(12, 'hash', 10)])], TIMING, NO_SOURCE, [call(100, 380, HASH)]);
    expect(parts.find((p) => !p.exact)).toMatchObject({ operation: 'fs.readFileSync', category: 'fs', durationMs: 720 });
  });

  it('a stall without samples: the probed call gets its time, the rest stays unknown', () => {
    const parts = samplesToParts({ start: 0, end: 1000 }, [], TIMING, NO_SOURCE, [call(200, 900, HASH)]);
    expect(parts.map((p) => [p.operation, p.durationMs, p.exact ?? false])).toEqual([
      ['crypto.pbkdf2Sync', 700, true],
      ['unknown', 300, false],
    ]);
  });

  it('clips an exact interval partly outside the stall to the stall', () => {
    const parts = samplesToParts({ start: 1000, end: 2000 }, [sample(1990, [frame(20)])], TIMING, NO_SOURCE, [call(800, 1300, HASH)]);
    expect(parts.find((p) => p.exact)!.durationMs).toBe(300);
    expect(total(parts)).toBe(1000);
  });

  it('ignores an exact interval entirely outside the stall', () => {
    const parts = samplesToParts({ start: 1000, end: 2000 }, [sample(1990, [frame(20)])], TIMING, NO_SOURCE, [call(500, 900, HASH), call(2000, 2500, HASH)]);
    expect(parts.filter((p) => p.exact)).toEqual([]);
    expect(parts[0]!.durationMs).toBe(1000);
  });

  it('two probed calls at the same call site and operation give one part with calls: 2', () => {
    const parts = samplesToParts({ start: 0, end: 1000 }, [sample(990, [frame(20)])], TIMING, NO_SOURCE, [call(100, 200, HASH), call(300, 450, HASH)]);
    const exact = parts.filter((p) => p.exact);
    expect(exact).toHaveLength(1);
    expect(exact[0]).toMatchObject({ durationMs: 250, calls: 2 });
  });

  it('a probed call spanning several sampled stretches still counts as one call', () => {
    // Samples at lines 5, 6, 7: the call 100..800 crosses all three stretches.
    const parts = samplesToParts(
      { start: 0, end: 1000 },
      [sample(200, [frame(5)]), sample(500, [frame(6)]), sample(990, [frame(7)])],
      TIMING,
      NO_SOURCE,
      [call(100, 800, HASH)],
    );
    const exact = parts.filter((p) => p.exact);
    expect(exact).toHaveLength(1);
    expect(exact[0]).toMatchObject({ durationMs: 700, calls: 1 });
  });

  it('probed calls at different call sites stay separate parts', () => {
    const parts = samplesToParts({ start: 0, end: 1000 }, [sample(990, [frame(20)])], TIMING, NO_SOURCE, [
      call(100, 200, HASH),
      call(300, 450, frame(40, 'other') as Frame),
    ]);
    expect(parts.filter((p) => p.exact).map((p) => [p.callSite?.line, p.durationMs, p.calls])).toEqual([
      [40, 150, 1],
      [12, 100, 1],
    ]);
  });

  describe('GC pauses', () => {
    // Without exact intervals: line 10 ('a') [0,745], line 20 ('b') [745,1000].
    const gcSamples = [sample(500, [frame(10, 'a')]), sample(990, [frame(20, 'b')])];

    it("takes its time out of the sampled work, as an exact gc part at that work's call site", () => {
      const parts = samplesToParts({ start: 0, end: 1000 }, gcSamples, TIMING, NO_SOURCE, [gcPause(100, 300)]);
      const gc = parts.find((p) => p.category === 'gc')!;
      expect(gc).toMatchObject({ operation: 'gc.major', category: 'gc', durationMs: 200, exact: true, calls: 1 });
      expect(gc.callSite).toMatchObject({ file: FILE, line: 10, function: 'a' });
      expect(gc.stack).toEqual([{ file: FILE, line: 10, column: 5, function: 'a' }]);
      expect(parts.find((p) => p.operation === 'a')!.durationMs).toBe(545);
      expect(parts.find((p) => p.operation === 'b')!.durationMs).toBe(255);
    });

    it('takes the call site of the work it interrupted most', () => {
      // 700..800: 45 ms of 'a', 55 ms of 'b'.
      const parts = samplesToParts({ start: 0, end: 1000 }, gcSamples, TIMING, NO_SOURCE, [gcPause(700, 800)]);
      const gc = parts.find((p) => p.category === 'gc')!;
      expect(gc.callSite?.line).toBe(20);
      expect(gc.durationMs).toBe(100);
    });

    it('inside a probed call stays part of the call', () => {
      const parts = samplesToParts({ start: 0, end: 1000 }, gcSamples, TIMING, NO_SOURCE, [gcPause(200, 300), call(100, 400, HASH)]);
      expect(parts.filter((p) => p.category === 'gc')).toEqual([]);
      expect(parts.find((p) => p.exact)).toMatchObject({ operation: 'crypto.pbkdf2Sync', durationMs: 300, calls: 1 });
    });

    it('partly inside a probed call takes only the time outside the call', () => {
      const parts = samplesToParts({ start: 0, end: 1000 }, gcSamples, TIMING, NO_SOURCE, [call(100, 400, HASH), gcPause(350, 450)]);
      expect(parts.find((p) => p.category === 'gc')!.durationMs).toBe(50);
      expect(parts.find((p) => p.operation === 'crypto.pbkdf2Sync')!.durationMs).toBe(300);
    });
  });

  it('the durations of all parts add up to the stall duration', () => {
    const parts = samplesToParts(
      { start: 0, end: 1000 },
      [
        sample(50, [frame(5)]),
        sample(400, [PBKDF2, frame(12, 'hash', 10)], { requestedAt: 60 }),
        sample(600, [frame(30, 'c')]),
        sample(990, [frame(20, 'after')]),
      ],
      TIMING,
      NO_SOURCE,
      [call(-50, 20, frame(3, 'early') as Frame), call(100, 380, HASH), gcPause(300, 320), gcPause(500, 560, 'minor'), call(900, 1100, frame(40, 'late') as Frame)],
    );
    expect(total(parts)).toBe(1000);
    expect(parts.every((p) => p.durationMs >= 0)).toBe(true);
  });

  it('every sample of the stall is still counted in some part', () => {
    // The call starts before the pbkdf2Sync sample's stretch [55,695] does: that sample's
    // stretch is left only after the call, and the sample must not be lost with it.
    const parts = samplesToParts({ start: 0, end: 1000 }, samples, TIMING, NO_SOURCE, [call(40, 380, HASH)]);
    expect(parts.reduce((sum, p) => sum + p.samples, 0)).toBe(3);
  });

  it('parts come out longest first', () => {
    const parts = samplesToParts({ start: 0, end: 1000 }, samples, TIMING, NO_SOURCE, [call(100, 380, HASH)]);
    const durations = parts.map((p) => p.durationMs);
    expect(durations).toEqual([...durations].sort((a, b) => b - a));
  });
});

describe('samplesToParts: calls a dependency made for the program', () => {
  const USER = frame(7, 'lookup', 3) as Frame;
  const DEP = { file: '/app/node_modules/dns-sync/index.js', line: 40, column: 9, function: 'resolve' };
  // A sample in the dependency's own JavaScript, between its sync calls.
  const depSample = (at: number) => sample(at, [DEP, frame(7, 'lookup', 3)]);
  const depCall = (start: number, end: number): ExactInterval => ({
    ...call(start, end, USER, 'dns-sync.resolve', 'dns'),
    viaDependency: true,
  });

  it("keep the dependency's own work between its calls in the same part, which is then no longer all exact", () => {
    const parts = samplesToParts({ start: 0, end: 300 }, [depSample(100), depSample(290)], TIMING, NO_SOURCE, [
      depCall(10, 90),
      depCall(150, 280),
    ]);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ operation: 'dns-sync.resolve', category: 'dns', durationMs: 300, calls: 2 });
    expect(parts[0]!.exact).toBeUndefined();
  });

  it('a call the program made itself leaves the time around it to its own function', () => {
    // The sample asked for during the call is served when it returned, at 100.
    const samples = [sample(100, [PBKDF2, frame(7, 'lookup', 3)], { requestedAt: 20 }), sample(290, [frame(20, 'after')])];
    const parts = samplesToParts({ start: 0, end: 300 }, samples, TIMING, NO_SOURCE, [call(10, 90, USER)]);
    expect(parts.find((p) => p.exact)).toMatchObject({ operation: 'crypto.pbkdf2Sync', durationMs: 80 });
    // Before the call and after it up to the midpoint with the next sample (195), on its
    // line: the caller's own work.
    expect(parts.find((p) => p.operation === 'lookup')).toMatchObject({ category: 'js', durationMs: 10 + 105 });
  });
});
