import { attributeProcess, debuggerPauses, leavePausesOut, mapProcess, NO_FILES, type ProgramFiles } from '../attribution/attribute';
import { callSiteRowKey } from '../attribution/samples-to-stall';
import { ownerOf } from '../attribution/frames';
import { watchdogLooksAfterMs } from '../contract/settings';
import { NO_SOURCE_MAPS } from '../attribution/source-maps';
import { threadIdOf, type ProcessRecording, type Recording } from '../recording/decode';
import { boundProfiles, MAX_STACKS, MAX_STACKS_PER_STALL, stacksOfStall } from './samples-to-profiles';
import { processRoles } from './process-roles';
import { REPORT_SCHEMA_VERSION, type CallSitePart, type CallSiteSummary, type Frame, type GcPause, type HotFunction, type ProcessSummary, type Report, type Stall, type StallCause, type ThreadSummary } from './schema';
import { toStall } from './to-stall';
import { summarizeStartup } from './startup';
import { summarizeSyncIo } from './sync-io';

/** What the CLI knows about the run that the recording cannot tell. */
export type RunInfo = Pick<Report, 'command' | 'cwd' | 'thresholdMs' | 'startedAt' | 'durationMs' | 'exitCode' | 'signal'> & {
  toolVersion: string;
  /** The pid of the process loopwatch started, when known (run.json's `pid`). */
  commandPid?: number | null;
};

/**
 * Builds the report from a recording: attribution's findings, summed up and put in the
 * report's own shape. Pure apart from reading the program's files through `files`.
 */
export function buildReport(recording: Recording, run: RunInfo, files: ProgramFiles = NO_FILES): Report {
  const processes = recording.processes.map((p) => mapProcess(p, files.maps));
  const attributed = { source: files.source, maps: NO_SOURCE_MAPS };
  const findings = processes.flatMap((p) => attributeProcess(p, attributed)).sort((a, b) => a.start - b.start);
  const withStacks = findings.map((found) => {
    const stall = toStall(found);
    return { stall, stacks: found.sampled ? stacksOfStall(found.sampled, stall.causes) : [] };
  });
  const stalls = withStacks.map((s) => s.stall);
  // In the stalls' time order, so that frames are numbered as a reader meets them.
  const profiles = boundProfiles(withStacks, { stacksPerStall: MAX_STACKS_PER_STALL, stacks: MAX_STACKS });
  const gc = listGcPauses(processes);
  const loopStalls = stalls.filter((s) => s.kind === 'event-loop');
  const poolStalls = stalls.filter((s) => s.kind === 'threadpool');
  // A process's worker threads have recordings of their own: summed up under their process.
  const mains = processes.filter((p) => threadIdOf(p) === 0);
  const workers = processes.filter((p) => threadIdOf(p) !== 0);
  const roles = processRoles(mains.map((p) => ({ pid: p.process.pid, ppid: p.process.ppid, argv: p.process.argv, execArgv: p.process.execArgv })));
  const summaries = mains.map((p) => ({
    ...summarizeProcess(p, workers.filter((w) => w.process.pid === p.process.pid)),
    role: roles.get(p.process.pid) ?? null,
    firstProcess: p.process.pid === run.commandPid,
  }));
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'loopwatch', version: run.toolVersion },
    command: run.command,
    cwd: run.cwd,
    thresholdMs: run.thresholdMs,
    startedAt: run.startedAt,
    durationMs: run.durationMs,
    exitCode: run.exitCode,
    signal: run.signal,
    processes: summaries,
    stalls,
    callSites: summarizeCallSites(loopStalls, profiles.frames),
    syncIo: summarizeSyncIo(processes, files.source),
    frames: profiles.frames,
    gcPauses: gc.pauses,
    limits: {
      stacksPerStall: MAX_STACKS_PER_STALL,
      stacks: MAX_STACKS,
      gcPauses: MAX_GC_PAUSES,
      omittedStacks: profiles.omittedStacks,
      omittedStackMs: profiles.omittedStackMs,
      omittedGcPauses: gc.omitted,
    },
    totals: {
      stalls: loopStalls.length,
      blockedMs: sum(loopStalls.map((s) => s.durationMs)),
      threadpoolStalls: poolStalls.length,
      threadpoolStarvedMs: sum(poolStalls.map((s) => s.durationMs)),
      gcPauses: sum(summaries.map((p) => p.gc?.count ?? 0)),
      gcPauseMs: sum(summaries.map((p) => p.gc?.totalMs ?? 0)),
    },
    warnings: [...samplingWarnings(mains), ...gcWarnings(mains), ...processes.flatMap((p) => unsampledWarnings(p, stalls)), ...files.maps.problems()],
  };
}

