/**
 * The recording: the one contract between the agent (inside the program) and
 * everything that reads it (reports now; gate, OpenTelemetry export, HTML later).
 *
 * A recording is a directory with one JSON Lines file per Node.js process
 * (`<pid>-<random>.jsonl`). Every line is one record with a `type`. Records are
 * appended as things happen, by the thread that is not blocked, so a process that
 * crashes or is killed still leaves everything seen up to that moment. A recording
 * made by `loopwatch run` also has `run.json` (RunManifest, below): the run's own facts,
 * and what marks the directory as a recording even when no process wrote to it.
 *
 * Readers check each record against its type's shape (shapes.ts): one that is not of
 * it, or a line that is not JSON, is skipped and said in the report's warnings.
 *
 * Writers:
 * - `process`, `stall`, `syncCall`, `poolWork`, `gc` and `exit` are written by the
 *   program's main thread (synchronously; `stall` only after a stall, when the loop
 *   is back).
 * - `blocked` and `sample` are written by the watchdog thread while the main thread
 *   is blocked, and `poolWait` when its threadpool probe waited too long.
 *
 * Times are milliseconds since the Unix epoch, with sub-millisecond fractions
 * (performance.timeOrigin + performance.now()).
 *
 * Bump RECORDING_VERSION on any change a reader could misread; readers refuse
 * versions they do not know.
 */

export const RECORDING_VERSION = 3;

/**
 * The versions this loopwatch reads. 3 added worker threads' own files (a `process`
 * record with a `threadId`), `totals` and `thread` records; a version 2 recording is a
 * version 3 one without them.
 */
export const READABLE_RECORDING_VERSIONS: readonly number[] = [2, 3];

/** A stack frame as V8 reports it; `file` is a path, a `node:` specifier, a file: URL, or null for builtins. */
export interface RecordedFrame {
  file: string | null;
  line: number | null;
  column: number | null;
  /** `pbkdf2Sync`, `JSON.parse` (builtins carry their type), or null for anonymous code. */
  function: string | null;
  /**
   * A dependency's method called on an object of a class (express's `res.json` runs on a
   * `ServerResponse`): that class, so that the operation is named after what ran
   * (`express.ServerResponse.json`), not after a same-named export of the package
   * (`express.json`, the body parser). Only for frames in node_modules; absent elsewhere.
   */
  receiver?: string;
  /**
   * Where the frame is in the code that ran, when `file`, `line` and `column` were mapped
   * from it through a source map (by the program's stack formatter at run time, or from
   * the map on disk after the run).
   */
  generated?: { file: string; line: number | null; column: number | null };
}

/** First line of every file: who this process is and how the agent was set up. */
export interface ProcessRecord {
  type: 'process';
  recordingVersion: number;
  pid: number;
  ppid: number;
  /** A worker thread's file: its thread id (the main thread's file has none: 0), and its name where Node tells it. */
  threadId?: number;
  threadName?: string | null;
  argv: string[];
  execArgv: string[];
  cwd: string;
  nodeVersion: string;
  /** When the agent started (before the program's main module ran). */
  startedAt: number;
  thresholdMs: number;
  heartbeatMs: number;
  sampleIntervalMs: number;
  /** The process's bound on stack samples, a second over SAMPLE_BOUND_WINDOW_MS (absent in older recordings). */
  maxSamplesPerSecond?: number;
  /** Sync API calls at least this long are recorded with their stack; null when the probes are off. */
  syncIoThresholdMs: number | null;
  /** Why the watchdog takes no stack samples of this process (a `node --test` runner); absent when it does. */
  noSamplesBecause?: string;
  /**
   * 'when late': the production mode, which observes GC only while the loop is in
   * trouble (agent/probes/gc.ts): its `gc` records and totals hold the pauses seen then.
   * Absent: observed all along.
   */
  gcObserved?: 'when late';
}

/**
 * The watchdog saw no heartbeat for a while: the main thread may be blocked.
 * Written when blocking is first suspected and then every BLOCKED_RECORD_EVERY_MS while it lasts,
 * so that a process killed in the middle of a stall still tells how long it had lasted.
 */
