import { causeKey, samplesToParts, type StallPart } from '../attribution/samples-to-stall';
import { NO_SOURCE, type SourceLines } from '../attribution/source';
import type { ProcessRecording, Recording } from '../recording/decode';
import type { StallRecord } from '../recording/schema';
import { REPORT_SCHEMA_VERSION, type CallSiteSummary, type ProcessSummary, type Report, type Stall } from './schema';

/** What the CLI knows about the run that the recording cannot tell. */
export type RunInfo = Pick<Report, 'command' | 'thresholdMs' | 'startedAt' | 'durationMs' | 'exitCode' | 'signal'> & {
  toolVersion: string;
};

/** Builds the report from a recording. Pure apart from reading source lines through `source`. */
export function buildReport(recording: Recording, run: RunInfo, source: SourceLines = NO_SOURCE): Report {
  const stalls = recording.processes
    .flatMap((p) => processStalls(p, run.thresholdMs, source))
    .sort((a, b) => a.start - b.start);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'loopwatch', version: run.toolVersion },
    command: run.command,
    thresholdMs: run.thresholdMs,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    exitCode: run.exitCode,
    signal: run.signal,
    processes: recording.processes.map(summarizeProcess),
    stalls,
    callSites: summarizeCallSites(stalls),
    totals: { stalls: stalls.length, blockedMs: stalls.reduce((sum, s) => sum + s.durationMs, 0) },
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
  };
}

function processStalls(p: ProcessRecording, thresholdMs: number, source: SourceLines): Stall[] {
  const windows = [...p.stalls];
  const cut = stallCutByKill(p, thresholdMs);
  if (cut) windows.push(cut);
  // A sample held up for three sampling intervals was waiting for code that takes no interrupts.
  const timing = { lateAfterMs: Math.max(30, 3 * p.process.sampleIntervalMs) };
  return windows.map((window) => {
    const samples = p.samples.filter((s) => s.seq === window.seq);
    const parts = samplesToParts(window, samples, timing, source);
    return toStall(p.process.pid, window, parts);
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

function toStall(pid: number, window: StallRecord, parts: StallPart[]): Stall {
  const main = parts[0]!;
  const stall: Stall = {
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
    .map(({ first, durations }) => ({
      callSite: first.callSite,
      operation: first.operation,
      category: first.category,
      count: durations.length,
      totalMs: durations.reduce((a, b) => a + b, 0),
      maxMs: Math.max(...durations),
      p95Ms: percentile(durations, 95),
    }))
    .sort((a, b) => b.totalMs - a.totalMs);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
