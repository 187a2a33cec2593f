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

/** performance.now() at which startup ended; -1 while it lasts (or is not known to have ended). */
let startupEndMs = -1;
/** In a worker thread, the end of startup is marked by the agent (startupEndsAtFirstTurn), not read from Node. */
let marked = false;
/** The main entry was seen still loading after the loop's first turn (an ES module on Node.js 20). */
let mainLoadingSeenMs = -1;

/**
 * Whether Node.js is still loading and evaluating an ES module main entry. Node.js 20
 * loads one after the event loop's first turn (its loader reads the files with the
 * loop's help), so its top-level code runs in the loop's callbacks: a top-level
 * readFileSync in `app.mjs` came after loopStart where the same line in `app.js` came
 * before it. Meanwhile Node.js 20 has a listener of its own on process 'exit',
 * `handleProcessExit` (it warns of a top-level await left unsettled), and removes it once
 * the main module has been evaluated (top-level awaits included). Node.js 22 and later
 * evaluate an ES module main entry before the first turn, as CommonJS, and have no such
 * listener then. Reading the listeners emits nothing the program could see.
 */
function mainEntryLoading(): boolean {
  if (process.listenerCount('exit') === 0) return false;
  return process.listeners('exit').some((listener) => listener.name === 'handleProcessExit');
}

/**
 * Startup ends at the event loop's first turn (the moment Node's --trace-sync-io starts
 * to warn) or, for an ES module main entry that Node.js loads after that turn, once it
 * has been evaluated: then at the first moment it is seen evaluated (the calls and beats
 * that look). Returns the end, or -1 while startup lasts.
 */
function startupEnd(): number {
  if (startupEndMs >= 0 || marked) return startupEndMs;
  const loopStart = performance.nodeTiming.loopStart;
  if (loopStart < 0) return -1;
  const nowMs = performance.now();
  if (mainEntryLoading()) {
    mainLoadingSeenMs = nowMs;
    return -1;
  }
  startupEndMs = mainLoadingSeenMs < 0 ? loopStart : nowMs;
  return startupEndMs;
}

/**
 * 'startup' until startup ended (startupEnd), then 'run'. `ms` is a performance.now()
 * reading. Looks at Node's milestones only until startup has ended.
 */
export function phaseAt(ms: number): 'startup' | 'run' {
  const end = startupEnd();
  return end >= 0 && ms >= end ? 'run' : 'startup';
}

/**
 * The main thread's agent, from its preload: looks whether the main entry is loading at
 * the loop's first turn, and at each beat after until startup ended, so that the end of
 * an ES module main entry's evaluation is known to a beat even when no probed call looks.
 * Returns the end of startup as epoch ms when it is an ES module's evaluation after the
 * first turn, null when startup ended at the first turn, undefined while it lasts.
 */
export function noteStartupEnd(): number | null | undefined {
  const end = startupEnd();
  if (end < 0) return undefined;
  return mainLoadingSeenMs < 0 ? null : ORIGIN + end;
}

/**
 * A worker thread's loop turns before its script runs (Node hands the worker its script
 * in a message), so Node's loopStart is not the end of its startup: the agent, started
 * inside that message's handler just before the script, marks startup as lasting until
 * its first turn after the script.
 */
export function startupEndsAtFirstTurn(): void {
  marked = true;
  const immediate = setImmediate(() => {
    startupEndMs = performance.now();
  });
  immediate.unref();
}