/** A process the watchdog could take no stack samples of: its stalls without a probed call in them stay unnamed. */
function samplingWarnings(mains: ProcessRecording[]): string[] {
  return mains
    .filter((p) => p.process.noSamplesBecause !== undefined)
    .map((p) => `pid ${p.process.pid}: no stack samples (${p.process.noSamplesBecause}); its stalls are named only by the probed calls in them`);
}

/** A process that observed GC only while its loop was in trouble: its GC figures are not all its pauses. */
function gcWarnings(mains: ProcessRecording[]): string[] {
  return mains
    .filter((p) => p.process.gcObserved === 'when late')
    .map((p) => `pid ${p.process.pid}: GC pauses were observed only while the event loop was late (the production mode): its GC figures count those alone`);
}

/**
 * What the watchdog did not sample, and the time that was not the program's: said per
 * process (and worker thread), so that a stall with no call site is never a mystery.
 */
function unsampledWarnings(p: ProcessRecording, reported: Stall[]): string[] {
  const who = `pid ${p.process.pid}${threadIdOf(p) === 0 ? '' : ` (worker thread ${threadIdOf(p)})`}`;
  const warnings: string[] = [];
  const pauses = debuggerPauses(p.paused);
  if (pauses.count > 0) {
    warnings.push(`${who}: paused in a debugger ${plural(pauses.count, 'time')}, ${formatMs(pauses.totalMs)} in all: left out of its stalls (not the program's time)`);
  }
  // Stalls that were a pause and nothing more are no stalls.
  const stalls = p.stalls.filter((s) => leavePausesOut(s, p.paused, p.process.thresholdMs));
  const stallSeqs = new Set(stalls.map((s) => s.seq));
  const sampledSeqs = new Set(p.samples.map((s) => s.seq));
  const unsampled = (reason: 'debugger' | 'bound') =>
    new Set(p.unsampled.filter((u) => u.reason === reason && stallSeqs.has(u.seq) && !sampledSeqs.has(u.seq)).map((u) => u.seq)).size;
  const whileDebuggable = unsampled('debugger');
  if (whileDebuggable > 0) {
    warnings.push(
      `${who}: ${plural(whileDebuggable, 'stall')} not sampled while its inspector listened on a port (--inspect): a debugger would list every sample as a script of the program; they are timed, and named only by the probed calls in them`,
    );
  }
  const bounded = unsampled('bound');
  if (bounded > 0) {
    const limit = p.process.maxSamplesPerSecond;
    warnings.push(
      `${who}: ${plural(bounded, 'stall')} not sampled: the sampling bound${limit === undefined ? '' : ` (${plural(limit, 'sample')} a second, over 10 s)`} was reached; they are counted and timed, and named only by the probed calls in them`,
    );
  }
  // The watchdog looks for a missing beat only so often: a stall over before then was never
  // seen blocked, and is named only if a probed call or GC pause in it was.
  const blockedSeqs = new Set(p.blocked.map((b) => b.seq));
  // Told by their end, which leaving a pause out does not move (to the microsecond: sums of floats).
  const unnamedEnds = new Set(
    reported
      .filter((s) => s.kind === 'event-loop' && s.pid === p.process.pid && s.threadId === threadIdOf(p) && s.category === 'unknown')
      .map((s) => Math.round((s.start + s.durationMs) * 1000)),
  );
  const unseen = stalls.filter((s) => !blockedSeqs.has(s.seq) && !sampledSeqs.has(s.seq) && unnamedEnds.has(Math.round(s.end * 1000))).length;
  const lookAfterMs = watchdogLooksAfterMs(p.process);
  // With a threshold under two looks' time, stalls the watchdog cannot see are to be expected,
  // and said. Over it, one is a rare watchdog thread that had no CPU (or had not started yet).
  if (unseen > 0 && p.process.thresholdMs < 2 * lookAfterMs) {
    warnings.push(
      `${who}: ${plural(unseen, 'stall')} with no call site ended before the watchdog could sample ${unseen === 1 ? 'it' : 'them'} (it looks after ${formatMs(lookAfterMs)} without a heartbeat, and then every ${formatMs(lookAfterMs)} at most: a threshold under ${formatMs(2 * lookAfterMs)} counts stalls it cannot sample): timed, not located`,
    );
  }
  return warnings;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function summarizeProcess(p: ProcessRecording, workers: ProcessRecording[]): ProcessSummary {
  // A process killed without its exit handlers still has the running figures it wrote last.
  const figures = p.exit ?? p.totals;
  const watched = new Set(workers.map(threadIdOf));
  const threads: ThreadSummary[] = workers.map((w) => {
    const wFigures = w.exit ?? w.totals;
    return {
      threadId: threadIdOf(w),
      name: w.process.threadName ?? null,
      startedAt: w.process.startedAt,
      durationMs: (w.exit?.at ?? w.endedAt ?? w.lastSeenAt) - w.process.startedAt,
      endedBy: w.exit ? 'exit' : w.endedAt !== undefined ? 'terminated' : 'killed',
      eventLoopDelay: wFigures?.eventLoopDelay ?? null,
      utilization: wFigures?.utilization ?? null,
    };
  });
  return {
    pid: p.process.pid,
    ppid: p.process.ppid,
    argv: p.process.argv,
    execArgv: p.process.execArgv,
    startedAt: p.process.startedAt,
    durationMs: (p.exit?.at ?? p.lastSeenAt) - p.process.startedAt,
    endedBy: p.exit ? 'exit' : 'killed',
    exitCode: p.exit?.exitCode ?? null,
    figuresAt: figures ? figures.at : null,
    eventLoopDelay: figures?.eventLoopDelay ?? null,
    utilization: figures?.utilization ?? null,
    gc: figures?.gc ?? null,
    threadpool: figures ? { size: figures.threadpoolSize, queueWait: figures.threadpoolQueueWait } : null,
    threads,
    // Every worker thread the program started; those whose agent ran have recordings of their own.
    unwatchedThreads: p.threads.filter((t) => !watched.has(t.threadId)).map((t) => ({ threadId: t.threadId, name: t.name })),
    ...(p.startup ? { startup: summarizeStartup(p) } : {}),
  };
}

/**
 * GC pauses listed for the timeline: a busy server records a pause of 1 ms or more every
 * few seconds, a run of hours thousands; the longest 5,000 are the ones worth seeing.
 */
export const MAX_GC_PAUSES = 5_000;

/** The recorded GC pauses of every process, the longest MAX_GC_PAUSES of them, in time order. */
function listGcPauses(processes: ProcessRecording[]): { pauses: GcPause[]; omitted: number } {
  const all = processes.flatMap((p) => p.gcPauses.map((gc): GcPause => ({ pid: p.process.pid, threadId: threadIdOf(p), start: gc.start, durationMs: gc.durationMs, kind: gc.kind })));
  const kept = all.length <= MAX_GC_PAUSES ? all : [...all].sort((a, b) => b.durationMs - a.durationMs).slice(0, MAX_GC_PAUSES);
  return { pauses: kept.sort((a, b) => a.start - b.start), omitted: all.length - kept.length };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Call sites by total blocked time: one row per line (attribution's callSiteRowKey), with
 * what each stall spent there split by operation inside it. A probed call, the JavaScript
 * around it at the same line and a GC pause that interrupted it there are one row.
 */
export function summarizeCallSites(stalls: Stall[], frames: Frame[] = []): CallSiteSummary[] {
  interface Part {
    first: StallCause;
    stalls: number;
    totalMs: number;
    exact: boolean;
    calls: number;
  }
  type PerProcess = { pid: number; count: number; totalMs: number; maxMs: number };
  interface Row {
    parts: Map<string, Part>;
    perStall: number[];
    threads: Set<number>;
    processes: Map<number, PerProcess>;
    runQueueMs?: number;
    /** Self time of the innermost frames its samples were in (the stalls' profiles). */
    hot: Map<string, HotFunction>;
  }
  const rows = new Map<string, Row>();
  for (const stall of stalls) {
    const t = stall.threadTime;
    const waitShare = t && t.observedMs > 0 ? t.runQueueMs / t.observedMs : undefined;
    // What this stall spent at each row, and the parts it had there.
    const here = new Map<string, { ms: number; operations: Set<string> }>();
    for (const cause of stall.causes) {
      const key = callSiteRowKey(cause);
      const row = rows.get(key) ?? { parts: new Map<string, Part>(), perStall: [], threads: new Set<number>(), processes: new Map<number, PerProcess>(), hot: new Map<string, HotFunction>() };
      rows.set(key, row);
      const part = row.parts.get(cause.operation) ?? { first: cause, stalls: 0, totalMs: 0, exact: true, calls: 0 };
      row.parts.set(cause.operation, part);
      const seen = here.get(key) ?? { ms: 0, operations: new Set<string>() };
      here.set(key, seen);
      if (!seen.operations.has(cause.operation)) part.stalls += 1;
      seen.operations.add(cause.operation);
      seen.ms += cause.durationMs;
      part.totalMs += cause.durationMs;
      part.exact &&= cause.exact === true;
      part.calls += cause.calls ?? 0;
      row.threads.add(stall.threadId ?? 0);
      if (waitShare !== undefined) row.runQueueMs = (row.runQueueMs ?? 0) + cause.durationMs * waitShare;
    }
    for (const [key, { ms }] of here) {
      const row = rows.get(key)!;
      row.perStall.push(ms);
      const inProcess = row.processes.get(stall.pid) ?? { pid: stall.pid, count: 0, totalMs: 0, maxMs: 0 };
      inProcess.count += 1;
      inProcess.totalMs += ms;
      inProcess.maxMs = Math.max(inProcess.maxMs, ms);
      row.processes.set(stall.pid, inProcess);
    }
    for (const sampled of stall.profile?.stacks ?? []) {
      const cause = sampled.cause === undefined ? undefined : stall.causes[sampled.cause];
      const innermost = frames[sampled.frames[0] ?? -1];
      if (!cause || !innermost) continue;
      const hot = rows.get(callSiteRowKey(cause))!.hot;
      const id = JSON.stringify([innermost.file, innermost.function]);
      const entry = hot.get(id) ?? { function: innermost.function, file: innermost.file, line: innermost.line, selfMs: 0 };
      entry.selfMs += sampled.durationMs;
      hot.set(id, entry);
    }
  }
  return [...rows.values()]
    .map(({ parts, perStall, threads, processes, runQueueMs, hot }) => {
      const split = [...parts.values()].sort((a, b) => b.totalMs - a.totalMs);
      const main = split[0]!.first;
      const site: CallSiteSummary = {
        callSite: main.callSite,
        operation: main.operation,
        category: main.category,
        parts: split.map((part) => {
          const out: CallSitePart = { operation: part.first.operation, category: part.first.category, count: part.stalls, totalMs: part.totalMs };
          if (part.exact) out.exact = true;
          if (part.calls > 0) out.calls = part.calls;
          return out;
        }),
        threads: [...threads].sort((a, b) => a - b),
        count: perStall.length,
        totalMs: sum(perStall),
        maxMs: Math.max(...perStall),
        p95Ms: percentile(perStall, 95),
        processes: [...processes.values()].sort((a, b) => b.totalMs - a.totalMs),
      };
      if (main.detail !== undefined) site.detail = main.detail;
      if (runQueueMs !== undefined) site.runQueueMs = runQueueMs;
      const hottest = hottestFunctions(site, [...hot.values()]);
      if (hottest.length > 0) site.hottest = hottest;
      return site;
    })
    .sort((a, b) => b.totalMs - a.totalMs);
}

/** Hottest functions listed per call site. */
export const MAX_HOTTEST = 5;

/**
 * The functions a call site's JavaScript spent its time in, where the row does not say
 * it: for a line whose time went to JavaScript (`js`) or to loading a module, the
 * program's and dependencies' functions its samples were innermost in, by self time,
 * other than the call site's own function. A dependency's tool run as the main module
 * (eslint, tsc) is one row at its entry frame, and these say where its time went.
 */
function hottestFunctions(site: CallSiteSummary, hot: HotFunction[]): HotFunction[] {
  if (site.category !== 'js' && site.category !== 'module') return [];
  const own = site.callSite;
  return hot
    .filter((h) => {
      const owner = ownerOf({ file: h.file, line: h.line, column: null, function: h.function });
      if (owner !== 'program' && owner !== 'dependency') return false;
      return !(own && h.file === own.file && h.function === own.function);
    })
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, MAX_HOTTEST);
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
