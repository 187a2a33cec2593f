import type { Verdict } from '../gate/verdict';
import type { DelaySummary, GcKind, GcTotals, PoolQueue, QueueWaitSummary } from '../recording/schema';
import type { ProcessRole } from './process-roles';

export type { ProcessRole } from './process-roles';

/**
 * The report's own types: what the JSON says is declared here, field by field, and filled
 * from attribution's findings by build-report.ts, so that a change inside attribution
 * cannot change the JSON without a change here.
 */

/** What kind of blocking a cause is (the README lists them; attribution/categories.ts decides them). */
export type Category =
  | 'crypto'
  | 'fs'
  | 'dns'
  | 'child_process'
  | 'zlib'
  | 'json'
  | 'regex'
  | 'module'
  | 'sync-wait'
  | 'gc'
  | 'threadpool'
  | 'js'
  | 'native'
  /** Not the program's code: the host did not run the thread (it waited for a CPU, or the process was stopped). */
  | 'host'
  | 'unknown';

/** A stack frame: an absolute path (or a `node:` specifier, or null for builtins), 1-based line and column. */
export interface Frame {
  file: string | null;
  line: number | null;
  column: number | null;
  function: string | null;
  /** Where the frame is in the code that ran, when file, line and column come from a source map. */
  generated?: { file: string; line: number | null; column: number | null };
}

/**
 * The JSON report (`--json FILE`). Documented in the README; bump REPORT_SCHEMA_VERSION
 * on any change that could break a reader. Times are epoch milliseconds, durations
 * milliseconds, paths absolute.
 */
export const REPORT_SCHEMA_VERSION = 2;

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'loopwatch'; version: string };
  /** The command as loopwatch ran it. */
  command: string[];
  /** The directory it ran in. */
  cwd: string;
  thresholdMs: number;
  startedAt: number;
  durationMs: number;
  /** The command's exit status as loopwatch exits with it (128 + signal number when killed). */
  exitCode: number;
  /** The signal that killed the command, if one did. */
  signal: string | null;
  processes: ProcessSummary[];
  /** Event-loop stalls and threadpool starvation episodes, in time order. */
  stalls: Stall[];
  /** Call sites of the event-loop stalls. */
  callSites: CallSiteSummary[];
  /** Sync API calls made after startup, stalls or not. */
  syncIo: SyncIoSummary;
  /**
   * Every frame that a stall's profile uses, once: profiles name frames by their index
   * here, so that a frame seen in a thousand samples is written once.
   */
  frames: Frame[];
  /** Recorded GC pauses (1 ms or more), in time order, at most `limits.gcPauses` (the longest). */
  gcPauses: GcPause[];
  /** The caps that keep the report small for big runs, and what they left out. */
  limits: ReportLimits;
  totals: {
    /** Event-loop stalls, and the time they blocked the loop. */
    stalls: number;
    blockedMs: number;
    threadpoolStalls: number;
    threadpoolStarvedMs: number;
    gcPauses: number;
    gcPauseMs: number;
  };
  /** What a reader should know about the report itself: source maps that could not be read, records that were skipped. */
  warnings: string[];
  /** What the CI gate said, when the run was held to a budget. */
  verdict?: Verdict;
}

/** A worker thread that was watched: its own event loop's figures. */
export interface ThreadSummary {
  threadId: number;
  name: string | null;
  startedAt: number;
  durationMs: number;
  /**
   * 'exit' when it ran its exit handlers; 'terminated' when it was stopped without them
   * (worker.terminate(), or its process's exit), seen by the main thread; 'killed' when its
   * process died without a word.
   */
  endedBy: 'exit' | 'terminated' | 'killed';
  eventLoopDelay: DelaySummary | null;
  utilization: number | null;
}

