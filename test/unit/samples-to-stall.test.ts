import { describe, expect, it } from 'vitest';
import { causeKey, samplesToParts } from '../../src/attribution/samples-to-stall';
import type { SourceLines } from '../../src/attribution/source';
import type { RecordedFrame, SampleRecord } from '../../src/recording/schema';

const TIMING = { lateAfterMs: 30 };
const FILE = '/app/server.js';

function frame(line: number, column = 5, fn: string | null = 'handler', file: string | null = FILE): RecordedFrame {
  return { file, line, column, function: fn };
}

/**
 * A sample served late inside the native call that held it up: pbkdf2Sync's JavaScript is
 * still on the stack, above the program's line.
 */
function inPbkdf2(line: number): RecordedFrame[] {
  return [{ file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' }, frame(line)];
}

/** A timely sample (served 1 ms after it was asked for) unless `requestedAt` says otherwise. */
function sample(at: number, frames: RecordedFrame[], extra: Partial<SampleRecord> = {}): SampleRecord {
  return { type: 'sample', seq: 1, requestedAt: at - 1, at, frames, ...extra };
}

describe('samplesToParts', () => {
  it('weights each sample by the time since the previous one, the tail going to the last', () => {
    // B was asked for at 1200 and served at 1390: a native call held it up from 1200.
    const parts = samplesToParts(
      { start: 1000, end: 1400 },
      [sample(1200, [frame(10)]), sample(1390, inPbkdf2(20), { requestedAt: 1200 })],
      TIMING,
    );
    expect(parts).toHaveLength(2);
    const byLine = new Map(parts.map((p) => [p.callSite?.line, p]));
    expect(byLine.get(10)?.durationMs).toBe(200);
    expect(byLine.get(20)?.durationMs).toBe(200); // 190 + 10 after the last sample
    expect(byLine.get(10)?.samples).toBe(1);
    expect(byLine.get(20)?.samples).toBe(1);
  });

  it('splits at the midpoint between two timely samples showing different work', () => {
    const parts = samplesToParts({ start: 1000, end: 1400 }, [sample(1200, [frame(10)]), sample(1390, [frame(20)])], TIMING);
    const byLine = new Map(parts.map((p) => [p.callSite?.line, p.durationMs]));
    expect(byLine.get(10)).toBe(200 + 95); // up to (1200 + 1390) / 2
    expect(byLine.get(20)).toBe(95 + 10);
  });

  it('a late sample after different work: the change is put halfway to when it was asked for', () => {
    const parts = samplesToParts(
      { start: 1000, end: 1400 },
      [sample(1100, [frame(10)]), sample(1390, inPbkdf2(20), { requestedAt: 1150 })],
      TIMING,
    );
    const byLine = new Map(parts.map((p) => [p.callSite?.line, p.durationMs]));
    expect(byLine.get(10)).toBe(100 + 25); // up to (1100 + 1150) / 2
    expect(byLine.get(20)).toBe(265 + 10);
  });

  it('never moves the change before the previous sample', () => {
    const parts = samplesToParts(
      { start: 1000, end: 1400 },
      [sample(1100, [frame(10)]), sample(1390, inPbkdf2(20), { requestedAt: 1000 })],
      TIMING,
    );
    const byLine = new Map(parts.map((p) => [p.callSite?.line, p.durationMs]));
    expect(byLine.get(10)).toBe(100);
    expect(byLine.get(20)).toBe(300);
  });

  it('always hands out exactly the stall duration', () => {
    const parts = samplesToParts(
      { start: 0, end: 1000 },
      [sample(130, [frame(1)]), sample(170, [frame(2)], { requestedAt: 100 }), sample(420, [frame(1)]), sample(777, [frame(3)]), sample(990, [frame(3)])],
      TIMING,
    );
    expect(parts.reduce((sum, p) => sum + p.durationMs, 0)).toBe(1000);
    expect(parts.reduce((sum, p) => sum + p.samples, 0)).toBe(5);
    expect(parts.every((p) => p.durationMs >= 0)).toBe(true);
  });

  it('ignores samples outside the window (at the start itself, before, after)', () => {
    const parts = samplesToParts(
      { start: 1000, end: 1400 },
      [sample(900, [frame(1)]), sample(1000, [frame(2)]), sample(1100, [frame(10)]), sample(1500, [frame(3)])],
      TIMING,
    );
    expect(parts).toHaveLength(1);
    expect(parts[0]!.callSite?.line).toBe(10);
    expect(parts[0]!.durationMs).toBe(400);
    expect(parts[0]!.samples).toBe(1);
  });

  it('counts a sample at the very end of the window', () => {
    const parts = samplesToParts({ start: 1000, end: 1400 }, [sample(1400, [frame(10)])], TIMING);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.durationMs).toBe(400);
  });

  it('sorts samples by time before weighting', () => {
    const parts = samplesToParts({ start: 1000, end: 1400 }, [sample(1390, [frame(20)]), sample(1100, [frame(10)])], TIMING);
    const byLine = new Map(parts.map((p) => [p.callSite?.line, p.durationMs]));
    expect(byLine.get(10)).toBe(100 + 145); // up to (1100 + 1390) / 2
    expect(byLine.get(20)).toBe(145 + 10);
  });

  it('no samples → one unknown part with the whole duration', () => {
    const parts = samplesToParts({ start: 1000, end: 1250 }, [], TIMING);
    expect(parts).toEqual([{ callSite: null, operation: 'unknown', category: 'unknown', durationMs: 250, samples: 0, stack: [] }]);
  });

  it('parts come out longest first', () => {
    const parts = samplesToParts(
      { start: 0, end: 1000 },
      [sample(100, [frame(1)]), sample(200, [frame(2)]), sample(900, [frame(3)])],
      TIMING,
    );
    // Changes at 150 and 550 (midpoints); the tail after 900 goes to line 3.
    expect(parts.map((p) => [p.callSite?.line, p.durationMs])).toEqual([
      [3, 450],
      [2, 400],
      [1, 150],
    ]);
  });

  it('merges samples on the same line and function whatever their column', () => {
    const parts = samplesToParts(
      { start: 0, end: 300 },
      [sample(100, [frame(7, 3)]), sample(200, [frame(7, 18)]), sample(250, [frame(7, 40)])],
      TIMING,
    );
    expect(parts).toHaveLength(1);
    expect(parts[0]!.samples).toBe(3);
    expect(parts[0]!.durationMs).toBe(300);
    // The part keeps the first sample's stack and call site.
    expect(parts[0]!.callSite?.column).toBe(3);
    expect(parts[0]!.stack).toEqual([{ file: FILE, line: 7, column: 3, function: 'handler' }]);
  });

  it('attributes each sample through the stack: a pbkdf2Sync sample is crypto at the user line', () => {
    const stack = [{ file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' }, frame(12, 10, 'hash')];
    const parts = samplesToParts({ start: 0, end: 300 }, [sample(299, stack)], TIMING);
    expect(parts[0]).toMatchObject({ operation: 'crypto.pbkdf2Sync', category: 'crypto', durationMs: 300, samples: 1 });
    expect(parts[0]!.callSite).toEqual({ file: FILE, line: 12, column: 10, function: 'hash' });
    expect(parts[0]!.stack).toHaveLength(2);
  });

  it('normalizes file:// URLs in the stacks', () => {
    const parts = samplesToParts({ start: 0, end: 100 }, [sample(50, [frame(3, 1, 'f', 'file:///app/x.mjs')])], TIMING);
    expect(parts[0]!.callSite?.file).toBe('/app/x.mjs');
    expect(parts[0]!.stack[0]!.file).toBe('/app/x.mjs');
  });

  it('carries the first traceId/spanId seen for a part', () => {
    const parts = samplesToParts(
      { start: 0, end: 400 },
      [
        sample(100, [frame(10)]),
        sample(200, [frame(10)], { traceId: 'trace-a', spanId: 'span-a' }),
        sample(300, [frame(10)], { traceId: 'trace-b', spanId: 'span-b' }),
        sample(350, [frame(20)]),
      ],
      TIMING,
    );
    const traced = parts.find((p) => p.callSite?.line === 10)!;
    expect(traced.traceId).toBe('trace-a');
    expect(traced.spanId).toBe('span-a');
    const untraced = parts.find((p) => p.callSite?.line === 20)!;
    expect(untraced.traceId).toBeUndefined();
    expect(untraced.spanId).toBeUndefined();
  });

  describe('late samples after a JSON call', () => {
    const source: SourceLines = {
      line: (file, line) =>
        file === FILE
          ? ({
              9: 'function handler(body) {',
              10: '  const obj = JSON.parse(body);',
              11: '  count(obj);',
            } as Record<number, string>)[line]
          : undefined,
    };
    const resumedAt = frame(11, 3, 'handler');

    it('a late sample showing plain JS just after a JSON.parse line goes to that line', () => {
      const parts = samplesToParts({ start: 0, end: 500 }, [sample(480, [resumedAt], { requestedAt: 100 })], TIMING, source);
      expect(parts).toHaveLength(1);
      expect(parts[0]).toMatchObject({ operation: 'JSON.parse', category: 'json', durationMs: 500, samples: 1 });
      expect(parts[0]!.callSite).toEqual({ file: FILE, line: 10, column: '  const obj = JSON.'.length + 1, function: 'handler' });
    });

    it('exactly lateAfterMs late counts as late', () => {
      const parts = samplesToParts({ start: 0, end: 500 }, [sample(480, [resumedAt], { requestedAt: 450 })], TIMING, source);
      expect(parts[0]!.operation).toBe('JSON.parse');
    });

    it('a timely sample at the same place stays where it was', () => {
      const parts = samplesToParts({ start: 0, end: 500 }, [sample(480, [resumedAt], { requestedAt: 475 })], TIMING, source);
      expect(parts[0]).toMatchObject({ operation: 'handler', category: 'js' });
      expect(parts[0]!.callSite?.line).toBe(11);
    });

    it('a late sample without source: no JSON call can be found, so its wait is native code of a call not known', () => {
      const parts = samplesToParts({ start: 0, end: 500 }, [sample(480, [resumedAt], { requestedAt: 100 })], TIMING);
      expect(parts[0]).toMatchObject({ callSite: null, operation: 'native code, call not known', category: 'native', durationMs: 480 });
      expect(parts[1]).toMatchObject({ operation: 'handler', category: 'js', durationMs: 20, samples: 1 });
    });
  });
});

describe('causeKey', () => {
  it('ignores the column but not the line, function or operation', () => {
    const site = { file: '/a.js', line: 3, column: 1, function: 'f' };
    const base = causeKey({ callSite: site, operation: 'op' });
    expect(causeKey({ callSite: { ...site, column: 9 }, operation: 'op' })).toBe(base);
    expect(causeKey({ callSite: { ...site, line: 4 }, operation: 'op' })).not.toBe(base);
    expect(causeKey({ callSite: { ...site, function: 'g' }, operation: 'op' })).not.toBe(base);
    expect(causeKey({ callSite: site, operation: 'other' })).not.toBe(base);
    expect(causeKey({ callSite: null, operation: 'unknown' })).toBe('|unknown');
  });
});
