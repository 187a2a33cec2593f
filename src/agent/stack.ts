import { resolve } from 'node:path';
import type { RecordedFrame } from '../recording/schema';
import type { AnyFunction } from './probes/wrap';

/**
 * Stacks as the agent records them: V8's structured call sites turned into plain
 * frames, with loopwatch's own frames left out (the probes' replacement functions,
 * the sampler's evaluated expression).
 */

export const MAX_FRAMES = 64;

/** The agent's compiled code: frames in here are loopwatch's, not the program's. */
const AGENT_DIR = resolve(__dirname) + '/';
/** The sampler's evaluated expression has no file, only this sourceURL. */
export const SAMPLE_SCRIPT_URL = 'loopwatch:sample';

/** A stack captured now and turned into frames later, only if it turns out to be needed. */
export interface HeldStack {
  stack?: unknown;
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

export function framesOf(held: HeldStack): RecordedFrame[] {
  const savedPrepare = Error.prepareStackTrace;
  let callSites: unknown;
  try {
    Error.prepareStackTrace = (_error, sites) => sites;
    callSites = held.stack;
  } finally {
    Error.prepareStackTrace = savedPrepare;
  }
  return Array.isArray(callSites) ? (callSites as NodeJS.CallSite[]).filter(isProgramFrame).map(toFrame) : [];
}

function isProgramFrame(callSite: NodeJS.CallSite): boolean {
  const file = callSite.getFileName();
  if (!file) return callSite.getScriptNameOrSourceURL() !== SAMPLE_SCRIPT_URL;
  return !file.startsWith(AGENT_DIR);
}

function toFrame(callSite: NodeJS.CallSite): RecordedFrame {
  const file = callSite.getFileName() ?? null;
  // getFunctionName only: the method-name fallback names anonymous callbacks after Node's
  // internals (`_onTimeout`), which is not where the program's code is.
  let name = callSite.getFunctionName() ?? null;
  // Builtins (JSON.parse, RegExp.prototype.test) have no file; their receiver's type names them.
  const type = file ? null : callSite.getTypeName();
  if (name && type && type !== 'Object' && type !== 'Function' && type !== 'global') name = `${type}.${name}`;
  return { file, line: callSite.getLineNumber() ?? null, column: callSite.getColumnNumber() ?? null, function: name };
}