export interface ProcessSummary {
  pid: number;
  ppid: number;
  argv: string[];
  /** The Node.js options it ran with (`--test`, `--expose-gc`), which `argv` leaves out (absent in reports saved before). */
  execArgv?: string[];
  /**
   * What the process is for, where its arguments tell (process-roles.ts): a package manager,
   * a test runner's main process, a test worker; null when not known (the program itself).
   */
  role?: ProcessRole | null;
  /** The command's first process: the one loopwatch started (absent when not known). */
  firstProcess?: boolean;
  startedAt: number;
  durationMs: number;
  /** 'exit' when the process ran its exit handlers; 'killed' when it died without them (signal). */
  endedBy: 'exit' | 'killed';
  exitCode: number | null;
  /**
   * When its figures (delay, utilization, GC, threadpool, sync call counts) were taken: its
   * exit, or for a killed process the last running totals it wrote (at most a second
   * before it died); null when it wrote none.
   */
  figuresAt: number | null;
  eventLoopDelay: DelaySummary | null;
  utilization: number | null;
  /** Null when the process ended without its exit handlers. */
  gc: GcTotals | null;
  /** Worker threads the process started whose event loops were watched (their agent ran), with their own figures. */
  threads: ThreadSummary[];
  /** Worker threads the process started whose event loops were not watched (their agent did not run), never left unsaid. */
  unwatchedThreads: Array<{ threadId: number; name: string | null }>;
  /** How long tasks waited for a thread, per queue of the pool (`dns`: lookups, `work`: the rest). */
  threadpool: { size: number; queueWait: Record<PoolQueue, QueueWaitSummary | null> } | null;
  /** What its time before the event loop's first turn went to; absent in reports made before (and for a recording without it). */
  startup?: StartupSummary | null;
}

/** A process's time before the first turn of its event loop, from the start of the process. */
export interface StartupSummary {
  /** From the process's start to the end of startup: the first turn (or its end, when the loop never turned), or mainEvaluatedAt. */
  beforeLoopMs: number;
  loopTurned: boolean;
  /** When the loop first turned (epoch ms); null when it never did. */
  loopStartAt: number | null;
  /**
   * When an ES module main entry had been evaluated, where Node.js 20 loads it after the
   * loop's first turn (epoch ms): startup lasted until then. Null when it ended at the first turn.
   */
  mainEvaluatedAt: number | null;
  /** Node.js's own start, until loopwatch's preload ran (earlier --require preloads too). */
  nodeMs: number;
  /** loopwatch's own setup: loading its agent, replacing the functions it times, starting its watchdog. */
  loopwatchMs: number;
  /** The main module (process.argv[1]), null for none. */
  main: string | null;
  /** From loopwatch's setup to the first turn: the main module's evaluation, with what it loaded. */
  mainMs: number;
  /** Of mainMs, what was not in a require(): the main module's own code (and, for an ES module on Node.js 22 and later, its static imports). */
  mainOwnMs: number;
  /** The require() calls made outside any other (by the main module), longest first, each timed, with the longest it made in turn. */
  modules: Array<{
    request: string;
    parent: string | null;
    start: number;
    durationMs: number;
    /** Of durationMs, what was not in the require() calls it made. */
    ownMs: number;
    children: Array<{ request: string; durationMs: number }>;
    omittedChildren: number;
  }>;
  /** require() calls not listed: past the longest 20, or too short to list (under 0.05 ms: cached). */
  omittedModules: number;
}

/** One thing a stall spent its time on: a call site and what it called. */
export interface StallCause {
  callSite: Frame | null;
  operation: string;
  category: Category;
  durationMs: number;
  /** Stack samples that showed it. */
  samples: number;
  /** The full stack of its first sample (or of the probed call), innermost first. */
  stack: Frame[];
  traceId?: string;
  spanId?: string;
  /** The time was measured by a probe (a sync call's own duration, a GC pause), not from samples. */
  exact?: true;
  /** How many probed calls (or pauses, or threadpool requests) it adds up. */
  calls?: number;
  /** What the call was about: the module a require loaded, host names looked up. */
  detail?: string;
}

