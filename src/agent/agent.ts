import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BroadcastChannel, Worker } from 'node:worker_threads';
import type { StallFinding } from '../attribution/attribute';
import { createHeartbeatBuffer, HeartbeatState } from '../contract/heartbeat-state';
import type { FromWatchdog, ToWatchdog } from '../contract/messages';
import { createPoolUseBuffer, PoolUseState, processThreads } from '../contract/pool-use-state';
import { createPoolWaitBuffer, PoolWaitState } from '../contract/pool-wait-state';
import type { WatchSettings } from '../contract/settings';
import { ownKernelThreadId } from '../contract/thread-time';
import { threadsChannelName, type ThreadMessage } from '../contract/threads';
import type { WatchdogData } from '../contract/watchdog-data';
import { RecordingWriter } from '../recording/encode';
import { poolStarvationMs, RECORDING_VERSION, recordingFileName, type DelaySummary, type GcTotals, type PoolQueue, type RecordingRecord, type SyncCallTotal, type TotalsRecord } from '../recording/schema';
import { debug } from './debug';
import { DeferredRecords } from './deferred-records';
import { Heartbeat } from './heartbeat';
import { inspectorListening, whyNoInspector } from './inspector-available';
import { GcProbe } from './probes/gc';
import { installProbes, type InstalledProbes } from './probes/install';
import { noteStartupEnd, startupEndsAtFirstTurn } from './probes/clock';
import { installFrameFilter } from './probes/own-frames';
import { StartupModules } from './probes/startup-modules';
import { PoolWorkTracker } from './probes/pool-work';
import { SyncCallProbes } from './probes/sync-calls';
import { installSampler, uninstallSampler } from './sampler';

/**
 * The agent, inside the program: started once per process, on its main thread.
 *
 *   main thread                               watchdog thread (worker)
 *   -----------                               ------------------------
 *   heartbeat every 10 ms  --shared memory-->  waits; no beat for a while = blocked
 *   sampler (global fn)    <--inspector------  Runtime.evaluate: where are you?
 *   probes: sync calls,                       threadpool probes: a tiny task and a
 *     threadpool work, GC  <--shared memory--   DNS lookup every 100 ms, timed from
 *                                               submit to callback
 *   stall, syncCall, poolWork, gc,            blocked / sample / poolWait records
 *     thread, totals, exit records
 *          |          \                          /          |
 *          |           recording file (JSON Lines, O_APPEND)     (when recording)
 *          \--- records (live mode) --> attribution --- stalls ---> onStall listeners
 *
 * Two ways in, one agent: `loopwatch run` preloads it (preload.ts) to write a recording
 * that the CLI attributes after the run; in production (register.ts, monitor()) the
 * watchdog attributes each stall as it ends and the main thread receives it finished.
 * Every part is started by start() and undone by stop(), which leaves the process as
 * it was: the original functions back, no timer, observer, listener or thread left.
 */
export interface AgentOptions {
  settings: WatchSettings;
  /** Write this process's recording into this directory; nothing is written without it. */
  recordingDir?: string;
  /** Attribute each stall as it ends, in the watchdog thread, and hand it to onStall listeners. */
  live: boolean;
  /** Each heartbeat's lateness, in ms, while the loop is free (a delay metric). */
  onDelay?: (lateMs: number) => void;
  /**
   * In a worker thread: this thread, which joins the watchdog of its process (started by
   * the main thread's agent) instead of starting one.
   */
  thread?: { threadId: number; name: string | null };
  /** When loopwatch's preload began (performance.now()): its setup, for the startup section, counts from there. */
  setupStartedMs?: number;
  /**
   * Started before the program's own code (a preload: `loopwatch run`, loopwatch/register),
   * so that the process's threads then are none of the program's (see PoolUseState).
   */
  beforeProgram?: boolean;
}

/** What a running agent can say at any moment. */
export interface AgentStats {
  startedAt: number;
  /** Event-loop stalls seen so far, and the time they blocked the loop. */
  stalls: number;
  blockedMs: number;
  eventLoopDelay: DelaySummary | null;
  utilization: number;
  gc: GcTotals;
  syncCalls: SyncCallTotal[];
}

export interface AgentHandle {
  /** Undoes everything the agent did to the process. Idempotent. */
  stop(): void;
  stats(): AgentStats;
  /** Calls `listener` with each stall, attributed, as it ends (live mode). Returns the unsubscribe. */
  onStall(listener: (stall: StallFinding) => void): () => void;
}

