/**
 * A stall as an OpenTelemetry span, the same way in the program (production mode, through
 * the program's own tracer provider) and from the CLI (after a run, through the SDK and
 * an OTLP exporter). Pure: it says what the span is; the two exporters make it.
 *
 * No semantic convention exists for event-loop blocking (the browser's long-task
 * instrumentation names its span `longtask`): loopwatch's spans and attributes are
 * under the `loopwatch.` namespace, and the code location uses the stable `code.*`
 * attributes (semantic conventions 1.33 and later).
 */
import type * as Api from '@opentelemetry/api';
import type { Frame, Stall, StallCause } from '../report/schema';

export const INSTRUMENTATION_SCOPE = 'loopwatch';

export const SPAN_NAMES = {
  /** The event loop of a thread was blocked longer than the threshold. */
  stall: 'loopwatch.stall',
  /** Work waited longer than the threshold for a thread of libuv's pool. */
  threadpool: 'loopwatch.threadpool.starvation',
} as const;

/** Attribute names, each once (see the README's table). */
export const ATTRIBUTES = {
  durationMs: 'loopwatch.stall.duration_ms',
  thresholdMs: 'loopwatch.stall.threshold_ms',
  category: 'loopwatch.stall.category',
  operation: 'loopwatch.stall.operation',
  exact: 'loopwatch.stall.exact',
  phase: 'loopwatch.stall.phase',
  inProgressAtExit: 'loopwatch.stall.in_progress_at_exit',
  causes: 'loopwatch.stall.causes',
  samples: 'loopwatch.stall.samples',
  onCpuMs: 'loopwatch.stall.on_cpu_ms',
  runQueueMs: 'loopwatch.stall.run_queue_ms',
  offCpuMs: 'loopwatch.stall.off_cpu_ms',
  observedMs: 'loopwatch.stall.thread_time_observed_ms',
  host: 'loopwatch.stall.host',
  queue: 'loopwatch.threadpool.queue',
  maxQueueWaitMs: 'loopwatch.threadpool.max_queue_wait_ms',
  calls: 'loopwatch.cause.calls',
  detail: 'loopwatch.cause.detail',
  codeFunction: 'code.function.name',
  codeFile: 'code.file.path',
  codeLine: 'code.line.number',
  codeColumn: 'code.column.number',
  codeStacktrace: 'code.stacktrace',
  pid: 'process.pid',
  threadId: 'thread.id',
  threadName: 'thread.name',
} as const;

/** Each cause of a stall is an event of its span, at the stall's start, with the cause's share. */
export const CAUSE_EVENT = 'loopwatch.stall.cause';

export type AttributeValue = string | number | boolean;

export interface SpanSpec {
  name: string;
  /** Epoch milliseconds. */
  startTime: number;
  endTime: number;
  attributes: Record<string, AttributeValue>;
  events: Array<{ name: string; time: number; attributes: Record<string, AttributeValue> }>;
  /** The span that was active in the blocked code: the stall span is its child. */
  parent?: { traceId: string; spanId: string; traceFlags: number };
}

/** Stack frames as `code.stacktrace` carries them: the way V8 writes a stack, innermost first. */
export function stacktrace(frames: Frame[]): string {
  return frames
    .map((f) => {
      const where = f.file === null ? 'native' : `${f.file}${f.line === null ? '' : `:${f.line}${f.column === null ? '' : `:${f.column}`}`}`;
      return f.function ? `    at ${f.function} (${where})` : `    at ${where}`;
    })
    .join('\n');
}

function codeAttributes(callSite: Frame | null, stack: Frame[]): Record<string, AttributeValue> {
  const attributes: Record<string, AttributeValue> = {};
  if (callSite?.function) attributes[ATTRIBUTES.codeFunction] = callSite.function;
  if (callSite?.file) attributes[ATTRIBUTES.codeFile] = callSite.file;
  if (callSite?.line !== null && callSite?.line !== undefined) attributes[ATTRIBUTES.codeLine] = callSite.line;
  if (callSite?.column !== null && callSite?.column !== undefined) attributes[ATTRIBUTES.codeColumn] = callSite.column;
  if (stack.length > 0) attributes[ATTRIBUTES.codeStacktrace] = stacktrace(stack);
  return attributes;
}

