import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/attribution/frames';
import { UNKNOWN_NATIVE_CALL } from '../../src/attribution/late-samples';
import { samplesToParts, weighSamples, type ExactInterval, type StallPart } from '../../src/attribution/samples-to-stall';
import { NO_SOURCE } from '../../src/attribution/source';
import type { RecordedFrame, SampleRecord } from '../../src/recording/schema';

/**
 * The late-sample rule, on hand-made samples: a sample served long after it was asked
 * for waited for code that took no interrupts, and its stack shows where JavaScript
 * resumed, not what blocked. Each stall below is a callback in /app/handler.js that calls
 * into an addon at line 12 and goes on at line 13 (or in another file).
 */

const TIMING = { lateAfterMs: 30 };
const FILE = '/app/handler.js';

function frame(line: number, fn: string | null = 'handle', file = FILE, column = 5): Frame {
  return { file, line, column, function: fn };
}

/** The call into the addon, at line 12. */
const CALLER = frame(12);
/** Where JavaScript resumed after it: the next line. */
const NEXT_LINE = frame(13);
/** Where it resumed when the next line calls a logger in another file. */
const LOGGER = frame(3, 'log', '/app/logger.js');

function sample(at: number, frames: RecordedFrame[], requestedAt = at - 1, extra: Partial<SampleRecord> = {}): SampleRecord {
  return { type: 'sample', seq: 1, requestedAt, at, frames, ...extra };
}

/** A probed addon call made at line 12, as attribution hands it over. */
function addonCall(start: number, end: number): ExactInterval {
  const operation = 'better-sqlite3.Statement.get';
  return { start, end, attribution: { callSite: CALLER, operation, category: 'fs' }, operation, category: 'fs', stack: [CALLER] };
}

function gcPause(start: number, end: number): ExactInterval {
  return { start, end, attribution: null, operation: 'gc.major', category: 'gc', stack: [] };
}

const byOperation = (parts: StallPart[]) => Object.fromEntries(parts.map((p) => [`${p.operation}@${p.callSite?.line ?? '-'}`, p.durationMs]));
const total = (parts: StallPart[]) => parts.reduce((sum, p) => sum + p.durationMs, 0);

describe('a late sample whose stack shows only where JavaScript resumed', () => {
  it('gives its wait to native code, call not known, and the resumed line only the time after it was served', () => {
    // Asked for at 40, served at 300 in the logger the next line called.
    const parts = samplesToParts({ start: 0, end: 310 }, [sample(300, [LOGGER, NEXT_LINE], 40)], TIMING);
    expect(parts[0]).toMatchObject({ callSite: null, operation: UNKNOWN_NATIVE_CALL, category: 'native', durationMs: 300, samples: 0 });
    // The stack of the native part is where JavaScript resumed: the place to look just before.
    expect(parts[0]!.stack).toEqual([LOGGER, NEXT_LINE]);
    expect(parts[1]).toMatchObject({ operation: 'log', category: 'js', durationMs: 10, samples: 1 });
    expect(parts[1]!.callSite).toEqual(LOGGER);
    expect(total(parts)).toBe(310);
  });

  it('splits with the sample before it halfway to when it was asked for', () => {
    const parts = samplesToParts({ start: 0, end: 400 }, [sample(100, [frame(8)]), sample(390, [NEXT_LINE], 150)], TIMING);
    expect(byOperation(parts)).toEqual({ 'handle@8': 125, [`${UNKNOWN_NATIVE_CALL}@-`]: 265, 'handle@13': 10 });
  });

  it('is late from lateAfterMs on: a sample 29 ms late keeps its stack', () => {
    const onTime = samplesToParts({ start: 0, end: 100 }, [sample(90, [NEXT_LINE], 61)], TIMING);
    expect(onTime).toHaveLength(1);
    expect(onTime[0]).toMatchObject({ operation: 'handle', durationMs: 100 });
    const late = samplesToParts({ start: 0, end: 100 }, [sample(90, [NEXT_LINE], 60)], TIMING);
    expect(late[0]).toMatchObject({ operation: UNKNOWN_NATIVE_CALL, durationMs: 90 });
  });

  it('carries the span the sample saw: the native call ran in the same task', () => {
    const parts = samplesToParts({ start: 0, end: 310 }, [sample(300, [NEXT_LINE], 40, { traceId: 't1', spanId: 's1', traceFlags: 1 })], TIMING);
    expect(parts[0]).toMatchObject({ operation: UNKNOWN_NATIVE_CALL, traceId: 't1', spanId: 's1', traceFlags: 1 });
  });

  it('keeps its wait when it resumed in the same work as the sample before it', () => {
    // A loop on line 20, seen before and after the wait: the line is right, whatever held it up.
    const loop = frame(20);
    const parts = samplesToParts({ start: 0, end: 400 }, [sample(100, [loop]), sample(390, [loop], 150)], TIMING);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ operation: 'handle', category: 'js', durationMs: 400, samples: 2 });
  });

  it('keeps its wait when the stack shows the call: a Node API, or a package of known nature', () => {
    const pbkdf2 = { file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' };
    const bcrypt = frame(19, 'hashSync', '/app/node_modules/bcrypt/bcrypt.js');
    for (const [top, operation] of [[pbkdf2, 'crypto.pbkdf2Sync'], [bcrypt, 'bcrypt.hashSync']] as const) {
      const parts = samplesToParts({ start: 0, end: 310 }, [sample(300, [top, CALLER], 40)], TIMING);
      expect(parts).toHaveLength(1);
      expect(parts[0]).toMatchObject({ operation, category: 'crypto', durationMs: 310 });
      expect(parts[0]!.callSite).toEqual(CALLER);
    }
  });
});

