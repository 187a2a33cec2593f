import { EXPLICIT_GC_OPERATION, type SampleRecord } from '../recording/schema';
import type { Category } from './categories';
import { MAX_FRAMES } from '../contract/sample';
import { normalizeFrame, ownerOf, type Frame } from './frames';
import { heldUpBy } from './late-samples';
import { attributeResumedSample } from './resumed-after';
import { attributeStack, ownWork, type Attribution } from './stack-to-call-site';
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
  /** The trace's flags (1: sampled), so that a span made of the stall can join a sampled trace. */
  traceFlags?: number;
  /** When that span started (epoch ms). */
  spanStart?: number;
  /** The time was measured by a probe (a sync call's own duration, a GC pause), not from samples. */
  exact?: true;
  /** How many probed calls (or pauses) the part adds up. */
  calls?: number;
  /** What the call was about: the module a require loaded, the kind of GC. */
  detail?: string;
}

export interface StallWindow {
  start: number;
  end: number;
}

export interface SampleTiming {
  /** A sample served this much later than asked was held up by code that does not take interrupts. */
  lateAfterMs: number;
  /**
   * How long the blocked thread waited for a CPU between two moments, where the watchdog
   * read it (Linux): a sample late because the host did not run the thread was not held
   * up by native code.
   */
  runQueueWithin?: (from: number, to: number) => number;
}

/**
 * Something whose exact time is known from a probe, not from samples: a probed sync
 * call (crypto.pbkdf2Sync, require) with its stack, or a GC pause.
 */
export interface ExactInterval {
  start: number;
  end: number;
  /** For a GC pause: null, the call site is that of the work it interrupted. */
  attribution: Attribution | null;
  operation: string;
  category: Category;
  stack: Frame[];
  /** What the call was about: the module a require loaded, the kind of GC. */
  detail?: string;
  /** A dependency made the call for the program: samples between its calls show the dependency's own work. */
  viaDependency?: boolean;
  /**
   * The probe timed a part of a larger operation: the ES loader's read of a module's
   * source (fs.readFileSync on Node.js 24), around which it parses, links and runs it.
   */
  partial?: boolean;
  /** Takes only the time the other intervals left (cut out after them): the main module's evaluation around its require() calls. */
  fillsRest?: boolean;
}

/** A stretch of a stall and what it was spent on. */
interface Segment {
  from: number;
  to: number;
  part: StallPart;
}

/**
 * Splits a stall's time among what its samples show. Each sample covers the time
 * since the previous one (or since the stall began): a sample shows what was running
 * when it was served, and a native call (pbkdf2Sync) serves it only when it returns,
 * so weighting by time, not by count, gives that call all the time it took. Where two
 * consecutive samples show different work, the change is put halfway between what is
 * known (an error of at most half a sampling interval for JavaScript). The time after
 * the last sample goes to the last sample's part. A sample served late, whose stack
 * shows only where JavaScript resumed, does not give its wait to that line
 * (late-samples.ts): the wait goes to the probed call that explains it, or to native
 * code whose call is not known.
 *
 * Exact intervals then take their own time out of what the samples say: a probed
 * call gets its measured duration, and a GC pause the time the collector ran. Parts
 * come out longest first.
 */
