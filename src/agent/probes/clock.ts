import { performance } from 'node:perf_hooks';

/**
 * The probes' clock. Calls are timed with performance.now() (about 85 ns a read on the
 * development machine); the epoch time the recording wants is added only to what is
 * recorded. timeOrigin is read once: it is a getter, and it does not change.
 */
const ORIGIN = performance.timeOrigin;

export const now = (): number => performance.now();

/** A performance.now() reading as epoch milliseconds (the recording's time scale). */
export function toEpoch(ms: number): number {
  return ORIGIN + ms;
}

export function epochNow(): number {
  return ORIGIN + performance.now();
}

let loopStartMs = -1;

/**
 * 'startup' until the event loop's first turn (the moment Node's --trace-sync-io starts
 * to warn), then 'run'. `ms` is a performance.now() reading. Reads Node's milestone
 * only until it is set.
 */
export function phaseAt(ms: number): 'startup' | 'run' {
  if (loopStartMs < 0) {
    const loopStart = performance.nodeTiming.loopStart;
    if (loopStart < 0) return 'startup';
    loopStartMs = loopStart;
  }
  return ms < loopStartMs ? 'startup' : 'run';
}