/** The span of one stall (event-loop or threadpool), its causes as events. */
export function stallSpan(stall: Stall, thresholdMs: number): SpanSpec {
  const main: StallCause = stall.causes[0] ?? { callSite: null, operation: 'unknown', category: 'unknown', durationMs: stall.durationMs, samples: 0, stack: [] };
  const attributes: Record<string, AttributeValue> = {
    [ATTRIBUTES.durationMs]: stall.durationMs,
    [ATTRIBUTES.thresholdMs]: thresholdMs,
    [ATTRIBUTES.category]: stall.category,
    [ATTRIBUTES.operation]: stall.operation,
    [ATTRIBUTES.exact]: main.exact === true,
    [ATTRIBUTES.phase]: stall.phase,
    [ATTRIBUTES.inProgressAtExit]: stall.inProgressAtExit,
    [ATTRIBUTES.causes]: stall.causes.length,
    [ATTRIBUTES.samples]: stall.samples,
    [ATTRIBUTES.pid]: stall.pid,
    // Node.js numbers the main thread 0, and each worker thread from 1.
    [ATTRIBUTES.threadId]: stall.threadId ?? 0,
    [ATTRIBUTES.threadName]: stall.threadId ? `worker ${stall.threadId}` : 'main',
    ...codeAttributes(main.callSite, main.stack),
  };
  if (stall.threadTime) {
    // Where the thread's time went, over the part of the stall the watchdog read (Linux).
    attributes[ATTRIBUTES.observedMs] = stall.threadTime.observedMs;
    attributes[ATTRIBUTES.onCpuMs] = stall.threadTime.onCpuMs;
    attributes[ATTRIBUTES.runQueueMs] = stall.threadTime.runQueueMs;
    attributes[ATTRIBUTES.offCpuMs] = stall.threadTime.offCpuMs;
    if (stall.threadTime.host) attributes[ATTRIBUTES.host] = stall.threadTime.host;
  }
  if (stall.kind === 'threadpool') {
    if (stall.queue) attributes[ATTRIBUTES.queue] = stall.queue;
    if (stall.maxQueueWaitMs !== undefined) attributes[ATTRIBUTES.maxQueueWaitMs] = stall.maxQueueWaitMs;
  }
  // Under a request's span, the stall span starts no earlier than it: the busy stretch
  // before the request's span began (parsing it, say) is in the duration attribute.
  const inParent = stall.traceId && stall.spanStart !== undefined ? Math.min(stall.start + stall.durationMs, Math.max(stall.start, stall.spanStart)) : stall.start;
  const events = stall.causes.map((cause) => {
    const eventAttributes: Record<string, AttributeValue> = {
      [ATTRIBUTES.operation]: cause.operation,
      [ATTRIBUTES.category]: cause.category,
      [ATTRIBUTES.durationMs]: cause.durationMs,
      [ATTRIBUTES.exact]: cause.exact === true,
      ...codeAttributes(cause.callSite, []),
    };
    if (cause.calls !== undefined) eventAttributes[ATTRIBUTES.calls] = cause.calls;
    if (cause.detail !== undefined) eventAttributes[ATTRIBUTES.detail] = cause.detail;
    return { name: CAUSE_EVENT, time: inParent, attributes: eventAttributes };
  });
  const spec: SpanSpec = {
    name: stall.kind === 'threadpool' ? SPAN_NAMES.threadpool : SPAN_NAMES.stall,
    startTime: inParent,
    endTime: stall.start + stall.durationMs,
    attributes,
    events,
  };
  if (stall.traceId && stall.spanId) spec.parent = { traceId: stall.traceId, spanId: stall.spanId, traceFlags: stall.traceFlags ?? 1 };
  return spec;
}

/**
 * Starts and ends the span `spec` describes with `tracer`: under the blocked request's
 * span when the stall has one (`isRemote`: that span was made by another process, as
 * for a report exported after the run), else as a root span.
 */
export function emitStallSpan(api: typeof Api, tracer: Api.Tracer, spec: SpanSpec, isRemote: boolean): void {
  const parent = spec.parent
    ? api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId: spec.parent.traceId, spanId: spec.parent.spanId, traceFlags: spec.parent.traceFlags, isRemote })
    : api.ROOT_CONTEXT;
  const span = tracer.startSpan(spec.name, { kind: api.SpanKind.INTERNAL, startTime: spec.startTime, attributes: spec.attributes, root: !spec.parent }, parent);
  for (const event of spec.events) span.addEvent(event.name, event.attributes, event.time);
  span.end(spec.endTime);
}

/**
 * At most `perMinute` spans a minute: a stall storm in production must not flood the
 * backend. A token bucket, refilled continuously; what it refuses is counted.
 */
export class SpanBudget {
  private tokens: number;
  private last: number;
  dropped = 0;

  constructor(
    private readonly perMinute: number,
    now: number,
  ) {
    this.tokens = perMinute;
    this.last = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.last) / 60_000) * this.perMinute);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.dropped += 1;
    return false;
  }
}