export function samplesToParts(
  stall: StallWindow,
  samples: SampleRecord[],
  timing: SampleTiming,
  source: SourceLines = NO_SOURCE,
  exact: ExactInterval[] = [],
): StallPart[] {
  let segments = sampleSegments(stall, samples, timing, source, exact);
  const calls = exact.filter((e) => e.attribution !== null && !e.fillsRest).sort((a, b) => a.start - b.start);
  const pauses = exact.filter((e) => e.attribution === null).sort((a, b) => a.start - b.start);
  const fills = exact.filter((e) => e.fillsRest);
  for (const interval of [...calls, ...pauses, ...fills]) segments = cutOut(segments, interval, stall);
  const parts = new Map<string, StallPart>();
  // An exact interval may lie in several pieces; its call counts once.
  const counted = new Set<StallPart>();
  for (const { from, to, part } of segments) {
    const key = causeKey(part);
    const into = parts.get(key);
    const firstPiece = !counted.has(part);
    counted.add(part);
    if (!into) {
      parts.set(key, { ...part, durationMs: to - from });
      continue;
    }
    into.durationMs += to - from;
    into.samples += part.samples;
    // Time from samples and time from probes in one part: no longer all exact.
    if (into.exact !== part.exact) delete into.exact;
    if (part.calls && firstPiece) into.calls = (into.calls ?? 0) + part.calls;
    if (into.detail === undefined && part.detail !== undefined) into.detail = part.detail;
    if (!into.traceId && part.traceId) {
      into.traceId = part.traceId;
      if (part.spanId) into.spanId = part.spanId;
      if (part.traceFlags !== undefined) into.traceFlags = part.traceFlags;
      if (part.spanStart !== undefined) into.spanStart = part.spanStart;
    }
  }
  return mergeModuleLoading([...parts.values()].filter((p) => p.durationMs > 0 || p.samples > 0)).sort(
    (a, b) => b.durationMs - a.durationMs,
  );
}

/**
 * Samples taken while Node's loader reads, parses and links a module show only the
 * loader's frames; those taken while the module runs show the module, or the line that
 * loaded it. In one stall they are one load: the parts without a location join the
 * longest module part that has one.
 */
function mergeModuleLoading(parts: StallPart[]): StallPart[] {
  const located = parts
    .filter((p) => p.category === 'module' && !p.exact && p.callSite !== null)
    .sort((a, b) => b.durationMs - a.durationMs)[0];
  if (!located) return parts;
  return parts.filter((p) => {
    if (p.category !== 'module' || p.callSite !== null) return true;
    located.durationMs += p.durationMs;
    located.samples += p.samples;
    located.detail ??= p.detail;
    return false;
  });
}

/** A sample's stack and the stretch of the stall it covers. */
export interface WeightedSample {
  /** Innermost frame first. */
  stack: Frame[];
  from: number;
  to: number;
  /** The cause the sample shows (`causeKey`), before probed calls and GC pauses take their exact time. */
  causeKey: string;
}

/**
 * The stall's samples, each with the time it covers, by the same rules samplesToParts
 * weighs them by (the time since the previous sample, the change of work put halfway,
 * the rest of the stall to the last sample, a late sample's wait kept from the stack it
 * resumed in). For profiles of what the samples saw; the exact times of probed calls are
 * not in it, nor the waits of late samples. Empty when no sample showed JavaScript.
 */
export function weighSamples(
  stall: StallWindow,
  samples: SampleRecord[],
  timing: SampleTiming,
  source: SourceLines = NO_SOURCE,
  exact: ExactInterval[] = [],
): WeightedSample[] {
  return sampleSegments(stall, samples, timing, source, exact)
    .filter((segment) => segment.part.samples > 0)
    .map(({ from, to, part }) => ({ stack: part.stack, from, to, causeKey: causeKey(part) }));
}

/** A part of a sample's, with the OpenTelemetry span the sample saw: the wait and the resumed code ran in one task. */
function withTrace(part: StallPart, sample: SampleRecord): StallPart {
  if (sample.traceId) {
    part.traceId = sample.traceId;
    if (sample.spanId) part.spanId = sample.spanId;
    if (sample.traceFlags !== undefined) part.traceFlags = sample.traceFlags;
    if (sample.spanStart !== undefined) part.spanStart = sample.spanStart;
  }
  return part;
}