/**
 * Longest an exiting program waits for the watchdog to detach a session it holds (well
 * under 1 ms when the watchdog gets a CPU; only an exit in the middle of a stall waits
 * at all). Going on earlier risks Node's abort of a session connecting during teardown.
 */
const DETACH_TIMEOUT_MS = 1_000;
/** A worker thread not watched yet announces itself again after 20 ms, then twice as long each time, up to every second. */
const FIRST_ANNOUNCEMENT_AGAIN_MS = 20;
const LAST_ANNOUNCEMENT_AGAIN_MS = 1_000;

/** What the agent uses of a Worker that process 'worker' announces. */
interface WorkerLike {
  threadId: number;
  threadName?: string;
  constructor: { name: string };
  once(event: 'exit', listener: (exitCode: number) => void): unknown;
}

/**
 * The running figures are written this often while recording: a process killed by a
 * signal (a server stopped with Ctrl-C) loses at most this much of them.
 */
export const TOTALS_EVERY_MS = 1000;

/** Where the running agent of this process is kept: one per process, whichever way it was started. */
const RUNNING = Symbol.for('loopwatch.agent');

/** The agent running in this process, if any. */
export function runningAgent(): AgentHandle | undefined {
  return (globalThis as Record<symbol, AgentHandle | undefined>)[RUNNING];
}

/** Starts the agent; undefined, starting nothing, when one already runs in this process. */
export function startAgent(options: AgentOptions): AgentHandle | undefined {
  if (runningAgent()) return undefined;
  const agent = new Agent(options);
  Object.defineProperty(globalThis, RUNNING, { value: agent, configurable: true, enumerable: false, writable: false });
  agent.start();
  return agent;
}

class Agent implements AgentHandle {
  private readonly settings: WatchSettings;
  private readonly startedAt = epochNow();
  private writer: RecordingWriter | undefined;
  private readonly heartbeatBuffer = createHeartbeatBuffer();
  /** Stack samples need an inspector session on the main thread, which some Node.js processes cannot have. */
  private readonly noSamplesBecause = whyNoInspector(process.execArgv, process.env);
  /** This thread's kernel id (Linux), for where its stalls' time went. */
  private kernelThreadId: number | null = null;
  private readonly state = new HeartbeatState(this.heartbeatBuffer);
  private readonly poolWaitBuffer = createPoolWaitBuffer();
  private readonly poolWait = new PoolWaitState(this.poolWaitBuffer, this.startedAt);
  private readonly poolUseBuffer: SharedArrayBuffer;
  private readonly poolUse: PoolUseState;
  /** The threadpool queues a worker thread's program has used: told to the watchdog again with each announcement. */
  private readonly poolQueuesUsed = new Set<PoolQueue>();
  /** process.moduleLoadList's length when last looked at (dns.promises). */
  private modulesSeen = 0;
  private readonly deferred: DeferredRecords;
  private readonly heartbeat: Heartbeat;
  private readonly sync: SyncCallProbes | undefined;
  private readonly pool: PoolWorkTracker;
  private readonly gc: GcProbe;
  /** Started before the event loop's first turn, on the main thread: every require() until then, for the startup record. */
  private startup: StartupModules | undefined;
  private setupEndMs = 0;
  private probes: InstalledProbes | undefined;
  private uninstallFrameFilter: () => void = () => {};
  /** A worker thread's announcement to the watchdog, sent again until it is watched; undefined once it left. */
  private announcement: ThreadMessage | undefined;
  private nextAnnouncementMs = 0;
  private announcementEveryMs = FIRST_ANNOUNCEMENT_AGAIN_MS;
  private worker: Worker | undefined;
  private readonly listeners = new Set<(stall: StallFinding) => void>();
  /** Records on their way to the watchdog (live mode), sent at the next beat. */
  private outbox: RecordingRecord[] = [];
  private stallCount = 0;
  private blockedMs = 0;
  private lastTotalsAt = 0;
  private stopped = false;
  private exiting = false;
  private readonly processListeners: Array<[string, (...args: never[]) => void]> = [];


