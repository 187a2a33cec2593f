import { poolEpisodeParts, poolEpisodes } from '../attribution/pool-starvation';
import { causeKey, samplesToParts, type ExactInterval, type StallPart } from '../attribution/samples-to-stall';
import { NO_SOURCE, type SourceLines } from '../attribution/source';
import { attributeSyncCall } from '../attribution/stack-to-call-site';
import type { ProcessRecording, Recording } from '../recording/decode';
import { POOL_PROBE_INTERVAL_MS, type StallRecord } from '../recording/schema';
import { REPORT_SCHEMA_VERSION, type CallSiteSummary, type ProcessSummary, type Report, type Stall } from './schema';
import { summarizeSyncIo } from './sync-io';

/** What the CLI knows about the run that the recording cannot tell. */
export type RunInfo = Pick<Report, 'command' | 'thresholdMs' | 'startedAt' | 'durationMs' | 'exitCode' | 'signal'> & {
  toolVersion: string;
};

/** Builds the report from a recording. Pure apart from reading source lines through `source`. */
export function buildReport(recording: Recording, run: RunInfo, source: SourceLines = NO_SOURCE): Report {
  const stalls = recording.processes
    .flatMap((p) => [...processStalls(p, run.thresholdMs, source), ...threadpoolStalls(p, source)])
    .sort((a, b) => a.start - b.start);
  const loopStalls = stalls.filter((s) => s.kind === 'event-loop');
  const poolStalls = stalls.filter((s) => s.kind === 'threadpool');
  const processes = recording.processes.map(summarizeProcess);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'loopwatch', version: run.toolVersion },
    command: run.command,
    thresholdMs: run.thresholdMs,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    exitCode: run.exitCode,
    signal: run.signal,
    processes,
    stalls,
    callSites: summarizeCallSites(loopStalls),
    syncIo: summarizeSyncIo(recording.processes, source),
    totals: {
      stalls: loopStalls.length,
      blockedMs: sum(loopStalls.map((s) => s.durationMs)),
      threadpoolStalls: poolStalls.length,
      threadpoolStarvedMs: sum(poolStalls.map((s) => s.durationMs)),
      gcPauses: sum(processes.map((p) => p.gc?.count ?? 0)),
      gcPauseMs: sum(processes.map((p) => p.gc?.totalMs ?? 0)),
    },
  };
}

function summarizeProcess(p: ProcessRecording): ProcessSummary {
  return {
    pid: p.process.pid,
    ppid: p.process.ppid,
    argv: p.process.argv,
    startedAt: p.process.startedAt,
    durationMs: (p.exit?.at ?? p.lastSeenAt) - p.process.startedAt,
    endedBy: p.exit ? 'exit' : 'killed',
    exitCode: p.exit?.exitCode ?? null,
    eventLoopDelay: p.exit?.eventLoopDelay ?? null,
    utilization: p.exit?.utilization ?? null,
    gc: p.exit?.gc ?? null,
    threadpool: p.exit ? { size: p.exit.threadpoolSize, queueWait: p.exit.threadpoolQueueWait } : null,
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function processStalls(p: ProcessRecording, thresholdMs: number, source: SourceLines): Stall[] {
  const windows = [...p.stalls];
  const cut = stallCutByKill(p, thresholdMs);
  if (cut) windows.push(cut);
  // A sample held up for three sampling intervals was waiting for code that takes no interrupts.
  const timing = { lateAfterMs: Math.max(30, 3 * p.process.sampleIntervalMs) };
  const exact = exactIntervals(p, source);
  return windows.map((window) => {
    const samples = p.samples.filter((s) => s.seq === window.seq);
    const inWindow = exact.filter((e) => e.end > window.start && e.start < window.end);
    const parts = samplesToParts(window, samples, timing, source, inWindow);
    return toStall(p.process.pid, window, parts);
  });
}

/** The probed sync calls and the GC pauses of a process: what a stall's time is known exactly for. */
function exactIntervals(p: ProcessRecording, source: SourceLines): ExactInterval[] {
  const calls = p.syncCalls.map((call): ExactInterval => {
    const { stack, ...attribution } = attributeSyncCall(call, source);
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
    return interval;
  });
  const pauses = p.gcPauses.map(
    (gc): ExactInterval => ({
      start: gc.start,
      end: gc.start + gc.durationMs,
      attribution: null,
      operation: `gc.${gc.kind}`,
      category: 'gc',
      stack: [],
    }),
  );
  return [...calls, ...pauses];
}

/**
 * Threadpool starvation episodes, each a stall of the pool: from the first long wait's
 * submission to the last one's run, caused by the tracked work in flight then.
 */
function threadpoolStalls(p: ProcessRecording, source: SourceLines): Stall[] {
  // The watchdog submits a probe task every POOL_PROBE_INTERVAL_MS, when the previous one has run.
  const episodes = poolEpisodes(p.poolWaits, POOL_PROBE_INTERVAL_MS * 1.5, p.poolWork, p.exit?.threadpoolSize ?? 4);
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
    const stall = toStall(p.process.pid, window, poolEpisodeParts(episode, p.poolWork, source), 'threadpool');
    stall.category = 'threadpool';
    stall.queue = episode.queue;
    stall.maxQueueWaitMs = episode.maxWaitMs;
    return stall;
  });
}

