/**
 * The attribution stage's entry points. One stall is attributed from its own records
 * (its samples, the probed calls and GC pauses it overlaps) as soon as it ends, by the
 * watchdog thread of a process in production mode, and by the CLI's live lines; a whole
 * recording is attributed after the run by the same code, stall by stall. Every rule
 * about how a stall's time is divided lives here, not in the reports built from it.
 */
import { threadIdOf, type ProcessRecording } from '../recording/decode';
import type { GcRecord, PausedRecord, PoolWaitRecord, PoolWorkRecord, RecordedFrame, SampleRecord, StallRecord, StartupRecord, SyncCallRecord, ThreadTimeRecord } from '../recording/schema';
import { POOL_PROBE_INTERVAL_MS } from '../recording/schema';
import type { Frame } from './frames';
import { poolEpisodeParts, poolEpisodes } from './pool-starvation';
import { UNKNOWN_NATIVE_CALL } from './late-samples';
import { samplesToParts, weighSamples, type ExactInterval, type StallPart, type WeightedSample } from './samples-to-stall';
import { startupIntervals } from './startup';
import { NO_SOURCE, type SourceLines } from './source';
import { NO_SOURCE_MAPS, type SourceMaps } from './source-maps';
import { attributeSyncCall } from './stack-to-call-site';
import { hostOperation, runQueueWithin, threadTimeOf, type ThreadTimeSplit } from './thread-time';

/** What attribution reads of the program's files: its source lines, its source maps. */
export interface ProgramFiles {
  source: SourceLines;
  maps: SourceMaps;
}

export const NO_FILES: ProgramFiles = { source: NO_SOURCE, maps: NO_SOURCE_MAPS };

/** A stall, attributed: its window and what its time went to. */
export interface StallFinding {
  /**
   * 'event-loop': the thread was busy this long. 'threadpool': work submitted to libuv's
   * threadpool waited longer than the threshold for a thread, this long.
   */
  kind: 'event-loop' | 'threadpool';
  pid: number;
  /** The thread whose event loop it was: 0 for the main thread. */
  threadId: number;
  start: number;
  end: number;
  durationMs: number;
  inProgressAtExit: boolean;
  phase: 'startup' | 'run';
  /** Everything the stall spent its time on, longest first; never empty. */
  causes: StallPart[];
  /** Event-loop stalls: each sample's stack with the stretch of the stall it covers, for profiles. */
  sampled?: WeightedSample[];
  /** The OpenTelemetry span that was active in the blocked code, when there was one. */
  traceId?: string;
  spanId?: string;
  traceFlags?: number;
  /** When that span started (epoch ms): a stall span under it starts no earlier. */
  spanStart?: number;
  /** Threadpool stalls: the queue that was starved, and the longest a task waited in it. */
  queue?: PoolWaitRecord['queue'];
  maxQueueWaitMs?: number;
  /** Event-loop stalls, on Linux: where the thread's time went (on a CPU, waiting for one, off it). */
  threadTime?: ThreadTimeSplit;
}

/** The records one stall is attributed from. */
export interface StallEvidence {
  samples: SampleRecord[];
  syncCalls: SyncCallRecord[];
  gcPauses: GcRecord[];
  /** Where the blocked thread's time went (the watchdog's reads of it, Linux). */
  threadTimes?: ThreadTimeRecord[];
  /** What the time before the first turn went to: loopwatch's setup, the main module (startup stalls). */
  startup?: StartupRecord;
}

export interface AttributionSettings {
  pid: number;
  /** 0 for the main thread (the default). */
  threadId?: number;
  sampleIntervalMs: number;
}

/** A sample held up for three sampling intervals (and 30 ms) was waiting for code that takes no interrupts. */
export function lateAfterMs(sampleIntervalMs: number): number {
  return Math.max(30, 3 * sampleIntervalMs);
}

/**
 * Attributes one event-loop stall from its evidence: the samples taken during it (by
 * its heartbeat sequence number), and the probed calls and GC pauses that overlap it,
 * which take their exact time out of what the samples say.
 */
export function attributeStall(recorded: StallRecord, evidence: StallEvidence, settings: AttributionSettings, files: ProgramFiles = NO_FILES): StallFinding {
  const stall = startingWithItsCalls(recorded, evidence);
  const samples = evidence.samples.filter((s) => s.seq === stall.seq).map((s) => mapFrames(s, files.maps));
  const overlaps = (start: number, end: number) => end > stall.start && start < stall.end;
  const exact = [
    ...evidence.syncCalls.filter((c) => overlaps(c.start, c.start + c.durationMs)).map((c) => syncCallInterval(mapFrames(c, files.maps), files)),
    ...evidence.gcPauses.filter((g) => overlaps(g.start, g.start + g.durationMs)).map(gcInterval),
    ...(stall.phase === 'startup' && evidence.startup ? startupIntervals(stall, evidence.startup, samples) : []),
  ];
  const threadTimes = evidence.threadTimes ?? [];
  const timing = {
    lateAfterMs: lateAfterMs(settings.sampleIntervalMs),
    runQueueWithin: (from: number, to: number) => runQueueWithin(threadTimes, stall.seq, from, to),
  };
  const threadTime = threadTimeOf(stall, evidence.threadTimes ?? []);
  let causes = samplesToParts(stall, samples, timing, files.source, exact);
  // Nothing of the program's was seen in it, and the host took most of it: say so, rather than 'unknown'.
  if (threadTime?.host && causes.every((c) => c.category === 'unknown' || c.operation === UNKNOWN_NATIVE_CALL)) {
    causes = [{ callSite: null, operation: hostOperation(threadTime.host), category: 'host', durationMs: stall.durationMs, samples: 0, stack: [] }];
  }
  const found = finding('event-loop', settings.pid, settings.threadId ?? 0, stall, causes);
  found.sampled = weighSamples(stall, samples, timing, files.source, exact);
  if (threadTime) found.threadTime = threadTime;
  return found;
}