  constructor(private readonly options: AgentOptions) {
    this.settings = options.settings;
    const later = (make: () => RecordingRecord) => this.deferred.add(make);
    this.deferred = new DeferredRecords((records) => this.guard('write the probes\' records', () => this.emitAll(records)));
    this.heartbeat = new Heartbeat(
      this.state,
      this.settings.heartbeatMs,
      this.settings.thresholdMs,
      (stall) => {
        this.gc.trouble(performance.now());
        this.stallCount += 1;
        this.blockedMs += stall.durationMs;
        this.emit(stall);
      },
      () => this.onBeat(),
      (lateMs) => {
        // Late by half the threshold (what the watchdog takes for a blocked loop): the GC observer, if only then, connects.
        if (lateMs >= this.settings.thresholdMs / 2) this.gc.trouble(performance.now());
        options.onDelay?.(lateMs);
      },
    );
    const threshold = this.settings.syncIoThresholdMs;
    this.sync = threshold === null ? undefined : new SyncCallProbes({ thresholdMs: threshold, record: later, sample: later });
    this.poolUseBuffer = createPoolUseBuffer(options.beforeProgram === true && !options.thread ? processThreads(readFileSync) : -1);
    this.poolUse = new PoolUseState(this.poolUseBuffer);
    this.pool = new PoolWorkTracker({ thresholdMs: this.settings.thresholdMs, record: later, used: (queue) => this.poolUsed(queue) });
    // The production mode observes GC only while the loop is in trouble (probes/gc.ts: what observing costs).
    this.gc = new GcProbe((pause) => this.emit(pause), options.live ? 'when late' : 'always');
  }

  start(): void {
    const thread = this.options.thread;
    if (this.options.recordingDir !== undefined) {
      const nonce = Math.random().toString(36).slice(2, 10);
      this.writer = new RecordingWriter(join(this.options.recordingDir, recordingFileName(process.pid, nonce, thread?.threadId)));
      this.writer.write({
        type: 'process',
        recordingVersion: RECORDING_VERSION,
        pid: process.pid,
        ppid: process.ppid,
        ...(thread ? { threadId: thread.threadId, threadName: thread.name } : {}),
        argv: process.argv,
        execArgv: process.execArgv,
        cwd: process.cwd(),
        nodeVersion: process.version,
        startedAt: this.startedAt,
        ...this.settings,
        ...(this.noSamplesBecause === null ? {} : { noSamplesBecause: this.noSamplesBecause }),
        ...(this.gc.observing === 'when late' ? { gcObserved: 'when late' as const } : {}),
      });
    }
    if (thread) startupEndsAtFirstTurn();
    // Read before the probes are in: it is a readlink, which they would count as the program's.
    this.guard('find the thread id', () => (this.kernelThreadId = ownKernelThreadId()));
    installSampler();
    // Known before the first beat: `--inspect-brk` waits for its debugger before the program's first line.
    if (!thread) this.guard('look at the inspector', () => this.state.publishInspectorOpen(inspectorListening()));
    this.uninstallFrameFilter = installFrameFilter();
    this.heartbeat.start();
    // Before the watchdog starts: a program that exits at once (node -e 0) then ends before
    // the watchdog thread, which boots on its own core or in the program's idle time, has
    // taken much of its CPU. The agent's own setup before this point makes no sync calls.
    if (!thread && performance.nodeTiming.loopStart < 0) {
      this.startup = new StartupModules();
      // At the loop's first turn: is the main entry still loading (an ES module on Node.js 20)?
      setImmediate(() => this.guard('look at the main entry', () => noteStartupEnd())).unref();
    }
    const startup = this.startup ? { startup: this.startup } : {};
    this.guard('install the probes', () => (this.probes = installProbes(this.sync ? { sync: this.sync, pool: this.pool, ...startup } : { pool: this.pool, ...startup })));
    this.guard('observe GC', () => this.gc.start());
    if (thread) {
      this.guard('join the watchdog', () => this.joinWatchdog(thread));
      this.listen();
    } else {
      this.guard('start the watchdog', () => this.startWatchdog());
      this.listen();
      this.guard('keep the watchdog to itself', () => this.hideWatchdogStart());
      this.setupEndMs = performance.now();
    }
    // The program's first window starts here: the agent's start is not the program's stall.
    this.heartbeat.reopenWindow();
  }

  /** Once the loop has turned (or at exit, if it never did): what the time before went to. */
  private writeStartup(): void {
    const startup = this.startup;
    if (!startup) return;
    const mainEvaluated = noteStartupEnd();
    if (mainEvaluated === undefined && !this.exiting) return;
    const loopStart = performance.nodeTiming.loopStart;
    this.startup = undefined;
    const { modules, omitted } = startup.take();
    const origin = performance.timeOrigin;
    const main = process.argv[1];
    this.emit({
      type: 'startup',
      processStart: origin,
      setupStart: origin + (this.options.setupStartedMs ?? 0),
      setupEnd: origin + this.setupEndMs,
      loopStart: loopStart < 0 ? null : origin + loopStart,
      ...(typeof mainEvaluated === 'number' ? { mainEvaluated } : {}),
      main: typeof main === 'string' && main !== '' ? main : null,
      modules,
      omitted,
    });
  }

