import type { SampleRecord, StallRecord, StartupRecord } from '../recording/schema';
import type { ExactInterval } from './samples-to-stall';

/** What a startup stall's time, before the first turn, is known to have gone to. */
export const LOOPWATCH_SETUP = 'loopwatch setup';
export const MAIN_MODULE = 'main module';

/**
 * A startup stall's known stretches: loopwatch's own setup (its samples would show only
 * loopwatch's frames, left out), and, when no sample showed JavaScript (the watchdog was
 * not up yet), the main module's evaluation until the first turn, at the main file. The
 * require() calls recorded in it still take their own time (they are cut out after).
 */
export function startupIntervals(stall: StallRecord, startup: StartupRecord, samples: SampleRecord[]): ExactInterval[] {
  const intervals: ExactInterval[] = [];
  const within = (start: number, end: number) => Math.min(end, stall.end) > Math.max(start, stall.start);
  if (within(startup.setupStart, startup.setupEnd)) {
    const attribution = { callSite: null, operation: LOOPWATCH_SETUP, category: 'js' as const };
    intervals.push({ start: startup.setupStart, end: startup.setupEnd, attribution, operation: LOOPWATCH_SETUP, category: 'js', stack: [] });
  }
  const sampled = samples.some((s) => s.at > stall.start && s.at <= stall.end && s.frames.length > 0);
  const mainEnd = startup.mainEvaluated ?? startup.loopStart ?? stall.end;
  if (!sampled && startup.main !== null && within(startup.setupEnd, mainEnd)) {
    const callSite = { file: startup.main, line: null, column: null, function: null };
    const attribution = { callSite, operation: MAIN_MODULE, category: 'js' as const };
    intervals.push({ start: startup.setupEnd, end: mainEnd, attribution, operation: MAIN_MODULE, category: 'js', stack: [callSite], fillsRest: true });
  }
  return intervals;
}