/**
 * The stall, placed so that it begins no later than the probed calls and GC pauses it
 * ends inside of.
 *
 * The heartbeat knows how long the loop was busy in a window, not where: it puts the
 * stall at the end of the window (heartbeat.ts). But after a long callback the loop
 * waits in epoll before it runs the overdue heartbeat: 1.1 to 2.7 ms of a 1.3 to 3 ms gap
 * in most stalls on Node.js 20, 22 and 24 (bench/idle-after-stall.js), 6 ms once on a
 * loaded CI machine. That idle time comes after the stall but is inside the window, so
 * the stall's recorded start falls inside its blocking call, which was cut short.
 *
 * No beat can run inside a call or a pause: one going on at the recorded start is the
 * stall's. The stall moves back to its start, keeping its busy time, and ends no earlier
 * than what overlapped it.
 */
function startingWithItsCalls(stall: StallRecord, evidence: StallEvidence): StallRecord {
  const intervals = [
    ...evidence.syncCalls.map((c) => [c.start, c.start + c.durationMs] as const),
    ...evidence.gcPauses.map((g) => [g.start, g.start + g.durationMs] as const),
  ].filter(([from, to]) => to > from && from < stall.end && to <= stall.end);
  let start = stall.start;
  for (;;) {
    const straddling = intervals.filter(([from, to]) => from < start && to > start);
    if (straddling.length === 0) break;
    start = Math.min(...straddling.map(([from]) => from));
  }
  if (start === stall.start) return stall;
  const inside = intervals.filter(([from, to]) => to > start && from < stall.end).map(([, to]) => to);
  const end = Math.max(stall.end - (stall.start - start), ...inside);
  return { ...stall, start, end, durationMs: end - start };
}

/**
 * Every stall of one process, in time order: its event-loop stalls (including one that
 * a kill cut short, known only from the watchdog's records) and its threadpool
 * starvation episodes.
 */
export function attributeProcess(recorded: ProcessRecording, files: ProgramFiles = NO_FILES): StallFinding[] {
  const p = mapProcess(recorded, files.maps);
  const mapped = { source: files.source, maps: NO_SOURCE_MAPS };
  const settings = { pid: p.process.pid, threadId: threadIdOf(p), sampleIntervalMs: p.process.sampleIntervalMs };
  const windows = [...p.stalls];
  const cut = stallCutByKill(p);
  if (cut) windows.push(cut);
  const loop = windows
    .map((window) => leavePausesOut(window, p.paused, p.process.thresholdMs))
    .filter((window) => window !== undefined)
    .map((window) => attributeStall(window, p, settings, mapped));
  return [...loop, ...threadpoolStalls(p, mapped)].sort((a, b) => a.start - b.start);
}

/**
 * A process's recording with every recorded frame mapped to the program's sources, where
 * a source map on disk says where (the same process when there are no maps to apply).
 */
export function mapProcess(p: ProcessRecording, maps: SourceMaps): ProcessRecording {
  if (maps === NO_SOURCE_MAPS) return p;
  return {
    ...p,
    samples: p.samples.map((s) => mapFrames(s, maps)),
    syncCalls: p.syncCalls.map((c) => mapFrames(c, maps)),
    poolWork: p.poolWork.map((w) => mapFrames(w, maps)),
  };
}

function finding(kind: StallFinding['kind'], pid: number, threadId: number, window: StallRecord, causes: StallPart[]): StallFinding {
  const found: StallFinding = {
    kind,
    pid,
    threadId,
    start: window.start,
    end: window.end,
    durationMs: window.durationMs,
    inProgressAtExit: window.inProgressAtExit,
    phase: window.phase,
    causes,
  };
  const traced = causes.find((part) => part.traceId);
  if (traced?.traceId) {
    found.traceId = traced.traceId;
    if (traced.spanId) found.spanId = traced.spanId;
    if (traced.traceFlags !== undefined) found.traceFlags = traced.traceFlags;
    if (traced.spanStart !== undefined) found.spanStart = traced.spanStart;
  }
  return found;
}

/** A record with its frames mapped to the program's sources, where a source map on disk says where. */
function mapFrames<R extends { frames: RecordedFrame[] }>(record: R, maps: SourceMaps): R {
  if (maps === NO_SOURCE_MAPS) return record;
  return { ...record, frames: record.frames.map((f) => maps.map(f)) };
}