describe('a late sample whose wait a probe explains', () => {
  it('gives the probed call its exact time and what is left of the wait to its caller, not to the resumed line', () => {
    // The call ran from 2 to 298; the sample asked for at 40 was served at 300, in the logger.
    const parts = samplesToParts({ start: 0, end: 310 }, [sample(300, [LOGGER, NEXT_LINE], 40)], TIMING, NO_SOURCE, [addonCall(2, 298)]);
    expect(parts[0]).toMatchObject({ operation: 'better-sqlite3.Statement.get', category: 'fs', durationMs: 296, exact: true, calls: 1 });
    expect(parts[0]!.callSite).toEqual(CALLER);
    // Before and after the call: the caller's own work at line 12, 4 ms.
    expect(byOperation(parts)).toEqual({ 'better-sqlite3.Statement.get@12': 296, 'handle@12': 4, 'log@3': 10 });
    expect(parts.find((p) => p.operation === 'handle')!.stack).toEqual([CALLER]);
  });

  it('explains a wait that probes cover but for less than lateAfterMs', () => {
    const parts = samplesToParts({ start: 0, end: 310 }, [sample(300, [NEXT_LINE], 40)], TIMING, NO_SOURCE, [addonCall(68, 299)]);
    // 29 ms of the wait (40..68 and 299..300) are not covered: that could be JavaScript.
    expect(parts.map((p) => p.operation)).not.toContain(UNKNOWN_NATIVE_CALL);
    expect(byOperation(parts)).toEqual({ 'better-sqlite3.Statement.get@12': 231, 'handle@12': 69, 'handle@13': 10 });
  });

  it('leaves what a probed call does not cover, lateAfterMs or more of it, to native code of a call not known', () => {
    // The probed call ran 40..100; something else, not probed, held the sample up until 300.
    const parts = samplesToParts({ start: 0, end: 310 }, [sample(300, [NEXT_LINE], 40)], TIMING, NO_SOURCE, [addonCall(40, 100)]);
    expect(byOperation(parts)).toEqual({ 'better-sqlite3.Statement.get@12': 60, [`${UNKNOWN_NATIVE_CALL}@-`]: 240, 'handle@13': 10 });
  });

  it('counts overlapping intervals once when it measures how much of the wait they cover', () => {
    // A GC pause inside the call covers nothing more: 29 ms are still not covered.
    const parts = samplesToParts({ start: 0, end: 310 }, [sample(300, [NEXT_LINE], 40)], TIMING, NO_SOURCE, [addonCall(68, 299), gcPause(100, 150)]);
    expect(parts.map((p) => p.operation)).not.toContain(UNKNOWN_NATIVE_CALL);
    // Counted twice, the pause would hide 42 ms that nothing covers.
    const uncovered = samplesToParts({ start: 0, end: 310 }, [sample(300, [NEXT_LINE], 40)], TIMING, NO_SOURCE, [addonCall(80, 298), gcPause(100, 150)]);
    expect(uncovered.map((p) => p.operation)).toContain(UNKNOWN_NATIVE_CALL);
  });

  it('leaves a wait that GC pauses explain with the resumed stack, the JavaScript the collector interrupted', () => {
    const parts = samplesToParts({ start: 0, end: 310 }, [sample(300, [NEXT_LINE], 40)], TIMING, NO_SOURCE, [gcPause(35, 299)]);
    expect(byOperation(parts)).toEqual({ 'gc.major@13': 264, 'handle@13': 46 });
  });
});

describe('profiles of a stall with a late sample', () => {
  it("give the resumed stack only the time from when it was served, never the wait", () => {
    const samples = [sample(100, [frame(8)]), sample(390, [LOGGER, NEXT_LINE], 150)];
    const weighted = weighSamples({ start: 0, end: 400 }, samples, TIMING);
    expect(weighted.map((w) => [w.stack[0]!.line, w.from, w.to])).toEqual([
      [8, 0, 125],
      [3, 390, 400],
    ]);
  });

  it('are the same whether or not a probe explains the wait', () => {
    const samples = [sample(300, [LOGGER, NEXT_LINE], 40)];
    const bare = weighSamples({ start: 0, end: 310 }, samples, TIMING);
    const probed = weighSamples({ start: 0, end: 310 }, samples, TIMING, NO_SOURCE, [addonCall(2, 298)]);
    expect(probed.map((w) => [w.from, w.to])).toEqual([[300, 310]]);
    expect(bare.map((w) => [w.from, w.to])).toEqual([[300, 310]]);
  });
});
