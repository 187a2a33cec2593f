import { performance } from 'node:perf_hooks';
import type { RecordedFrame } from '../recording/schema';

/**
 * The stack sampler. The watchdog thread asks the main thread, through an inspector
 * session, to evaluate SAMPLE_EXPRESSION. V8 serves that request with an interrupt,
 * on top of whatever JavaScript is running, so the function below sees the blocking
 * code's own stack and its own async context (which is how the OpenTelemetry span of
 * the blocked request is found). During a native call (pbkdf2Sync, readFileSync) the
 * interrupt waits until the call returns to JavaScript; the stack then still shows the
 * call and its caller.
 */

const SAMPLER_KEY = Symbol.for('loopwatch.sample');
/** Names the evaluated script so that its frame can be told apart and dropped. */
const SAMPLE_SCRIPT_URL = 'loopwatch:sample';
export const SAMPLE_EXPRESSION = `globalThis[Symbol.for('loopwatch.sample')]()\n//# sourceURL=${SAMPLE_SCRIPT_URL}`;

const MAX_FRAMES = 64;

/** @opentelemetry/api 1.x keeps its registered globals here, and the active span under this context key. */
const OTEL_API_KEY = Symbol.for('opentelemetry.js.api.1');
const OTEL_SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const INVALID_TRACE_ID = '00000000000000000000000000000000';

export interface Sample {
  at: number;
  frames: RecordedFrame[];
  traceId?: string;
  spanId?: string;
}

export function installSampler(): void {
  Object.defineProperty(globalThis, SAMPLER_KEY, {
    value: sample,
    enumerable: false,
    configurable: true,
    writable: false,
  });
}

/** Runs on the main thread, inside the blocked code. Returns JSON so the reply is one string. */
function sample(): string {
  const at = performance.timeOrigin + performance.now();
  const result: Sample = { at, frames: captureFrames() };
  const span = activeSpanContext();
  if (span) {
    result.traceId = span.traceId;
    result.spanId = span.spanId;
  }
  return JSON.stringify(result);
}

function captureFrames(): RecordedFrame[] {
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.stackTraceLimit = MAX_FRAMES;
    Error.prepareStackTrace = (_error, callSites) => callSites;
    Error.captureStackTrace(holder, sample);
    const callSites = holder.stack;
    return Array.isArray(callSites) ? callSites.filter(isProgramFrame).map(toFrame) : [];
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
}

/** The evaluated sample expression has no file name; its sourceURL tells it apart. */
function isProgramFrame(callSite: NodeJS.CallSite): boolean {
  return !callSite.getFileName() ? callSite.getScriptNameOrSourceURL() !== SAMPLE_SCRIPT_URL : true;
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

interface SpanContextLike {
  traceId: string;
  spanId: string;
}

function activeSpanContext(): SpanContextLike | undefined {
  try {
    const api = (globalThis as Record<symbol, unknown>)[OTEL_API_KEY] as
      | { context?: { active?: () => { getValue?: (key: symbol) => unknown } } }
      | undefined;
    const span = api?.context?.active?.()?.getValue?.(OTEL_SPAN_KEY) as { spanContext?: () => SpanContextLike } | undefined;
    const ctx = span?.spanContext?.();
    if (ctx && typeof ctx.traceId === 'string' && ctx.traceId !== INVALID_TRACE_ID) {
      return { traceId: ctx.traceId, spanId: ctx.spanId };
    }
  } catch {
    // A broken tracer must not break sampling.
  }
  return undefined;
}