/** A probed sync call, as the exact interval it gives a stall. */
function syncCallInterval(call: SyncCallRecord, files: ProgramFiles): ExactInterval {
  const { stack, ...attribution } = attributeSyncCall(call, files.source);
  const interval: ExactInterval = {
    start: call.start,
    end: call.start + call.durationMs,
    attribution: { callSite: attribution.callSite, operation: attribution.operation, category: attribution.category },
    operation: attribution.operation,
    category: attribution.category,
    stack,
  };
  if (call.target !== undefined) interval.detail = call.target;
  if (attribution.viaDependency) interval.viaDependency = true;
  // The loader's read of a module's source (or Node.js 24's require() of an import()ed
  // CommonJS module) is a part of loading it: the rest of the load is around it.
  if (attribution.category === 'module' && call.operation !== attribution.operation) interval.partial = true;
  return interval;
}

function gcInterval(gc: GcRecord): ExactInterval {
  return { start: gc.start, end: gc.start + gc.durationMs, attribution: null, operation: `gc.${gc.kind}`, category: 'gc', stack: [] };
}

/**
 * A stall without the time its thread spent paused in a debugger, which is not the
 * program's: undefined when what is left is no stall (a pause at a breakpoint with
 * nothing slow around it). The stall's busy time ends where it ended; what is left of it
 * is placed at its end, as the heartbeat places busy time: the pause is then at its start,
 * as a breakpoint or `--inspect-brk`'s first line usually is.
 */
export function leavePausesOut(stall: StallRecord, paused: readonly PausedRecord[], thresholdMs: number): StallRecord | undefined {
  const within = paused
    .filter((p) => p.seq === stall.seq)
    .map((p) => ({ from: Math.max(p.from, stall.start), to: Math.min(p.to, stall.end) }))
    .filter((p) => p.to > p.from)
    .sort((a, b) => a.from - b.from);
  if (within.length === 0) return stall;
  let pausedMs = 0;
  let reached = -Infinity;
  for (const p of within) {
    const from = Math.max(p.from, reached);
    if (p.to > from) pausedMs += p.to - from;
    reached = Math.max(reached, p.to);
  }
  const durationMs = stall.durationMs - pausedMs;
  if (durationMs <= thresholdMs) return undefined;
  return { ...stall, start: stall.end - durationMs, durationMs };
}

/** How long a process's threads were paused in a debugger, and how often. */
export function debuggerPauses(paused: readonly PausedRecord[]): { count: number; totalMs: number } {
  return { count: paused.length, totalMs: paused.reduce((sum, p) => sum + (p.to - p.from), 0) };
}

/**
 * A process killed in the middle of a stall wrote no stall record; its watchdog's
 * `blocked` and `sample` records still say since when the loop had not beaten and how
 * long that lasted at least. The start is the last beat (the idle time after it is
 * unknown), so the duration is an upper bound by at most one heartbeat interval.
 */
export function stallCutByKill(p: ProcessRecording): StallRecord | undefined {
  if (p.exit) return undefined;
  const lastBlocked = p.blocked.at(-1);
  if (!lastBlocked || p.stalls.some((s) => s.seq >= lastBlocked.seq)) return undefined;
  const seq = lastBlocked.seq;
  const seen = Math.max(...p.blocked.filter((b) => b.seq === seq).map((b) => b.at), ...p.samples.filter((s) => s.seq === seq).map((s) => s.at));
  // A terminated worker thread's heartbeat stops with it: the watchdog saw it as blocked
  // until it was told of the end. Only the time before the end is a stall, if any.
  const end = p.endedAt === undefined ? seen : Math.min(seen, p.endedAt);
  const durationMs = end - lastBlocked.since;
  if (durationMs <= p.process.thresholdMs) return undefined;
  return { type: 'stall', seq, start: lastBlocked.since, end, durationMs, inProgressAtExit: true, phase: 'run' };
}

/**
 * Threadpool starvation episodes, each a stall of the pool: from the first long wait's
 * submission to the last one's run, caused by the tracked work in flight then.
 */
function threadpoolStalls(p: ProcessRecording, files: ProgramFiles): StallFinding[] {
  const work: PoolWorkRecord[] = p.poolWork.map((w) => mapFrames(w, files.maps));
  // The watchdog submits a probe task every POOL_PROBE_INTERVAL_MS, when the previous one has run.
  const episodes = poolEpisodes(p.poolWaits, POOL_PROBE_INTERVAL_MS * 1.5, work, p.exit?.threadpoolSize ?? 4);
  return episodes.map((episode) => {
    const window: StallRecord = {
      type: 'stall',
      seq: -1,
      start: episode.start,
      end: episode.end,
      durationMs: episode.end - episode.start,
      inProgressAtExit: episode.inProgressAtExit,
      phase: 'run',
    };
    const found = finding('threadpool', p.process.pid, 0, window, poolEpisodeParts(episode, work, files.source));
    found.queue = episode.queue;
    found.maxQueueWaitMs = episode.maxWaitMs;
    return found;
  });
}

export type { Frame, StallPart };
