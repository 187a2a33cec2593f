/**
 * The recording: the one contract between the agent (inside the program) and
 * everything that reads it (reports now; gate, OpenTelemetry export, HTML later).
 *
 * A recording is a directory with one JSON Lines file per Node.js process
 * (`<pid>-<random>.jsonl`). Every line is one record with a `type`. Records are
 * appended as things happen, by the thread that is not blocked, so a process that
 * crashes or is killed still leaves everything seen up to that moment.
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

export const RECORDING_VERSION = 2;

/** A stack frame as V8 reports it; `file` is a path, a `node:` specifier, a file: URL, or null for builtins. */
export interface RecordedFrame {
  file: string | null;
  line: number | null;
  column: number | null;
  /** `pbkdf2Sync`, `JSON.parse` (builtins carry their type), or null for anonymous code. */
  function: string | null;
}

/** First line of every file: who this process is and how the agent was set up. */
export interface ProcessRecord {
  type: 'process';
  recordingVersion: number;
  pid: number;
  ppid: number;
  argv: string[];
  execArgv: string[];
  cwd: string;
  nodeVersion: string;
  /** When the agent started (before the program's main module ran). */
  startedAt: number;
  thresholdMs: number;
  heartbeatMs: number;
  sampleIntervalMs: number;
  /** Sync API calls at least this long are recorded with their stack; null when the probes are off. */
  syncIoThresholdMs: number | null;
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
  /** OpenTelemetry span active in the blocked code, when the program uses @opentelemetry/api. */
  traceId?: string;
  spanId?: string;
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
}

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

/** Event-loop delay percentiles, in milliseconds, at the heartbeat's resolution. */
export interface DelaySummary {
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Last line of a file whose process ran its exit handlers. Missing when the process was killed. */
export interface ExitRecord {
  type: 'exit';
  at: number;
  durationMs: number;
  exitCode: number;
  /** Null when the process ended before its first heartbeat. */
  eventLoopDelay: DelaySummary | null;
  /** Event-loop utilization over the whole run, 0..1. */
  utilization: number;
  syncCalls: SyncCallTotal[];
  gc: GcTotals;
  /** Per queue; null when the probe never completed a task of that queue. */
  threadpoolQueueWait: Record<PoolQueue, QueueWaitSummary | null>;
  /** libuv threadpool threads (UV_THREADPOOL_SIZE as the program left it, default 4). */
  threadpoolSize: number;
}

export type RecordingRecord =
  | ProcessRecord
  | BlockedRecord
  | SampleRecord
  | StallRecord
  | SyncCallRecord
  | PoolWorkRecord
  | PoolWaitRecord
  | GcRecord
  | ExitRecord;

export const BLOCKED_RECORD_EVERY_MS = 100;

/** The watchdog submits a threadpool probe task to each queue this often (when the previous one has run). */
export const POOL_PROBE_INTERVAL_MS = 100;

/** Name of the file a process writes into the recording directory. */
export function recordingFileName(pid: number, nonce: string): string {
  return `${pid}-${nonce}.jsonl`;
}