export interface BlockedRecord {
  type: 'blocked';
  /** Heartbeat sequence number of the last beat before the blocking (identifies the stall). */
  seq: number;
  /** Time of that last beat. */
  since: number;
  /** When the watchdog looked. */
  at: number;
}

/**
 * Where a blocked thread's time went while the watchdog watched it blocked (Linux: its
 * schedstat), written when its heartbeat moves again. The window starts when the
 * blocking was first suspected (some 25 to 50 ms after the last beat) and ends at the
 * last look that still found it blocked: most of a stall, and nothing after it.
 */
export interface ThreadTimeRecord {
  type: 'threadTime';
  /** The stall's heartbeat sequence number, as in `blocked`. */
  seq: number;
  from: number;
  to: number;
  /** On a CPU: the program's JavaScript or native code. */
  onCpuMs: number;
  /** Runnable, but waiting for a CPU: the host ran something else. */
  runQueueMs: number;
  /**
   * How late the watchdog's own timers ran in the window, at most: a process that was
   * stopped (SIGSTOP, a frozen container, a paused VM) stops its watchdog too.
   */
  watchdogLateMs: number;
}

/**
 * The blocked thread was paused in a debugger (a breakpoint, a `debugger` statement,
 * stepping, `--inspect-brk`'s first line): not blocked by itself. Written by the watchdog
 * when it sees the pause end. `from` is the last moment it knew the thread was not paused
 * (or the stall's last beat), `to` the first it knew it was running again (or the next
 * beat): the pause lies within, so leaving this window out never counts paused time
 * as the program's, at the cost of up to a look's interval of its own time at each end.
 */
export interface PausedRecord {
  type: 'paused';
  /** The stall's heartbeat sequence number, as in `blocked`. */
  seq: number;
  from: number;
  to: number;
}

/** Why a blocked thread got no stack sample: a debugger could see it, or the process's sampling bound was reached. */
export type UnsampledReason = 'debugger' | 'bound';

/** A stall the watchdog saw but did not sample (written once per stall and reason). */
export interface UnsampledRecord {
  type: 'unsampled';
  seq: number;
  reason: UnsampledReason;
  at: number;
}

/** Where the main thread was at one moment of a (suspected) stall. */
export interface SampleRecord {
  type: 'sample';
  seq: number;
  /** When the watchdog asked for the sample. */
  requestedAt: number;
  /** When the main thread served it: the moment the frames describe. */
  at: number;
  /** Innermost frame first; loopwatch's own frames removed. */
  frames: RecordedFrame[];
  /** OpenTelemetry span active in the blocked code, when the program uses @opentelemetry/api, and its trace flags. */
  traceId?: string;
  spanId?: string;
  traceFlags?: number;
  /** When that span started (epoch ms), where the tracer says. */
  spanStart?: number;
  /** The stack was deeper than the capture's limit (contract/sample.ts MAX_FRAMES): its outermost frames are missing. */
  cut?: true;
}

/** A stall, measured by the main thread when the loop got back to its heartbeat (or at exit). */
export interface StallRecord {
  type: 'stall';
  seq: number;
  /** End of the loop's last idle time before the stall. */
  start: number;
  end: number;
  /** Time the loop was busy between two heartbeats: `end - start`. */
  durationMs: number;
  /** The process exited (process.exit(), uncaught exception) while the stall was going on. */
  inProgressAtExit: boolean;
  /** 'startup' when the stall happened before the event loop's first turn (main module evaluation). */
  phase: 'startup' | 'run';
}

/**
 * One call of a synchronous Node.js API (fs.*Sync, crypto.pbkdf2Sync, zlib.gzipSync,
 * child_process.execSync...) or of require(), timed by a probe around the function,
 * that took at least the sync-I/O threshold. Calls made inside such a call (the
 * readFileSync of a require) are part of it, not recorded again.
 */
