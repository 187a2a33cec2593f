import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/attribution/frames';
import type { Stall } from '../../src/report/schema';
import { stallToCpuProfile } from '../../src/report/to-cpuprofile';

const FRAMES: Frame[] = [
  { file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' },
  { file: '/app/server.js', line: 12, column: 10, function: 'hash' },
  { file: null, line: null, column: null, function: 'JSON.parse' },
];

function stall(profile: Stall['profile']): Stall {
  return { kind: 'event-loop', pid: 1, start: 1000.5, durationMs: 200, profile } as unknown as Stall;
}

describe('stallToCpuProfile', () => {
  // pbkdf2Sync under hash for 150 ms (3 samples), JSON.parse under hash for 50 ms.
  const profile = stallToCpuProfile(
    stall({
      stacks: [
        { frames: [0, 1], durationMs: 150, samples: 3 },
        { frames: [2, 1], durationMs: 50, samples: 1 },
      ],
      omittedStacks: 0,
      omittedMs: 0,
    }),
    FRAMES,
  )!;

  it('builds the call tree from the outermost frame, with 0-based lines and columns and file URLs', () => {
    expect(profile.nodes).toEqual([
      { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 1, children: [2] },
      { id: 2, callFrame: { functionName: 'hash', scriptId: '0', url: 'file:///app/server.js', lineNumber: 11, columnNumber: 9 }, hitCount: 0, children: [3, 4] },
      {
        id: 3,
        callFrame: { functionName: 'pbkdf2Sync', scriptId: '0', url: 'node:internal/crypto/pbkdf2', lineNumber: 64, columnNumber: 2 },
        hitCount: 1,
        children: [],
      },
      { id: 4, callFrame: { functionName: 'JSON.parse', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, hitCount: 1, children: [] },
    ]);
  });

  it('gives each stack one sample lasting its time, in microseconds, closed by a sample in the root', () => {
    expect(profile.samples).toEqual([3, 4, 1]);
    expect(profile.timeDeltas).toEqual([0, 150_000, 50_000]);
    expect(profile.startTime).toBe(1_000_500);
    expect(profile.endTime).toBe(1_000_500 + 200_000);
  });

  it('is undefined for a stall without samples', () => {
    expect(stallToCpuProfile(stall(undefined), FRAMES)).toBeUndefined();
  });
});