  /**
   * A worker thread's agent: its heartbeat is watched by the process's watchdog, which it
   * tells over a channel that it only sends on (contract/threads.ts: why). The watchdog
   * may not listen yet: the announcement goes again at later beats until it is watched.
   */
  private joinWatchdog(thread: { threadId: number; name: string | null }): void {
    this.announcement = {
      type: 'watch',
      threadId: thread.threadId,
      name: thread.name,
      heartbeat: this.heartbeatBuffer,
      timeOrigin: performance.timeOrigin,
      tid: this.kernelThreadId,
      recordingFile: this.writer?.path ?? null,
    };
    this.announce();
  }

  private announce(): void {
    if (!this.announcement) return;
    const queues = [...this.poolQueuesUsed];
    tellWatchdog(queues.length > 0 ? [this.announcement, { type: 'poolUsed', queues }] : [this.announcement]);
    this.nextAnnouncementMs = performance.now() + this.announcementEveryMs;
    this.announcementEveryMs = Math.min(LAST_ANNOUNCEMENT_AGAIN_MS, this.announcementEveryMs * 2);
  }

  /** At each beat: announced and not watched yet, the worker thread announces itself again when it is time. */
  private announceUntilWatched(): void {
    if (this.announcement && !this.state.watched() && performance.now() >= this.nextAnnouncementMs) this.announce();
  }

  /**
   * The program's first tracked call into a queue of libuv's threadpool: from now on the
   * watchdog probes that queue. The pool is the process's: a worker thread tells the
   * watchdog over its channel (and again with each announcement until it is watched), the
   * main thread through shared memory.
   */
  private poolUsed(queue: PoolQueue): void {
    if (!this.options.thread) {
      this.poolUse.markUsed(queue);
      return;
    }
    if (this.poolQueuesUsed.has(queue)) return;
    this.poolQueuesUsed.add(queue);
    if (this.announcement) tellWatchdog([{ type: 'poolUsed', queues: [queue] }]);
  }

  /**
   * dns.promises' lookups run in the pool's DNS queue, and its object is made by a getter
   * that nothing can wrap unseen: the DNS queue is probed from the first second in which
   * Node.js has loaded it (what its getter and require('dns/promises') load).
   */
  private noteDnsPromises(): void {
    const loaded = (process as { moduleLoadList?: unknown }).moduleLoadList;
    if (!Array.isArray(loaded) || loaded.length === this.modulesSeen) return;
    for (let i = this.modulesSeen; i < loaded.length; i++) {
      if (loaded[i] === 'NativeModule internal/dns/promises') {
        this.pool.queued('dns');
        this.modulesSeen = Number.POSITIVE_INFINITY;
        return;
      }
    }
    this.modulesSeen = loaded.length;
  }

  /** The watchdog stops watching this worker thread (it ended, or the agent stopped). */
  private leaveWatchdog(): void {
    const thread = this.options.thread;
    if (!thread || !this.announcement) return;
    this.announcement = undefined;
    tellWatchdog([{ type: 'unwatch', threadId: thread.threadId }]);
  }

