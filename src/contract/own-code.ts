import { resolve } from 'node:path';

/**
 * loopwatch's own code, across every copy of loopwatch loaded into one thread: a project
 * whose tests run another loopwatch under the one watching them (its own clone, a second
 * install), or a program that loads loopwatch while `loopwatch run` watches it. Each
 * copy adds its directory, and the functions its probes replaced, to one registry kept on
 * globalThis under a registered symbol (not enumerable), so that every copy's agent knows
 * the others' code as loopwatch's: never the program's frames, and its writes never the
 * program's sync I/O.
 */
interface OwnCode {
  /** The compiled code of each copy (its dist/), with a trailing slash. */
  dirs: string[];
  /** A replacement a probe installed -> the function it replaced. */
  originals: WeakMap<object, unknown>;
}

const KEY = Symbol.for('loopwatch.own-code');

function registry(): OwnCode {
  const holder = globalThis as Record<symbol, OwnCode | undefined>;
  let own = holder[KEY];
  if (!own) {
    own = { dirs: [], originals: new WeakMap() };
    Object.defineProperty(globalThis, KEY, { value: own, configurable: true, enumerable: false, writable: false });
  }
  return own;
}

const own = registry();

/** This copy's compiled code (the package's dist/, or src/ when run from source). */
export const OWN_DIR = resolve(__dirname, '..') + '/';
if (!own.dirs.includes(OWN_DIR)) own.dirs.push(OWN_DIR);

/** Whether a file is loopwatch's own code, of this copy or of another loaded into this thread. */
export function isOwnFile(file: string): boolean {
  for (const dir of own.dirs) if (file.startsWith(dir)) return true;
  return false;
}

/** Replacement -> original, shared by every copy's probes. */
export const originals = own.originals;

/** The function a probe's replacement stands for (itself when it is none), whichever copy replaced it. */
export function originalOf<F>(fn: F): F {
  return ((typeof fn === 'function' ? originals.get(fn) : undefined) as F | undefined) ?? fn;
}
