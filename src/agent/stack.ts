import { MAX_FRAMES, SAMPLE_SCRIPT_URL } from '../contract/sample';
import type { RecordedFrame } from '../recording/schema';
import { isOwnFile } from '../contract/own-code';
import { formatterBehind } from './probes/own-frames';
import { untimed } from './probes/untimed';
import type { AnyFunction } from './probes/wrap';

/**
 * Stacks as the agent records them: V8's structured call sites turned into plain
 * frames, with loopwatch's own frames left out (the probes' replacement functions,
 * the sampler's evaluated expression).
 *
 * Source maps: a program compiled from TypeScript, or transformed in memory by a loader
 * or a test runner (tsx, vitest), has its error stacks mapped by whatever formats them:
 * Node's own formatter with --enable-source-maps, or the Error.prepareStackTrace the
 * loader installed. V8's structured call sites bypass that, so when such a formatter is
 * in place the agent also asks it for the stack as text, and takes each frame's file,
 * line and column from there, keeping the generated location beside (`generated`).
 * Files mapped by nobody at run time are mapped after the run, from their source maps
 * on disk (attribution/source-maps.ts).
 */

export { MAX_FRAMES };


/**
 * Node's own formatter, as it was when the agent started (before the program could
 * install one): with it, and source maps off, the text says nothing the call sites don't.
 */
const NODE_PREPARE_STACK_TRACE = formatterBehind(Error.prepareStackTrace);

/** A stack captured now and turned into frames later, only if it turns out to be needed. */
export interface HeldStack {
  stack?: unknown;
  /** Set once formatted: the stack was deeper than MAX_FRAMES. */
  cut?: boolean;
  /** Set once formatted: loopwatch's own frames were on it (and left out). */
  own?: boolean;
}

/** The frames of the current stack, starting at the caller of `below`. */
export function captureFrames(below: AnyFunction): RecordedFrame[] {
  return framesOf(holdStack(below));
}

/**
 * Captures the current stack cheaply (V8 keeps raw frames, a few microseconds), without
 * formatting it: formatting happens on the first read of `stack`, in framesOf.
 */
export function holdStack(below: AnyFunction): HeldStack {
  const savedLimit = Error.stackTraceLimit;
  const held: HeldStack = {};
  try {
    Error.stackTraceLimit = MAX_FRAMES;
    Error.captureStackTrace(held, below);
  } finally {
    Error.stackTraceLimit = savedLimit;
  }
  return held;
}

/** The frames of the current stack from the caller of `below`, and whether the capture's limit cut its outermost ones off. */
export function captureFramesCut(below: AnyFunction): { frames: RecordedFrame[]; cut: boolean } {
  const held = holdStack(below);
  const frames = framesOf(held);
  // loopwatch's own work (its GC observer's callback, run by Node's perf_hooks): with its
  // frames dropped, only Node's would be left, and read as Node.js running by itself. It
  // is none of the program's: no frames, as a sample served between two pieces of
  // JavaScript has.
  if (held.own === true && frames.every((f) => f.file === null || f.file.startsWith('node:') || !f.file.includes('/'))) return { frames: [], cut: false };
  return { frames, cut: held.cut === true };
}

export function framesOf(held: HeldStack): RecordedFrame[] {
  const programPrepare = Error.prepareStackTrace;
  let callSites: unknown;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    callSites = held.stack;
  } finally {
    Error.prepareStackTrace = programPrepare;
  }
  if (!Array.isArray(callSites)) return [];
  // As many as the limit allowed, loopwatch's own included: the outermost were cut off.
  if (callSites.length >= MAX_FRAMES) held.cut = true;
  // Only the program's frames are formatted: loopwatch's own, and the sampler's evaluated
  // script, would only be in the way (a source-mapping formatter may fail on the latter).
  const sites = (callSites as NodeJS.CallSite[]).filter(isProgramFrame);
  if ((callSites as NodeJS.CallSite[]).some((site) => isOwnFile(site.getFileName() ?? ''))) held.own = true;
  const mapped = mappedLocations(held, sites, programPrepare);
  return sites.map((site, i) => toFrame(site, mapped?.[i]));
}