export interface SyncCallRecord {
  type: 'syncCall';
  /** `fs.readFileSync`, `require`. */
  operation: string;
  /** `fs`, `crypto`, `zlib`, `child_process`, `module`. */
  category: string;
  start: number;
  durationMs: number;
  /** 'startup' before the event loop's first turn, as for stalls. */
  phase: 'startup' | 'run';
  /** The caller's stack, innermost first. */
  frames: RecordedFrame[];
  /**
   * What the call was about: for require, the module as the program named it; for an
   * fs call given a path, the path.
   */
  target?: string;
  /**
   * A call into a native addon (its `operation` is the addon's name and the binding's
   * function, `better-sqlite3.Statement.run`): the addon's npm package, from the .node
   * file's node_modules path, or the file's own name outside node_modules.
   */
  addon?: string;
}

/**
 * Calls of one operation under the sync-I/O threshold after startup, counted exactly, and
 * the one of them picked by sampling (every call equally likely to be picked), with its
 * caller's stack: the call site they are estimated to have been made at. A picked call
 * stands for itself and the calls after it until the next pick; while those go on, it is
 * written every second (with the running totals) and at exit, each record with the calls
 * since the one before.
 */
export interface SyncSampleRecord {
  type: 'syncSample';
  operation: string;
  category: string;
  /** The picked call's start, and when this record's calls had all been counted. */
  start: number;
  end: number;
  /** The calls it stands for in this record (the picked call among them in its first), and their time. */
  calls: number;
  totalMs: number;
  /** The picked call: its start, its duration and its caller's stack, innermost first. */
  at: number;
  durationMs: number;
  frames: RecordedFrame[];
  /** As in SyncCallRecord, for the picked call. */
  target?: string;
  addon?: string;
}

/**
 * Picks of an operation's short calls come about this often at most: the mean number of
 * calls between two picks doubles while they come more often, and halves when they come
 * ten times less often.
 */
export const SYNC_SAMPLE_INTERVAL_MS = 100;

/**
 * What the main thread's time before the event loop's first turn went to, written once
 * when the loop first turned (or at exit, for a program that ended before): Node.js's own
 * start until loopwatch's agent ran, the agent's setup, and every module require() loaded
 * meanwhile (nested ones too, with their depth), each timed from the call to its return.
 * Times are epoch ms.
 */
export interface StartupRecord {
  type: 'startup';
  /** The process's start (performance.timeOrigin). */
  processStart: number;
  /** loopwatch's preload began, and the agent's setup ended: the time between is loopwatch's own. */
  setupStart: number;
  setupEnd: number;
  /** The event loop's first turn; null when the process ended before it. */
  loopStart: number | null;
  /**
   * When an ES module main entry had been evaluated, where Node.js (20) loads it after the
   * loop's first turn: startup lasts until then (to the beat or probed call that saw it).
   * Absent when startup ended at the first turn.
   */
  mainEvaluated?: number;
  /** The main module as Node was asked to run it (process.argv[1]), null for none (`node -e`). */
  main: string | null;
  /** require() calls before the first turn of at least MIN_STARTUP_MODULE_MS, in call order. */
  modules: StartupModule[];
  /** The require() calls left out: shorter ones, and those past MAX_STARTUP_MODULES. */
  omitted: { count: number; totalMs: number };
}

export interface StartupModule {
  /** What was asked for: `./lib/a`, `express`. */
  request: string;
  /** The file of the module that called require(), null when not known. */
  parent: string | null;
  start: number;
  durationMs: number;
  /** 0 for a require() made outside any other (by the main module, a preload), 1 for one made while loading that, ... */
  depth: number;
}

/** require() calls shorter than this before the first turn are counted, not listed (a cached module's is a few µs). */
export const MIN_STARTUP_MODULE_MS = 0.05;
/** Most require() calls listed in a startup record. */
export const MAX_STARTUP_MODULES = 5_000;

/** Every probed call of one operation in one phase, however short (written at exit). */
export interface SyncCallTotal {
  operation: string;
  category: string;
  phase: 'startup' | 'run';
  count: number;
  totalMs: number;
  maxMs: number;
}

/**
 * Work the program handed to libuv's threadpool (dns.lookup, crypto.pbkdf2, zlib.gzip...)
 * that took at least the threshold from the call to its callback, queue time included.
 */
