import { describe, expect, it } from 'vitest';
import { leavePausesOut } from '../../src/attribution/attribute';
import type { PausedRecord, StallRecord } from '../../src/recording/schema';

/** A stall of the heartbeat at seq 3: busy from 1,000 to 2,000 (1 s). */
const stall: StallRecord = { type: 'stall', seq: 3, start: 1_000, end: 2_000, durationMs: 1_000, inProgressAtExit: false, phase: 'run' };
const paused = (from: number, to: number, seq = 3): PausedRecord => ({ type: 'paused', seq, from, to });

describe('leavePausesOut', () => {
  it('leaves a stall without pauses as it is', () => {
    expect(leavePausesOut(stall, [paused(1_000, 1_900, 4)], 50)).toBe(stall);
  });

  it('drops a stall that was a pause and nothing more over the threshold', () => {
    // 960 ms paused, 40 ms of the program's own: under a 50 ms threshold.
    expect(leavePausesOut(stall, [paused(1_000, 1_960)], 50)).toBeUndefined();
  });

  it('keeps what is left of it, at its end, when that is still a stall', () => {
    // Paused 600 ms at a breakpoint, then 400 ms of the program's own work.
    expect(leavePausesOut(stall, [paused(1_000, 1_600)], 50)).toEqual({ ...stall, start: 1_600, durationMs: 400 });
  });

  it('counts overlapping pauses once, and only within the stall', () => {
    // 900..1,300 (300 ms inside the stall) and 1,200..1,500: 500 ms paused in all.
    expect(leavePausesOut(stall, [paused(900, 1_300), paused(1_200, 1_500)], 50)).toEqual({ ...stall, start: 1_500, durationMs: 500 });
  });
});