function sampleSegments(stall: StallWindow, samples: SampleRecord[], timing: SampleTiming, source: SourceLines, exact: ExactInterval[]): Segment[] {
  // A sample without JavaScript frames (served between two pieces of JavaScript, in
  // Node's C++) says nothing of what ran: its time goes to the next sample that does.
  const inside = samples
    .filter((s) => s.at > stall.start && s.at <= stall.end && s.frames.length > 0)
    .sort((a, b) => a.at - b.at);
  if (inside.length === 0) {
    const unknown = { callSite: null, operation: 'unknown', category: 'unknown' as const, durationMs: 0, samples: 0, stack: [] };
    return [{ from: stall.start, to: stall.end, part: unknown }];
  }
  const segments: Segment[] = [];
  let covered = stall.start;
  let last: Segment | undefined;
  const outerOf = outerFramesOf(inside, source);
  for (const [index, sample] of inside.entries()) {
    const stack = sample.frames.map(normalizeFrame);
    // Late, and not because the host left the thread without a CPU meanwhile (a loaded
    // machine delays the interrupt as native code does, but the resumed stack was running).
    const hostWaitMs = timing.runQueueWithin?.(sample.requestedAt, sample.at) ?? 0;
    const late = sample.at - sample.requestedAt - hostWaitMs >= timing.lateAfterMs;
    let attribution: Attribution = outerOf(index) ?? attributeStack(stack, source, 'entry');
    if (late) attribution = attributeResumedSample(attribution, source) ?? attribution;
    const part = withTrace({ ...attribution, durationMs: 0, samples: 1, stack }, sample);
    // A late sample's wait may belong to something else than the stack it came back with
    // (late-samples.ts): then the wait goes to that, and the resumed stack has the time
    // from when it was served.
    const keys = { previous: last && causeKey(last.part), resumed: causeKey(part) };
    const held = late ? heldUpBy({ from: sample.requestedAt, to: sample.at }, attribution, stack, keys, exact, timing.lateAfterMs) : undefined;
    const waited = held ? withTrace({ ...held.attribution, durationMs: 0, samples: 0, stack: held.stack }, sample) : part;
    if (last && causeKey(last.part) !== causeKey(waited)) {
      // The work changed between the previous sample and this one. A sample served
      // late was held up from about when it was asked by the new work (a native call);
      // before that, when exactly the change came is unknown: split at the midpoint.
      const newWorkSince = late ? sample.requestedAt : sample.at;
      const boundary = Math.max(covered, (covered + newWorkSince) / 2);
      last.to = boundary;
      covered = boundary;
    }
    last = { from: covered, to: sample.at, part: waited };
    segments.push(last);
    if (held) {
      last = { from: sample.at, to: sample.at, part };
      segments.push(last);
    }
    covered = sample.at;
  }
  last!.to = stall.end;
  return segments;
}

/**
 * A sample whose stack lost its outermost frames to the capture's limit: the agent says
 * so; a recording from before it did is known by a stack at the limit less loopwatch's
 * own frames, one or two.
 */
function isCut(sample: SampleRecord): boolean {
  return sample.cut === true || sample.frames.length >= MAX_FRAMES - 2;
}

/**
 * For a sample whose stack was cut at the capture's limit and shows none of the program's
 * frames (a compiler deep in its checker): the attribution of the nearest uncut sample of
 * the same stall, the previous one first. Its outer frames, the dependency's entry or the
 * program's line that called it, were cut off, and the samples of one stall's task share
 * them: without this, each cut stack's outermost visible frame would be a call site of its
 * own (tsc's one compile came out as rows at four depths).
 */
function outerFramesOf(samples: SampleRecord[], source: SourceLines): (index: number) => Attribution | undefined {
  const uncut = samples.map((s, i) => (isCut(s) ? -1 : i)).filter((i) => i >= 0);
  return (index) => {
    const sample = samples[index]!;
    if (!isCut(sample) || sample.frames.some((f) => ownerOf(normalizeFrame(f)) === 'program')) return undefined;
    const before = uncut.filter((i) => i < index).at(-1);
    const after = uncut.find((i) => i > index);
    const nearest = before ?? after;
    return nearest === undefined ? undefined : attributeStack(samples[nearest]!.frames.map(normalizeFrame), source, 'entry');
  };
}

/**
 * Gives `interval` (clipped to the stall) its own segment, taking its time out of the
 * segments it overlaps. What is left of a sampled segment that named the very call the
 * interval times, made by the program itself (a sample served when that call returned),
 * was the caller's own work around the call: it goes to the call site's function. When
 * a dependency made the call, what is left is the dependency's own work, and stays
 * with it. A GC pause takes the call site
 * of the work it interrupted most.
 */
