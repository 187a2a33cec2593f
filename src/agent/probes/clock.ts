import { performance } from 'node:perf_hooks';

/** Now, in epoch milliseconds with sub-millisecond fractions (the recording's time scale). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

let loopStartedAt = -1;

/**
 * 'startup' until the event loop's first turn (the moment Node's --trace-sync-io starts
 * to warn), then 'run'. Reads Node's milestone only until it is set.
 */
export function phaseAt(epochMs: number): 'startup' | 'run' {
  if (loopStartedAt < 0) {
    const loopStart = performance.nodeTiming.loopStart;
    if (loopStart < 0) return 'startup';
    loopStartedAt = performance.timeOrigin + loopStart;
  }
  return epochMs < loopStartedAt ? 'startup' : 'run';
}
