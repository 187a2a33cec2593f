import { isOwnFile, OWN_DIR } from '../../contract/own-code';

/**
 * Keeping loopwatch out of the program's error stacks. A replaced function is one frame
 * of loopwatch's between the program and Node's function, and V8 captures a stack when
 * an error is made: without care, an error thrown by `fs.readFileSync` would show that
 * frame, and lose one of the program's own to Node's 10-frame limit.
 *
 * So a replacement raises Error.stackTraceLimit by one while the original runs (a stack
 * captured then has room for loopwatch's frame and all the program's), and the agent's
 * stack formatter, in front of the one Node had, leaves loopwatch's frames out of every
 * stack it formats. The error itself is not touched: not caught, not thrown again (which
 * would move the source line Node prints above an uncaught exception to loopwatch's).
 *
 * What remains: a program that installs an Error.prepareStackTrace of its own (vitest,
 * source-map-support) formats its stacks without loopwatch's filter, and shows its frame
 * where one was on the stack; a program that reads Error.stackTraceLimit inside a
 * replaced call (in code a require() runs, in a dns.lookup callback) sees it one higher.
 * A program that sets it there keeps what it set.
 */

/**
 * loopwatch's compiled code (the package's dist/): frames in here are loopwatch's, never
 * the program's, whether the agent's own or the recording writer's it calls. Another copy
 * of loopwatch loaded into the same thread registers its own (contract/own-code.ts).
 */
export const AGENT_DIR = OWN_DIR;

/** Before calling the original: room for one more frame. Returns what `leave` needs. */
export function enter(): number | undefined {
  const limit = Error.stackTraceLimit;
  if (typeof limit !== 'number' || !Number.isFinite(limit)) return undefined;
  Error.stackTraceLimit = limit + 1;
  return limit + 1;
}

/** After the original returned or threw: the limit as it was, unless the program set its own meanwhile. */
export function leave(raised: number | undefined): void {
  if (raised !== undefined && Error.stackTraceLimit === raised) Error.stackTraceLimit = raised - 1;
}

export function isOwnFrame(site: NodeJS.CallSite): boolean {
  const file = site.getFileName();
  return file !== undefined && file !== null && isOwnFile(file);
}

type Prepare = (error: Error, sites: NodeJS.CallSite[]) => unknown;

/** The agent's formatter, and the one it stands in front of. */
interface Filtering extends Prepare {
  next: Prepare | undefined;
}

let installed: Filtering | undefined;

/**
 * Puts the agent's formatter in front of the current Error.prepareStackTrace (Node's own,
 * which maps source maps when they are on). Returns the undo, which puts it back unless
 * the program installed another formatter since.
 */
export function installFrameFilter(): () => void {
  if (installed) return () => {};
  const next = Error.prepareStackTrace as Prepare | undefined;
  const filtering = function prepareStackTrace(error: Error, sites: NodeJS.CallSite[]): unknown {
    const kept = sites.some(isOwnFrame) ? sites.filter((site) => !isOwnFrame(site)) : sites;
    if (filtering.next) return filtering.next(error, kept);
    return `${String(error)}${kept.map((site) => `\n    at ${String(site)}`).join('')}`;
  } as Filtering;
  filtering.next = next;
  Error.prepareStackTrace = filtering as typeof Error.prepareStackTrace;
  installed = filtering;
  return () => {
    if (Error.prepareStackTrace === (filtering as unknown)) Error.prepareStackTrace = next as typeof Error.prepareStackTrace;
    if (installed === filtering) installed = undefined;
  };
}

/** The formatter that really formats: past the agent's filter, if it is in front. */
export function formatterBehind(prepare: unknown): unknown {
  return prepare !== undefined && prepare === installed ? installed.next : prepare;
}
