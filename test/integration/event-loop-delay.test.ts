import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

/**
 * The event-loop delay with the beats that stalls swallowed: fixtures/delay-stalls.js
 * blocks twice for 300 ms (its own measure) among 1.5 s of idle timers. Each stall is one
 * late beat of the 10 ms heartbeat; the corrected figures add the beats due during it.
 */
describe('event-loop delay, corrected for the beats stalls swallowed', () => {
  it('records the swallowed beats of each stall, and keeps the per-beat figures beside', () => {
    const run = runCli(['run', 'fixtures/delay-stalls.js']);
    expect(run.status).toBe(0);
    const stalls = run.truth.filter((t) => t.label === 'delay-spin').map((t) => t.ms);
    expect(stalls).toHaveLength(2);
    const delay = run.report!.processes[0]!.eventLoopDelay!;
    const beats = delay.beats!;
    const corrected = delay.corrected!;
    // A beat due t ms into a stall of D ms runs about D - t late: with one due in every
    // 10 ms of the stall, each stall swallowed floor(D / 10) beats, give or take one
    // (where the stall began between two beats). A loaded machine may make idle beats
    // late too, and add a few.
    const expected = stalls.reduce((n, d) => n + Math.floor(d / 10), 0);
    const swallowed = corrected.beats - beats;
    expect(swallowed).toBeGreaterThanOrEqual(expected - 2 * stalls.length);
    expect(swallowed).toBeLessThanOrEqual(expected + 15);
    // Per beat, the two late beats are 2 in about 150: the p90 is a punctual beat. With the
    // swallowed beats, 60 of about 210 are 10 to 300 ms late: the p90 is the 39th of those,
    // from the top of the corrected list, about 100 ms below the stalls' length.
    expect(delay.p90Ms).toBeLessThan(50);
    const lateValues = stalls.flatMap((d) => Array.from({ length: Math.floor(d / 10) + 1 }, (_, k) => d - 5 - 10 * k)).filter((v) => v > 0);
    const all = [...Array.from({ length: corrected.beats - lateValues.length }, () => 0), ...lateValues].sort((a, b) => a - b);
    const expectedP90 = all[Math.ceil(0.9 * all.length) - 1]!;
    expect(expectedP90).toBeGreaterThan(100);
    expect(Math.abs(corrected.p90Ms - expectedP90)).toBeLessThanOrEqual(25);
    expect(delay.maxMs).toBeGreaterThan(Math.min(...stalls) - 10);
    // The text report leads with the corrected figures and says what the per-beat ones are.
    expect(run.stderr).toContain(`counting ${swallowed} swallowed beats; per beat that ran: p50 `);
  });
});
