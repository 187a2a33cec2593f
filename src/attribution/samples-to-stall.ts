import type { SampleRecord } from '../recording/schema';
import type { Category } from './categories';
import { normalizeFrame, type Frame } from './frames';
import { attributeResumedSample } from './resumed-after';
import { attributeStack, type Attribution } from './stack-to-call-site';
import { NO_SOURCE, type SourceLines } from './source';

/** One thing a stall spent its time on: a call site and what it called. */
export interface StallPart {
  callSite: Frame | null;
  operation: string;
  category: Category;
  durationMs: number;
  samples: number;
  /** The full stack of the part's first sample, innermost first. */
  stack: Frame[];
  traceId?: string;
  spanId?: string;
}

export interface StallWindow {
  start: number;
  end: number;
}

export interface SampleTiming {
  /** A sample served this much later than asked was held up by code that does not take interrupts. */
  lateAfterMs: number;
}

/**
 * Splits a stall's time among what its samples show. Each sample covers the time
 * since the previous one (or since the stall began): a sample shows what was running
 * when it was served, and a native call (pbkdf2Sync) serves it only when it returns,
 * so weighting by time, not by count, gives that call all the time it took. Where two
 * consecutive samples show different work, the change is put halfway between what is
 * known (an error of at most half a sampling interval for JavaScript). The time after
 * the last sample goes to the last sample's part. Parts come out longest first.
 */
export function samplesToParts(
  stall: StallWindow,
  samples: SampleRecord[],
  timing: SampleTiming,
  source: SourceLines = NO_SOURCE,
): StallPart[] {
  const inside = samples.filter((s) => s.at > stall.start && s.at <= stall.end).sort((a, b) => a.at - b.at);
  const duration = stall.end - stall.start;
  if (inside.length === 0) {
    return [{ callSite: null, operation: 'unknown', category: 'unknown', durationMs: duration, samples: 0, stack: [] }];
  }
  const parts = new Map<string, StallPart>();
  let covered = stall.start;
  let last: StallPart | undefined;
  for (const sample of inside) {
    const stack = sample.frames.map(normalizeFrame);
    let attribution: Attribution = attributeStack(stack, source);
    if (sample.at - sample.requestedAt >= timing.lateAfterMs) {
      attribution = attributeResumedSample(attribution, source) ?? attribution;
    }
    const key = causeKey(attribution);
    let part = parts.get(key);
    if (!part) {
      part = { ...attribution, durationMs: 0, samples: 0, stack };
      parts.set(key, part);
    }
    if (last && part !== last) {
      // The work changed between the previous sample and this one. A sample served
      // late was held up from about when it was asked by the new work (a native call);
      // before that, when exactly the change came is unknown: split at the midpoint.
      const newWorkSince = sample.at - sample.requestedAt >= timing.lateAfterMs ? sample.requestedAt : sample.at;
      const boundary = Math.max(covered, (covered + newWorkSince) / 2);
      last.durationMs += boundary - covered;
      covered = boundary;
    }
    part.durationMs += sample.at - covered;
    part.samples += 1;
    if (sample.traceId && !part.traceId) {
      part.traceId = sample.traceId;
      if (sample.spanId) part.spanId = sample.spanId;
    }
    covered = sample.at;
    last = part;
  }
  last!.durationMs += stall.end - covered;
  return [...parts.values()].sort((a, b) => b.durationMs - a.durationMs);
}

/**
 * Samples of one cause: same file, line, function and operation. The column is left
 * out: a loop's samples land on different expressions of the same line.
 */
export function causeKey(cause: { callSite: Frame | null; operation: string }): string {
  const site = cause.callSite;
  return site ? `${site.file ?? ''}:${site.line ?? ''}:${site.function ?? ''}|${cause.operation}` : `|${cause.operation}`;
}
