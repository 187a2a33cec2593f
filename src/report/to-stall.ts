/**
 * Attribution's findings in the report's shape, field by field: what the JSON report, the
 * production mode's onStall() and its OpenTelemetry spans all give. Small on purpose,
 * since the production mode loads it into the program.
 */
import type { StallFinding } from '../attribution/attribute';
import type { Frame as AttributedFrame } from '../attribution/frames';
import type { StallPart } from '../attribution/samples-to-stall';
import type { Frame, Stall, StallCause } from './schema';

/** A finding in the report's shape, field by field. */
export function toStall(found: StallFinding): Stall {
  const causes = found.causes.map(toCause);
  const main = causes[0]!;
  const stall: Stall = {
    kind: found.kind,
    pid: found.pid,
    threadId: found.threadId ?? 0,
    start: found.start,
    durationMs: found.durationMs,
    inProgressAtExit: found.inProgressAtExit,
    phase: found.phase,
    category: found.kind === 'threadpool' ? 'threadpool' : main.category,
    operation: main.operation,
    callSite: main.callSite,
    stack: main.stack,
    samples: causes.reduce((n, c) => n + c.samples, 0),
    causes,
  };
  if (found.traceId) {
    stall.traceId = found.traceId;
    if (found.spanId) stall.spanId = found.spanId;
    if (found.traceFlags !== undefined) stall.traceFlags = found.traceFlags;
    if (found.spanStart !== undefined) stall.spanStart = found.spanStart;
  }
  if (found.queue) stall.queue = found.queue;
  if (found.maxQueueWaitMs !== undefined) stall.maxQueueWaitMs = found.maxQueueWaitMs;
  if (found.threadTime) stall.threadTime = { ...found.threadTime };
  return stall;
}

function toCause(part: StallPart): StallCause {
  const cause: StallCause = {
    callSite: part.callSite && toFrame(part.callSite),
    operation: part.operation,
    category: part.category,
    durationMs: part.durationMs,
    samples: part.samples,
    stack: part.stack.map(toFrame),
  };
  if (part.traceId) cause.traceId = part.traceId;
  if (part.spanId) cause.spanId = part.spanId;
  if (part.exact) cause.exact = true;
  if (part.calls !== undefined) cause.calls = part.calls;
  if (part.detail !== undefined) cause.detail = part.detail;
  return cause;
}

function toFrame(frame: AttributedFrame): Frame {
  const out: Frame = { file: frame.file, line: frame.line, column: frame.column, function: frame.function };
  if (frame.generated) out.generated = { ...frame.generated };
  return out;
}