function cutOut(segments: Segment[], interval: ExactInterval, stall: StallWindow): Segment[] {
  const from = Math.max(interval.start, stall.start);
  const to = Math.min(interval.end, stall.end);
  if (to <= from) return segments;
  const overlapping = segments.filter((s) => s.to > from && s.from < to);
  // Time inside another exact interval stays with it: a GC pause during a probed call is
  // part of the call. But the collection a global.gc() call asked for is what the call
  // spent: it takes its own time, with its kind, at the call's line.
  const yields = (s: Segment) => !s.part.exact || (interval.attribution === null && s.part.operation === EXPLICIT_GC_OPERATION);
  const free = overlapping.filter(yields);
  const length = free.reduce((sum, s) => sum + Math.min(s.to, to) - Math.max(s.from, from), 0);
  if (length <= 0) return segments;
  const interrupted = free.reduce((a, b) => (Math.min(b.to, to) - Math.max(b.from, from) > Math.min(a.to, to) - Math.max(a.from, from) ? b : a));
  const attribution = interval.attribution ?? {
    callSite: interrupted.part.callSite,
    operation: interval.operation,
    category: interval.category,
  };
  const exactPart: StallPart = {
    callSite: attribution.callSite,
    operation: interval.operation,
    category: interval.category,
    durationMs: 0,
    samples: 0,
    stack: interval.attribution ? interval.stack : interrupted.part.stack,
    exact: true,
    calls: 1,
  };
  if (interval.detail !== undefined) exactPart.detail = interval.detail;
  const exactKey = causeKey(exactPart);
  const result: Segment[] = [];
  for (const segment of segments) {
    if (!yields(segment) || segment.to <= from || segment.from >= to) {
      result.push(segment);
      continue;
    }
    // When the probe timed only a part of the operation (the require() inside an import()),
    // the samples around it are the rest of that operation, not the caller's own work.
    const sameCall = !interval.viaDependency && !interval.partial && segment.part.callSite !== null && causeKey(segment.part) === exactKey;
    const rest = sameCall ? { ...segment.part, ...ownWork(segment.part.callSite) } : segment.part;
    // The segment's sample is counted once: in the first piece left, or in the interval.
    const before = segment.from < from;
    if (before) result.push({ from: segment.from, to: from, part: rest });
    // (And a timed call cut in two counts once, in the piece before.)
    if (segment.to > to) result.push({ from: to, to: segment.to, part: before ? { ...rest, samples: 0, ...(rest.calls ? { calls: 0 } : {}) } : rest });
    else if (!before) exactPart.samples += segment.part.samples;
  }
  // Spread over the free stretches it covered, so that other exact intervals see them as taken.
  for (const s of free) {
    const a = Math.max(s.from, from);
    const b = Math.min(s.to, to);
    if (b > a) result.push({ from: a, to: b, part: exactPart });
  }
  return result.sort((a, b) => a.from - b.from);
}

/**
 * Samples of one cause: same file, line, function and operation. The column is left
 * out: a loop's samples land on different expressions of the same line.
 */
export function causeKey(cause: { callSite: Frame | null; operation: string }): string {
  const site = cause.callSite;
  return site ? `${siteKey(site)}|${cause.operation}` : `|${cause.operation}`;
}

/** A line of code: file, line and function (the column left out, as causeKey leaves it out). */
function siteKey(site: Frame): string {
  return `${site.file ?? ''}:${site.line ?? ''}:${site.function ?? ''}`;
}

/**
 * The row a cause belongs to in every table of call sites (the report's, the HTML
 * page's, the gate's offenders): one row per line of code, whatever it spent its time
 * on there (a probed call, the JavaScript around it, a GC pause that interrupted it),
 * split inside the row. Causes with no line are one row per operation.
 */
export function callSiteRowKey(cause: { callSite: Frame | null; operation: string }): string {
  return cause.callSite ? siteKey(cause.callSite) : `|${cause.operation}`;
}