export interface PoolWorkRecord {
  type: 'poolWork';
  operation: string;
  category: string;
  start: number;
  end: number;
  /** The process ended before the callback ran; `end` is that moment. */
  inProgressAtExit: boolean;
  /** The caller's stack, innermost first. */
  frames: RecordedFrame[];
  /** What the work was about, when it says: the host name of a dns.lookup. */
  target?: string;
}

/**
 * The two queues of libuv's threadpool: `dns` for lookups (getaddrinfo), which may use
 * at most half the threads, and `work` for everything else (fs, crypto, zlib).
 */
export type PoolQueue = 'work' | 'dns';

/**
 * The watchdog's threadpool probe (a tiny task submitted at an interval) waited longer
 * than the threshold: every task of its queue submitted then waited about as long.
 */
export interface PoolWaitRecord {
  type: 'poolWait';
  queue: PoolQueue;
  /** When the probe task was submitted. */
  start: number;
  /** When this queue's previous probe task ran: the queue had a free thread then. Null for the first. */
  after: number | null;
  /** When it ran, or when the process ended while it was still waiting. */
  end: number;
  inProgressAtExit: boolean;
}

export type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb' | 'unknown';

/** A garbage-collection pause of at least MIN_GC_RECORD_MS (perf_hooks 'gc' entry). */
export interface GcRecord {
  type: 'gc';
  start: number;
  durationMs: number;
  kind: GcKind;
}

export const MIN_GC_RECORD_MS = 1;

/**
 * The operation of a global.gc() call (`node --expose-gc`), timed like a sync call: the
 * agent names it, attribution gives the collection it asked for a part of its own.
 */
export const EXPLICIT_GC_OPERATION = 'global.gc';

/** Every GC pause of the process, however short. */
export interface GcTotals {
  count: number;
  totalMs: number;
  maxMs: number;
  byKind: Partial<Record<GcKind, { count: number; totalMs: number }>>;
}

/** How long the threadpool probe's tasks waited in the queue, in milliseconds. */
export interface QueueWaitSummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Event-loop delay percentiles, in milliseconds, at the heartbeat's resolution: one value
 * per beat that ran, as perf_hooks.monitorEventLoopDelay gives them.
 */
export interface DelaySummary {
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Beats recorded (absent in recordings made before the corrected figures). */
  beats?: number;
  /**
   * With the beats that stalls swallowed recorded too (HdrHistogram's corrected recording:
   * for a beat late by L with interval I, also L - I, L - 2I, ... while above 0): a 500 ms
   * stall is 50 late beats, not one. Its max and min are the per-beat ones.
   */
  corrected?: { p50Ms: number; p90Ms: number; p99Ms: number; beats: number };
}

/**
 * The process's running figures, written every second or so while it runs (only when
 * they changed): what a process killed by a signal or a kill still tells of itself.
 */
export interface TotalsRecord {
  type: 'totals';
  at: number;
  durationMs: number;
  /** Null before the first heartbeat. */
  eventLoopDelay: DelaySummary | null;
  /** Event-loop utilization so far, 0..1. */
  utilization: number;
  syncCalls: SyncCallTotal[];
  gc: GcTotals;
  /** Per queue; null when the probe never completed a task of that queue. */
  threadpoolQueueWait: Record<PoolQueue, QueueWaitSummary | null>;
  /** libuv threadpool threads (UV_THREADPOOL_SIZE as the program left it, default 4). */
  threadpoolSize: number;
}

/** Last line of a file whose process ran its exit handlers: its figures at the end. Missing when the process was killed. */
export interface ExitRecord extends Omit<TotalsRecord, 'type'> {
  type: 'exit';
  exitCode: number;
}

/**
 * A worker thread the program started (Node's process 'worker' event), written by the
 * main thread's agent. A thread whose own agent ran has a recording file of its own (its
 * `process` record has the `threadId`); one without is listed as not watched.
 */
export interface ThreadRecord {
  type: 'thread';
  threadId: number;
  /** The name it was given (`new Worker(file, { name })`), where Node tells it (22 and later); else null. */
  name: string | null;
  startedAt: number;
  watched: false;
}

