import { performance } from 'node:perf_hooks';
import { SAMPLER_KEY, type Sample } from '../contract/sample';
import { captureFramesCut } from './stack';

/**
 * The stack sampler: the function the watchdog's SAMPLE_EXPRESSION calls on the main
 * thread (see contract/sample.ts). V8 serves the request with an interrupt, on top of
 * whatever JavaScript is running, so the function below sees the blocking code's own
 * stack and its own async context (which is how the OpenTelemetry span of the blocked
 * request is found). During a native call (pbkdf2Sync, readFileSync) the interrupt
 * waits until the call returns to JavaScript; the stack then still shows the call and
 * its caller.
 */

/** @opentelemetry/api 1.x keeps its registered globals here, and the active span under this context key. */
const OTEL_API_KEY = Symbol.for('opentelemetry.js.api.1');
const OTEL_SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const INVALID_TRACE_ID = '00000000000000000000000000000000';

export function installSampler(): void {
  Object.defineProperty(globalThis, SAMPLER_KEY, { value: sample, enumerable: false, configurable: true, writable: false });
}

export function uninstallSampler(): void {
  if ((globalThis as Record<symbol, unknown>)[SAMPLER_KEY] === sample) delete (globalThis as Record<symbol, unknown>)[SAMPLER_KEY];
}

/** Runs on the main thread, inside the blocked code. Returns JSON so the reply is one string. */
function sample(): string {
  const at = performance.timeOrigin + performance.now();
  const { frames, cut } = captureFramesCut(sample);
  const result: Sample = { at, frames };
  if (cut) result.cut = true;
  const span = activeSpanContext();
  if (span) {
    result.traceId = span.traceId;
    result.spanId = span.spanId;
    if (typeof span.traceFlags === 'number') result.traceFlags = span.traceFlags;
    if (span.start !== undefined) result.spanStart = span.start;
  }
  return JSON.stringify(result);
}

interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags?: number;
  start?: number;
}

function activeSpanContext(): SpanContextLike | undefined {
  try {
    const api = (globalThis as Record<symbol, unknown>)[OTEL_API_KEY] as
      | { context?: { active?: () => { getValue?: (key: symbol) => unknown } } }
      | undefined;
    const span = api?.context?.active?.()?.getValue?.(OTEL_SPAN_KEY) as { spanContext?: () => SpanContextLike; startTime?: unknown } | undefined;
    const ctx = span?.spanContext?.();
    if (ctx && typeof ctx.traceId === 'string' && ctx.traceId !== INVALID_TRACE_ID) {
      const found: SpanContextLike = { traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: ctx.traceFlags };
      // The SDK's spans keep their start as [seconds, nanoseconds] since the epoch.
      const start = span?.startTime;
      if (Array.isArray(start) && typeof start[0] === 'number' && typeof start[1] === 'number') found.start = start[0] * 1000 + start[1] / 1e6;
      return found;
    }
  } catch {
    // A broken tracer must not break sampling.
  }
  return undefined;
}