  /**
   * Node announces every new Worker with process.emit('worker') from a nextTick. At
   * startup (the preload), that tick would still be pending when the main module ends,
   * so the program's first microtasks would run from the tick queue instead of V8's
   * checkpoint (a node --test failure gained a `processTicksAndRejections` frame), and
   * the program's own 'worker' listeners would be told of loopwatch's thread. The tick
   * queue is run now, before the program's code. Started later (monitor()), the
   * announcement of loopwatch's worker is taken out of process.emit instead.
   */
  private hideWatchdogStart(): void {
    const worker = this.worker;
    if (!worker) return;
    const tickCallback = (process as { _tickCallback?: () => void })._tickCallback;
    if (performance.nodeTiming.loopStart < 0 && typeof tickCallback === 'function') {
      tickCallback.call(process);
      return;
    }
    const emit = process.emit;
    const filtered = function (this: NodeJS.Process, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'worker' && args[0] === worker) {
        if (process.emit === filtered) process.emit = emit;
        return false;
      }
      return Reflect.apply(emit, this, [event, ...args]) as boolean;
    } as typeof process.emit;
    process.emit = filtered;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (runningAgent() === this) delete (globalThis as Record<symbol, unknown>)[RUNNING];
    this.guard('stop', () => {
      this.heartbeat.stop();
      this.probes?.uninstall();
      this.gc.stop();
      uninstallSampler();
      this.uninstallFrameFilter();
      for (const [event, listener] of this.processListeners) process.off(event, listener as () => void);
      this.processListeners.length = 0;
      this.state.closeSession(DETACH_TIMEOUT_MS);
      this.leaveWatchdog();
      this.post({ type: 'stop' });
      void this.worker?.terminate();
      this.worker = undefined;
      this.deferred.flush();
      this.writer?.close();
      this.writer = undefined;
      this.listeners.clear();
    });
  }

  stats(): AgentStats {
    return {
      startedAt: this.startedAt,
      stalls: this.stallCount,
      blockedMs: this.blockedMs,
      eventLoopDelay: this.heartbeat.delaySummary(),
      // Before the loop's first turn Node counts no time at all (0 %); a process that ends
      // there (process.exit() in its main module) ran JavaScript all along: 100 %.
      utilization: performance.nodeTiming.loopStart < 0 ? 1 : performance.eventLoopUtilization().utilization,
      gc: this.gc.totals(),
      syncCalls: this.sync?.totals() ?? [],
    };
  }

  onStall(listener: (stall: StallFinding) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(record: RecordingRecord): void {
    this.guard(`write a ${record.type} record`, () => {
      this.writer?.write(record);
      if (this.options.live) this.outbox.push(record);
    });
  }

  private emitAll(records: RecordingRecord[]): void {
    this.writer?.writeAll(records);
    if (this.options.live) this.outbox.push(...records);
  }

  /** After each beat, while the loop is free: the work the agent put off until then. */
  private onBeat(): void {
    if (this.startup) this.guard('write the startup record', () => this.writeStartup());
    this.gc.beat(performance.now());
    if (!this.options.thread) this.state.publishInspectorOpen(inspectorListening());
    else this.guard('join the watchdog', () => this.announceUntilWatched());
    this.deferred.flush();
    if (this.outbox.length > 0) {
      const records = this.outbox;
      this.outbox = [];
      this.post({ type: 'records', records });
    }
    const now = performance.now();
    if (now - this.lastTotalsAt >= TOTALS_EVERY_MS) {
      this.lastTotalsAt = now;
      this.guard('look for dns.promises', () => this.noteDnsPromises());
      if (this.writer) {
        // The calls sampled short calls stand for so far, written at the next beat.
        this.sync?.writePicks();
        this.guard('write the running totals', () => this.writer?.write(this.totals(epochNow())));
      }
    }
  }

  private totals(at: number): TotalsRecord {
    return {
      type: 'totals',
      at,
      durationMs: at - this.startedAt,
      eventLoopDelay: this.heartbeat.delaySummary(),
      // Before the loop's first turn Node counts no time at all (0 %); a process that ends
      // there (process.exit() in its main module) ran JavaScript all along: 100 %.
      utilization: performance.nodeTiming.loopStart < 0 ? 1 : performance.eventLoopUtilization().utilization,
      syncCalls: this.sync?.totals() ?? [],
      gc: this.gc.totals(),
      threadpoolQueueWait: { work: this.poolWait.summary('work'), dns: this.poolWait.summary('dns') },
      threadpoolSize: threadpoolSize(process.env.UV_THREADPOOL_SIZE),
    };
  }

  private post(message: ToWatchdog): void {
    try {
      this.worker?.postMessage(message);
    } catch (err) {
      debug('could not reach the watchdog: %s', err);
    }
  }

  private startWatchdog(): void {
    const data: WatchdogData = {
      settings: this.settings,
      heartbeat: this.heartbeatBuffer,
      poolWait: this.poolWaitBuffer,
      poolWaitEpoch: this.startedAt,
      poolUse: this.poolUseBuffer,
      mainTimeOrigin: performance.timeOrigin,
      mainTid: this.kernelThreadId,
      recordingFile: this.writer?.path ?? null,
      live: this.options.live,
      pid: process.pid,
      noSamplesBecause: this.noSamplesBecause,
    };
    const worker = new Worker(join(__dirname, '..', 'watchdog', 'watchdog.js'), {
      workerData: data,
      // An empty execArgv and environment: the watchdog must not load the preload (or anything else) again.
      execArgv: [],
      env: {},
      name: 'loopwatch-watchdog',
      stdout: true,
      stderr: true,
    });
    // Never let an error event reach the program, never keep it alive: unref() comes after
    // the listeners, since a 'message' listener refs the worker's port again.
    worker.on('error', (err) => debug('watchdog failed: %s', err));
    if (this.options.live) worker.on('message', (message: FromWatchdog) => this.receive(message));
    worker.unref();
    this.worker = worker;
  }

  private receive(message: FromWatchdog): void {
    if (message.type === 'problem') {
      debug('watchdog: %s', message.message);
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(message.stall);
      } catch (err) {
        // A listener's error is the listener's, but it must not reach the program.
        debug('a stall listener threw: %s', err);
      }
    }
  }

  private listen(): void {
    const on = (event: string, listener: (...args: never[]) => void) => {
      process.on(event as 'exit', listener as () => void);
      this.processListeners.push([event, listener]);
    };
    // Each worker thread the program starts is written down: one whose own agent never ran
    // (NODE_OPTIONS replaced by the program's execArgv or env) is listed as not watched,
    // rather than passed over in silence. Its end is written down too: a thread stopped by
    // worker.terminate() runs no exit handler, and its heartbeat just stops.
    on('worker', (worker: WorkerLike) =>
      this.guard('note a worker thread', () => {
        // Node's own loader-hooks thread (module.register, `--import tsx`) runs the loader, not the program.
        if (worker.threadId === this.worker?.threadId || worker.constructor.name === 'InternalWorker') return;
        const { threadId } = worker;
        const name = typeof worker.threadName === 'string' ? worker.threadName : null;
        this.poolUse.programThread(1);
        this.emit({ type: 'thread', threadId, name, startedAt: epochNow(), watched: false });
        worker.once('exit', (exitCode: number) =>
          this.guard('note a worker thread\'s end', () => {
            this.poolUse.programThread(-1);
            this.post({ type: 'threadEnded', threadId });
            this.emit({ type: 'threadEnd', threadId, at: epochNow(), exitCode });
          }),
        );
      }),
    );
    // The loop drained by itself: a stall that ended just before is complete, not cut short.
    on('beforeExit', () =>
      this.guard('check the last window', () => {
        this.heartbeat.checkpoint(false);
        this.deferred.flush();
      }),
    );
    // Detach the watchdog's inspector session before Node reports a fatal exception,
    // or Node would add "Waiting for the debugger to disconnect..." to the program's output.
    on('uncaughtExceptionMonitor', () => this.guard('detach', () => this.state.closeSession(DETACH_TIMEOUT_MS)));
    on('exit', (code: number) => this.guard('write the exit record', () => this.exit(code)));
  }

  private exit(code: number): void {
    this.exiting = true;
    if (this.startup) this.guard('write the startup record', () => this.writeStartup());
    this.state.closeSession(DETACH_TIMEOUT_MS);
    // Reached without beforeExit: process.exit() or an uncaught exception ended a busy stretch.
    this.heartbeat.checkpoint(true);
    this.heartbeat.stop();
    this.gc.stop();
    this.pool.flush();
    this.sync?.writePicks(true);
    this.deferred.flush();
    const at = epochNow();
    // The pool is the process's: its waits are the main thread's to tell.
    if (!this.options.thread) for (const wait of this.poolWait.stillWaiting(at, poolStarvationMs(this.settings.thresholdMs))) this.writer?.write(wait);
    this.writer?.write({ ...this.totals(at), type: 'exit', exitCode: typeof code === 'number' ? code : 0 });
    this.leaveWatchdog();
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      debug('could not %s: %s', what, err);
    }
  }
}

/**
 * Sends messages to the process's watchdog on a channel opened for them and closed at
 * once: an open channel would receive every other thread's messages (contract/threads.ts).
 */
function tellWatchdog(messages: ThreadMessage[]): void {
  let channel: BroadcastChannel | undefined;
  try {
    channel = new BroadcastChannel(threadsChannelName(process.pid));
    for (const message of messages) channel.postMessage(message);
  } catch (err) {
    // Never into the program (this runs in its pool calls and at its exit too): the
    // watchdog goes without the message, and a thread not watched is said so in the report.
    debug('could not tell the watchdog: %s', err);
  } finally {
    channel?.close();
  }
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The size libuv gave the threadpool: UV_THREADPOOL_SIZE when it is a number, within 1..1024, else 4. */
function threadpoolSize(value: string | undefined): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 1024) : 4;
}