/**
 * A worker thread of the program ended (its Worker's 'exit' event, in the main thread).
 * A thread stopped by worker.terminate() runs no exit handlers of its own: this record
 * says when it ended, so that the silence of its heartbeat after it is not a stall.
 */
export interface ThreadEndRecord {
  type: 'threadEnd';
  threadId: number;
  /** When the main thread was told; later than the thread's end when the main thread was busy. */
  at: number;
  exitCode: number;
}

export type RecordingRecord =
  | ProcessRecord
  | ThreadRecord
  | ThreadEndRecord
  | BlockedRecord
  | ThreadTimeRecord
  | PausedRecord
  | UnsampledRecord
  | SampleRecord
  | StallRecord
  | SyncCallRecord
  | SyncSampleRecord
  | StartupRecord
  | PoolWorkRecord
  | PoolWaitRecord
  | GcRecord
  | TotalsRecord
  | ExitRecord;

export const BLOCKED_RECORD_EVERY_MS = 100;

/** The window the sampling bound is counted over: at most maxSamplesPerSecond x 10 samples in any 10 s. */
export const SAMPLE_BOUND_WINDOW_MS = 10_000;

/** The watchdog submits a threadpool probe task to each queue this often (when the previous one has run). */
export const POOL_PROBE_INTERVAL_MS = 100;

/**
 * A probe task's wait shorter than this is never threadpool starvation, whatever the
 * stall threshold: on a 2-core VM, tasks came back from an idle pool up to 7 ms late at
 * a load average of 6, and up to 10.3 ms at 13, with nothing in the guest to explain it
 * (the VM's own CPU was taken from it, which the guest's scheduler statistics do not show).
 */
export const MIN_POOL_STARVATION_MS = 20;

/** The queue wait that counts as threadpool starvation: the stall threshold, from MIN_POOL_STARVATION_MS up. */
export function poolStarvationMs(thresholdMs: number): number {
  return Math.max(thresholdMs, MIN_POOL_STARVATION_MS);
}

/**
 * `run.json` in a recording directory: what `loopwatch run` knows of the run itself,
 * which no process of it can tell (the command as loopwatch ran it, before a wrapper
 * such as npm turned it into node processes; how long it took; how it ended).
 * Written before the command starts, with `durationMs`, `exitCode` and `signal` null,
 * and written again (atomically, by a rename) when the command has ended; a run whose
 * loopwatch was stopped before that keeps the nulls, and its readers fall back on what
 * the processes wrote. `loopwatch report` takes the run's facts from here, so that a
 * kept recording gives the report its run gave.
 */
export interface RunManifest {
  type: 'run';
  recordingVersion: number;
  tool: { name: string; version: string };
  /** `[node, /abs/app.js, ...args]` for a script, `[/usr/bin/npm, test]` for a command after `--`. */
  command: string[];
  cwd: string;
  /** When loopwatch started the command (epoch ms). */
  startedAt: number;
  thresholdMs: number;
  /** Null with --no-sync-io. */
  syncIoThresholdMs: number | null;
  /** From the start to the command's end; null until it ended. */
  durationMs: number | null;
  /** The command's exit status (128 + the signal number when a signal ended it); null until it ended. */
  exitCode: number | null;
  /** The signal that ended the command (`SIGKILL`), else null. */
  signal: string | null;
  /**
   * The command's own process id (the process loopwatch started), once it started; absent
   * or null before, and in recordings made before loopwatch wrote it.
   */
  pid?: number | null;
}

export const RUN_MANIFEST_FILE = 'run.json';

/** Name of the file a process (its main thread), or one of its worker threads, writes into the recording directory. */
export function recordingFileName(pid: number, nonce: string, threadId?: number): string {
  return threadId ? `${pid}-t${threadId}-${nonce}.jsonl` : `${pid}-${nonce}.jsonl`;
}

/** Names the agent gives process files (recordingFileName). */
export const PROCESS_FILE_NAME = /^\d+(-t\d+)?-[a-z0-9]*\.jsonl$/;