function isProgramFrame(callSite: NodeJS.CallSite): boolean {
  const file = callSite.getFileName();
  if (!file) return callSite.getScriptNameOrSourceURL() !== SAMPLE_SCRIPT_URL;
  return !isOwnFile(file);
}

interface Location {
  file: string;
  line: number;
  column: number;
}

function toFrame(callSite: NodeJS.CallSite, mapped: Location | undefined): RecordedFrame {
  const file = callSite.getFileName() ?? null;
  // getFunctionName only: the method-name fallback names anonymous callbacks after Node's
  // internals (`_onTimeout`), which is not where the program's code is.
  let name = callSite.getFunctionName() ?? null;
  // Builtins (JSON.parse, RegExp.prototype.test) have no file; their receiver's type names them.
  const type = file ? null : callSite.getTypeName();
  if (name && type && type !== 'Object' && type !== 'Function' && type !== 'global') name = `${type}.${name}`;
  const frame: RecordedFrame = { file, line: callSite.getLineNumber() ?? null, column: callSite.getColumnNumber() ?? null, function: name };
  if (name && file?.includes('/node_modules/')) {
    const receiver = methodReceiver(callSite);
    if (receiver !== undefined) frame.receiver = receiver;
  }
  if (mapped && file && (mapped.file !== file || mapped.line !== frame.line || mapped.column !== frame.column)) {
    frame.generated = { file, line: frame.line, column: frame.column };
    frame.file = mapped.file;
    frame.line = mapped.line;
    frame.column = mapped.column;
  }
  return frame;
}

/** Receivers that say nothing of what ran: plain functions, module objects, the global. */
const PLAIN_RECEIVERS = new Set(['Object', 'Function', 'global', 'process', 'undefined', 'null']);

/** The class of the object a dependency's method ran on (`ServerResponse` for express's res.json), if it is one. */
function methodReceiver(callSite: NodeJS.CallSite): string | undefined {
  try {
    if (callSite.isConstructor() || callSite.isToplevel()) return undefined;
    const type = callSite.getTypeName();
    return type && !PLAIN_RECEIVERS.has(type) ? type : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Each call site's location as the program's own stack formatter gives it, when one that
 * may map locations is in place; undefined otherwise, or when its text cannot be read
 * line for line (a formatter that drops or adds frames).
 */
function mappedLocations(held: HeldStack, sites: NodeJS.CallSite[], prepare: typeof Error.prepareStackTrace): Array<Location | undefined> | undefined {
  if (typeof prepare !== 'function') return undefined;
  if (formatterBehind(prepare) === NODE_PREPARE_STACK_TRACE && !sourceMapsEnabled()) return undefined;
  let text: unknown;
  try {
    // The formatter may read files (source-map-support does): that is loopwatch's work, not the program's sync I/O.
    text = untimed(() => prepare(held as Error, sites));
  } catch {
    return undefined;
  }
  if (typeof text !== 'string') return undefined;
  const lines = text.split('\n').filter((line) => /^\s+at /.test(line));
  if (lines.length !== sites.length) return undefined;
  return lines.map(parseLocation);
}

function sourceMapsEnabled(): boolean {
  return (process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled === true;
}

/** `    at fn (file:line:col)` or `    at file:line:col`; undefined for anything else (native, eval). */
function parseLocation(line: string): Location | undefined {
  const match = /(?:\(|at )((?:file:\/\/|\/|[A-Za-z]:\\|node:)[^()]*?):(\d+):(\d+)\)?$/.exec(line.trim());
  if (!match) return undefined;
  return { file: match[1]!, line: Number(match[2]), column: Number(match[3]) };
}
