/**
 * How deep the current thread is inside probed calls, or inside loopwatch's own work:
 * only a call made at depth 0 is timed. A call made inside another probed call (the
 * openSync inside a readFileSync) belongs to the outer one, and one made by loopwatch
 * itself (a stack formatter that reads a source map) is not the program's.
 */
export const probeDepth = { value: 0 };

/** Runs loopwatch's own work: the sync calls it makes are not timed. */
export function untimed<T>(fn: () => T): T {
  probeDepth.value += 1;
  try {
    return fn();
  } finally {
    probeDepth.value -= 1;
  }
}
