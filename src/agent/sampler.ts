import { performance } from 'node:perf_hooks';
import type { RecordedFrame } from '../recording/schema';
import { captureFrames, SAMPLE_SCRIPT_URL } from './stack';

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
/** The sourceURL names the evaluated script, so that its frame can be told apart and dropped. */
export const SAMPLE_EXPRESSION = `globalThis[Symbol.for('loopwatch.sample')]()\n//# sourceURL=${SAMPLE_SCRIPT_URL}`;

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
  const result: Sample = { at, frames: captureFrames(sample) };
  const span = activeSpanContext();
  if (span) {
    result.traceId = span.traceId;
    result.spanId = span.spanId;
  }
  return JSON.stringify(result);
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