/** Where a blocked thread's time went (its scheduler statistics). */
export interface ThreadTime {
  observedMs: number;
  /** On a CPU: JavaScript or native code. */
  onCpuMs: number;
  /** Runnable, but waiting for a CPU the host gave to something else. */
  runQueueMs: number;
  /** Asleep in a system call (sync I/O, Atomics.wait, waiting for a child), or stopped. */
  offCpuMs: number;
  /** How late loopwatch's watchdog ran meanwhile, at most: it stops too when the whole process is stopped. */
  watchdogLateMs: number;
  /** The host took most of the stall: 'starved', the thread waited for a CPU; 'stopped', the whole process was stopped. */
  host?: 'starved' | 'stopped';
}

export interface Stall {
  /**
   * 'event-loop': the main thread was busy this long. 'threadpool': work submitted to
   * libuv's threadpool waited longer than the threshold for a thread, this long.
   */
  kind: 'event-loop' | 'threadpool';
  pid: number;
  /** The thread whose event loop was blocked: 0 for the main thread, else a worker thread's id (see its process's `threads`). */
  threadId: number;
  start: number;
  durationMs: number;
  inProgressAtExit: boolean;
  /** 'startup': before the event loop's first turn (the main module running). */
  phase: 'startup' | 'run';
  /** The cause that took most of the stall's time. */
  category: Category;
  operation: string;
  callSite: Frame | null;
  stack: Frame[];
  samples: number;
  /** The OpenTelemetry span that was active in the blocked code, and its trace flags (1: sampled). */
  traceId?: string;
  spanId?: string;
  traceFlags?: number;
  /** When that span started (epoch ms), where the tracer said. */
  spanStart?: number;
  /** Everything the stall spent its time on, longest first (one entry for most stalls). */
  causes: StallCause[];
  /** Threadpool stalls: the queue that was starved, and the longest a task waited in it. */
  queue?: PoolQueue;
  maxQueueWaitMs?: number;
  /**
   * Event-loop stalls, on Linux: where the blocked thread's time went, read by the
   * watchdog over most of the stall (`observedMs` of it, from when it was first suspected).
   */
  threadTime?: ThreadTime;
  /** Event-loop stalls with at least one stack sample: what the samples saw, aggregated. */
  profile?: StallProfile;
}

/**
 * A stall's samples by distinct stack, each with the time it covered (the same weighting
 * as the causes': a sample covers the time since the one before it). The time of a
 * probed call or GC pause is the samples' too: a profile shows where the samples were,
 * the causes what the stall's time is known to have gone to.
 */
export interface StallProfile {
  /** Heaviest first; at most `limits.stacksPerStall`, fewer when the report's cap was reached. */
  stacks: SampledStack[];
  /** Stacks left out by the caps, and the time they covered. */
  omittedStacks: number;
  omittedMs: number;
}

export interface SampledStack {
  /** Indexes into `Report.frames`, innermost first. */
  frames: number[];
  durationMs: number;
  samples: number;
  /** Index into the stall's `causes` of the cause these samples went to; absent when none is left (its time went to a probed call). */
  cause?: number;
}

/** A garbage-collection pause, for the timeline. */
export interface GcPause {
  pid: number;
  /** The worker thread it paused, 0 for the main thread (absent in reports saved before threads were watched). */
  threadId?: number;
  start: number;
  durationMs: number;
  kind: GcKind;
}

export interface ReportLimits {
  /** Most stacks kept per stall's profile, and in all the report's profiles. */
  stacksPerStall: number;
  stacks: number;
  /** Most GC pauses listed in `gcPauses`. */
  gcPauses: number;
  /** What the caps left out: stacks (and the time they covered) and GC pauses. */
  omittedStacks: number;
  omittedStackMs: number;
  omittedGcPauses: number;
}

