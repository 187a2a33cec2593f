import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, runCli, toleranceMs, type Truth } from './run-cli';

/**
 * Storms of stalls: sampling is bounded per process, not per stall, and every stall it
 * does not sample is still counted and timed, and said to be unsampled.
 */
describe('a storm of stalls', () => {
  it('is sampled up to the process\'s bound, and every stall past it is still counted, timed, and said to be unsampled', () => {
    // 1 sample a second over 10 s: 10 samples in all, for 12 stalls of 60 ms that would take 3 or 4 each.
    const run = runCli(['run', join(FIXTURES, 'stall-storm.js')], { env: { LOOPWATCH_MAX_SAMPLES_PER_SECOND: '1' } });
    expect(run.status).toBe(0);
    const report = run.report!;
    const truths = run.truth.filter((t) => t.label === 'storm') as Array<Truth & { start: number; end: number }>;
    expect(truths).toHaveLength(12);
    // Each spin's stall is the one that ended at the beat after it, before the next spin
    // began (a loaded machine can add a stall of its own elsewhere). Told by its end, not
    // its start: the heartbeat places a window's busy time at its end, and the loop can
    // idle between the spin and that beat.
    const stalls = truths.map((t, i) => {
      const before = truths[i + 1]?.start ?? Infinity;
      return report.stalls.find((s) => s.kind === 'event-loop' && s.start + s.durationMs >= t.end - 1 && s.start + s.durationMs <= before + 1);
    });
    expect(stalls.every((s) => s !== undefined)).toBe(true);
    expect(new Set(stalls).size).toBe(12);
    // Each timed as its own spin, sampled or not: at least the spin's own time, and short of
    // two spins (a stall's window also holds the callback around the spin, and on a loaded
    // machine the time it waited for a CPU there, so only the lower bound is the tight one).
    stalls.forEach((stall, i) => {
      expect(stall!.durationMs).toBeGreaterThanOrEqual(truths[i]!.ms - toleranceMs(truths[i]!.ms));
      expect(stall!.durationMs).toBeLessThan(2 * truths[i]!.ms);
    });
    expect(stalls.reduce((sum, s) => sum + s!.samples, 0)).toBeLessThanOrEqual(10);
    const unsampled = stalls.filter((s) => s!.samples === 0).length;
    expect(unsampled).toBeGreaterThan(0);
    // Stalls the bound left unsampled, and only those, are counted in the warning (each of the others had a sample).
    const warning = report.warnings.find((w) => w.includes('the sampling bound'));
    expect(warning).toMatch(/: (\d+) stalls? not sampled: the sampling bound \(1 sample a second, over 10 s\) was reached/);
    const said = Number(/: (\d+) stalls? not sampled/.exec(warning!)![1]);
    expect(said).toBeGreaterThan(0);
    expect(said).toBeLessThanOrEqual(unsampled);
  });

  it('of stalls shorter than the watchdog\'s first look says why they have no call site', () => {
    const run = runCli(['run', '--threshold', '1', join(FIXTURES, 'short-stalls.js')]);
    expect(run.status).toBe(0);
    const report = run.report!;
    const unknown = report.stalls.filter((s) => s.kind === 'event-loop' && s.category === 'unknown');
    expect(unknown.length).toBeGreaterThan(50);
    const warning = report.warnings.find((w) => w.includes('ended before the watchdog could sample'));
    expect(warning).toMatch(/: [\d,]+ stalls with no call site ended before the watchdog could sample them \(it looks after 15 ms without a heartbeat.*a threshold under 30 ms counts stalls it cannot sample\)/);
    const said = Number(/: ([\d,]+) stalls/.exec(warning!)![1]!.replace(/,/g, ''));
    expect(said).toBeGreaterThan(unknown.length / 2);
    expect(said).toBeLessThanOrEqual(unknown.length);
  });
});