/**
 * A process killed in the middle of a stall wrote no stall record; its watchdog's
 * `blocked` and `sample` records still say since when the loop had not beaten and how
 * long that lasted at least. The start is the last beat (the idle time after it is
 * unknown), so the duration is an upper bound by at most one heartbeat interval.
 */
function stallCutByKill(p: ProcessRecording, thresholdMs: number): StallRecord | undefined {
  if (p.exit) return undefined;
  const lastBlocked = p.blocked.at(-1);
  if (!lastBlocked || p.stalls.some((s) => s.seq >= lastBlocked.seq)) return undefined;
  const seq = lastBlocked.seq;
  const end = Math.max(
    ...p.blocked.filter((b) => b.seq === seq).map((b) => b.at),
    ...p.samples.filter((s) => s.seq === seq).map((s) => s.at),
  );
  const durationMs = end - lastBlocked.since;
  if (durationMs <= thresholdMs) return undefined;
  return { type: 'stall', seq, start: lastBlocked.since, end, durationMs, inProgressAtExit: true, phase: 'run' };
}

function toStall(pid: number, window: StallRecord, parts: StallPart[], kind: Stall['kind'] = 'event-loop'): Stall {
  const main = parts[0]!;
  const stall: Stall = {
    kind,
    pid,
    start: window.start,
    durationMs: window.durationMs,
    inProgressAtExit: window.inProgressAtExit,
    phase: window.phase,
    category: main.category,
    operation: main.operation,
    callSite: main.callSite,
    stack: main.stack,
    samples: parts.reduce((sum, part) => sum + part.samples, 0),
    causes: parts.map((part) => ({ ...part })),
  };
  const traced = parts.find((part) => part.traceId);
  if (traced?.traceId) {
    stall.traceId = traced.traceId;
    if (traced.spanId) stall.spanId = traced.spanId;
  }
  return stall;
}

/** Call sites by total blocked time; each stall cause counts for its own call site. */
export function summarizeCallSites(stalls: Stall[]): CallSiteSummary[] {
  const groups = new Map<string, { first: Stall['causes'][number]; durations: number[] }>();
  for (const stall of stalls) {
    for (const cause of stall.causes) {
      const key = causeKey(cause);
      const group = groups.get(key) ?? { first: cause, durations: [] };
      group.durations.push(cause.durationMs);
      groups.set(key, group);
    }
  }
  return [...groups.values()]
    .map(({ first, durations }) => {
      const site: CallSiteSummary = {
        callSite: first.callSite,
        operation: first.operation,
        category: first.category,
        count: durations.length,
        totalMs: durations.reduce((a, b) => a + b, 0),
        maxMs: Math.max(...durations),
        p95Ms: percentile(durations, 95),
      };
      if (first.detail !== undefined) site.detail = first.detail;
      return site;
    })
    .sort((a, b) => b.totalMs - a.totalMs);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