export interface SyncIoSummary {
  /** Calls at least this long were recorded with their call site; null when the probes were off. */
  thresholdMs: number | null;
  /** Calls after startup of at least the threshold, by call site and operation, most time first. */
  callSites: SyncIoCallSite[];
  /**
   * Calls after startup under the threshold, by operation, counted exactly; `sampledCount`
   * of them are placed at call sites (`callSites[].sampled`) by sampling (absent when
   * none were, as in reports saved before sampling), the rest were not sampled (a process
   * killed in the middle of an interval).
   */
  belowThreshold: Array<{
    operation: string;
    category: string;
    count: number;
    totalMs: number;
    sampledCount?: number;
    /** Per process; `sampledCount` and `sampledMs` of its calls were placed at call sites. */
    processes: Array<{ pid: number; count: number; totalMs: number; sampledCount?: number; sampledMs?: number }>;
  }>;
  /** All calls after startup. */
  totals: { count: number; totalMs: number };
}

export interface SyncIoCallSite {
  callSite: Frame | null;
  operation: string;
  category: string;
  count: number;
  totalMs: number;
  maxMs: number;
  /** What the calls were about, up to 10: the modules a require loaded, the files an fs call used. */
  targets?: string[];
  /** The first call's stack, innermost first. */
  stack: Frame[];
  /** The same figures per process that made the calls. */
  processes: Array<{ pid: number; count: number; totalMs: number; maxMs: number }>;
  /**
   * Of count and totalMs, the calls under the threshold placed here by sampling: one call
   * in so many is picked at random, and stands for the calls after it until the next pick.
   * An estimate, exact when no other line made that operation's short calls; `samples` is
   * how many picked calls were made here.
   */
  sampled?: { count: number; totalMs: number; samples: number };
  /** Set when count and totalMs include sampled calls: they are estimates. */
  estimated?: true;
}

/**
 * One line of code (or, without a line, one operation): everything the stalls spent
 * there, in one row. `operation` and `category` are its main part's (the most time);
 * the counts and times are the line's, all parts together.
 */
export interface CallSiteSummary {
  callSite: Frame | null;
  operation: string;
  category: Category;
  /**
   * What the line's time went to, most first: the call a probe timed, the JavaScript
   * around it, a GC pause that interrupted it there. One entry for most lines. (Reports
   * written before it had one row per line and operation; they are read into this shape.)
   */
  parts: CallSitePart[];
  /** What the calls were about (the module a require loaded), from the first stall. */
  detail?: string;
  /** The threads it blocked: 0 is the main thread, others are worker threads (see the process's `threads`). */
  threads: number[];
  /** Stalls in which this call site blocked. */
  count: number;
  totalMs: number;
  /** The most one stall spent at this call site, all its parts together; p95Ms likewise. */
  maxMs: number;
  p95Ms: number;
  /** The same figures per process it blocked, most time first (absent in reports saved before). */
  processes?: Array<{ pid: number; count: number; totalMs: number; maxMs: number }>;
  /**
   * Of totalMs, about how long the thread waited for a CPU meanwhile (each stall's
   * thread-time split applied to this call site's part of it); absent without splits.
   */
  runQueueMs?: number;
  /**
   * Where a line's JavaScript spent its time, when the row does not say it (a `js` or
   * `module` line whose samples were in other functions: a dependency's tool at its entry
   * frame): the innermost functions of its sampled stacks, by self time, at most 5.
   */
  hottest?: HotFunction[];
}

/** A function the samples of a call site were innermost in, and the time they covered there. */
export interface HotFunction {
  function: string | null;
  file: string | null;
  /** The line of the first sample in it. */
  line: number | null;
  selfMs: number;
}

/** A part of a call site's time: one operation at that line. */
export interface CallSitePart {
  operation: string;
  category: Category;
  /** Stalls in which it took time there. */
  count: number;
  totalMs: number;
  /** All of it was timed by probes (the calls' own durations, GC pauses), none from samples. */
  exact?: true;
  /** How many probed calls (or pauses) it adds up, where a probe timed them. */
  calls?: number;
}
