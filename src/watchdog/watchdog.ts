/**
 * The watchdog: a worker thread that watches the heartbeats of its process's threads
 * (the main thread's, and those of worker threads whose agent joined it). A blocked
 * event loop cannot time itself, so this thread notices the blocking while it lasts,
 * asks the blocked thread for stack samples through an inspector session (served by V8
 * interrupts, on top of the blocking code), and writes them to that thread's recording
 * at once.
 *
 * One inspector session, to the main thread (`connectToMainThread`), reaches them all:
 * the main thread directly, a worker thread through the NodeWorker domain
 * (`sendMessageToWorker`), whose messages are served by the worker's own interrupts even
 * while the main thread is busy. The session is attached only while a thread is blocked,
 * and detached as soon as none is, or the main thread asks (it is exiting): a process
 * that exits with a session attached prints "Waiting for the debugger to disconnect...".
 *
 * While anything is blocked, a session is attached or a probe task is out, it waits with
 * timers, so that inspector replies and task callbacks, which arrive on this thread's
 * event loop, are handled; with nothing of that, it waits in Atomics.wait, for at most
 * IDLE_WAIT_MS before its loop runs again (see tick()). The pending timer is also what
 * keeps this thread alive (a session alone would not); the main thread unrefs the
 * worker, so this thread never keeps the program alive, and worker.terminate() and the
 * process's exit end an Atomics.wait at once.
 *
 * In live mode (production) it also attributes each main-thread stall as it ends, from
 * the records the main thread sends it and the samples it took.
 */
import { openSync } from 'node:fs';
import type { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import { BroadcastChannel, parentPort, threadId as ownThreadId, workerData } from 'node:worker_threads';
import { HeartbeatState } from '../contract/heartbeat-state';
import type { ToWatchdog } from '../contract/messages';
import { PoolUseState } from '../contract/pool-use-state';
import { PoolWaitState } from '../contract/pool-wait-state';
import { SAMPLE_EXPRESSION, type Sample } from '../contract/sample';
import { ownKernelThreadId, SchedStat, type SchedReading } from '../contract/thread-time';
import { threadsChannelName, type ThreadMessage } from '../contract/threads';
import type { WatchdogData } from '../contract/watchdog-data';
import { RecordingWriter } from '../recording/encode';
import { BLOCKED_RECORD_EVERY_MS, POOL_PROBE_INTERVAL_MS, poolStarvationMs, SAMPLE_BOUND_WINDOW_MS, type RecordingRecord, type UnsampledReason } from '../recording/schema';
import { detectAfterMs as detectAfterMsOf, sampleIntervalAt as sampleIntervalOf } from './intervals';
import { LiveAttribution } from './live';
import { PoolProbe } from './pool-probe';
import { PoolCpuWait } from './pool-cpu-wait';
import { PoolThreads } from './pool-threads';

const data = workerData as WatchdogData;
const settings = data.settings;
const mainHeartbeat = new HeartbeatState(data.heartbeat);
const mainWriter = data.recordingFile === null ? undefined : new RecordingWriter(data.recordingFile);
const live = data.live ? new LiveAttribution(data, (message) => parentPort?.postMessage(message)) : undefined;

/** Now, in epoch milliseconds (every thread's records use the same scale). */
function now(): number {
  return performance.timeOrigin + performance.now();
}

const detectAfterMs = detectAfterMsOf(settings);

function sampleIntervalAt(ageMs: number): number {
  return sampleIntervalOf(ageMs, settings);
}

/**
 * The process's bound on samples: at most `limit` in any SAMPLE_BOUND_WINDOW_MS, kept
 * as the times of the last `limit` samples in a ring. A stall past the bound is still
 * seen, counted and timed by the heartbeat; it only goes unsampled (and says so).
 */
class SampleBound {
  private readonly times: Float64Array;
  private next = 0;

  constructor(readonly limit: number) {
    this.times = new Float64Array(Math.max(1, limit)).fill(-Infinity);
  }

  /** Takes one sample's place, if the window has room for it. */
  take(at: number): boolean {
    // The oldest of the last `limit` samples: the window has room once it has left it.
    if (at - this.times[this.next]! < SAMPLE_BOUND_WINDOW_MS) return false;
    this.times[this.next] = at;
    this.next = (this.next + 1) % this.times.length;
    return true;
  }
}

const sampleBound = new SampleBound(Math.round(settings.maxSamplesPerSecond * (SAMPLE_BOUND_WINDOW_MS / 1000)));

/**
 * A V8 method that answers differently whether the thread is paused in a debugger or
 * not, and does nothing else: `Debugger.evaluateOnCallFrame` checks that the thread is
 * paused before anything (before even that this session enabled the Debugger domain,
 * which would cost the program: see DESIGN-NOTES), and the call frame id is never valid.
 * It compiles and runs nothing, and no other session hears of it.
 */
const PAUSE_PROBE = { method: 'Debugger.evaluateOnCallFrame', params: { callFrameId: 'loopwatch', expression: '' } } as const;
const NOT_PAUSED = /only .* while paused/i;
/** What V8 says of the call frame id when the thread is paused (20: 'Invalid call frame id'; 22, 24: the same or 'Could not find call frame ...'). */
const NO_SUCH_FRAME = /call frame/i;

/** A worker thread whose heartbeat has not moved this long, and that the inspector no longer knows, has ended. */
const GONE_AFTER_MS = 5_000;

interface Looked {
  at: number;
  sched: SchedReading;
}

/** One thread whose event loop this watchdog watches. */
class WatchedThread {
  /** The heartbeat sequence number it is blocked at, when it is. */
  blockedAt:
    | {
        seq: number;
        lastBlockedRecordAt: number;
        first?: Looked;
        last?: Looked;
        writtenTo?: number;
        watchdogLateMs: number;
        /** The last moment the thread was known to be running, not paused in a debugger (its last beat, at first). */
        runningAt: number;
        /** Since when it has been paused in a debugger, while it is. */
        pausedFrom?: number;
        /** Why it went unsampled, said once per stall each. */
        unsampled?: Set<UnsampledReason>;
      }
    | undefined;
  samplePending = false;
  pauseProbePending = false;
  private readonly sched: SchedStat;

  constructor(
    readonly threadId: number,
    readonly name: string | null,
    readonly heartbeat: HeartbeatState,
    /** That thread's performance.timeOrigin: its beats are in its own clock. */
    private readonly timeOrigin: number,
    private readonly writer: RecordingWriter | undefined,
    tid: number | null,
  ) {
    this.sched = new SchedStat(tid);
  }

  /**
   * A look at a thread found blocked: where its time has gone so far, timed when it is
   * read, not when the look began (on a loaded machine this thread can be held up in
   * between, and the window's length would then hold time its readings do not).
   */
  lookBlocked(seq: number, lateMs: number): void {
    const sched = this.sched.read();
    const at = now();
    const blocked = this.blockedAt;
    if (!sched || !blocked || blocked.seq !== seq) return;
    // This look's own lateness is the window's from the second look on.
    if (blocked.first) blocked.watchdogLateMs = Math.max(blocked.watchdogLateMs, lateMs);
    blocked.first ??= { at, sched };
    blocked.last = { at, sched };
  }

  /** Its heartbeat moved again: where its time went between the first and the last look that found it blocked. */
  unblocked(): void {
    this.recordThreadTime();
    // Paused until it beat again, at the latest.
    this.pauseEnded(this.lastBeat().at);
    this.blockedAt = undefined;
  }

  /** The pause probe's answer, for the stall at `seq`, at `at`. */
  pauseSeen(seq: number, paused: boolean, at: number): void {
    const blocked = this.blockedAt;
    if (!blocked || blocked.seq !== seq) return;
    if (paused) blocked.pausedFrom ??= blocked.runningAt;
    else {
      this.pauseEnded(at);
      blocked.runningAt = at;
    }
  }

  get paused(): boolean {
    return this.blockedAt?.pausedFrom !== undefined;
  }

  private pauseEnded(at: number): void {
    const blocked = this.blockedAt;
    if (blocked?.pausedFrom === undefined) return;
    this.record({ type: 'paused', seq: blocked.seq, from: blocked.pausedFrom, to: at });
    blocked.pausedFrom = undefined;
  }

  /** This stall goes unsampled for this reason: written once. */
  unsampled(reason: UnsampledReason, at: number): void {
    const blocked = this.blockedAt;
    if (!blocked) return;
    blocked.unsampled ??= new Set();
    if (blocked.unsampled.has(reason)) return;
    blocked.unsampled.add(reason);
    this.record({ type: 'unsampled', seq: blocked.seq, reason, at });
  }

  /**
   * Where its time went since the first look found it blocked. Written with each later
   * `blocked` record, and when it is unblocked: a process that ends right after a stall
   * (or is killed in one) still leaves most of the split; readers keep the last of a stall.
   */
  recordThreadTime(): void {
    const blocked = this.blockedAt;
    const { first, last } = blocked ?? {};
    if (!blocked || !first || !last || last.at - first.at < MIN_THREAD_TIME_WINDOW_MS || blocked.writtenTo === last.at) return;
    blocked.writtenTo = last.at;
    this.record({
      type: 'threadTime',
      seq: blocked.seq,
      from: first.at,
      to: last.at,
      onCpuMs: (last.sched.onCpuNs - first.sched.onCpuNs) / 1e6,
      runQueueMs: (last.sched.runQueueNs - first.sched.runQueueNs) / 1e6,
      watchdogLateMs: blocked.watchdogLateMs,
    });
  }

  get isMain(): boolean {
    return this.threadId === 0;
  }

  lastBeat(): { seq: number; at: number } {
    const { seq, lastBeatMs } = this.heartbeat.read();
    return { seq, at: this.timeOrigin + lastBeatMs };
  }

  record(r: RecordingRecord): void {
    this.writer?.write(r);
    if (this.isMain) live?.add(r);
  }

  close(): void {
    this.sched.close();
    if (!this.isMain) this.writer?.close();
  }
}

/** A window of where a blocked thread's time went shorter than this says too little to be written. */
const MIN_THREAD_TIME_WINDOW_MS = 10;

const main = new WatchedThread(0, null, mainHeartbeat, data.mainTimeOrigin, mainWriter, data.mainTid);
const threads = new Map<number, WatchedThread>([[0, main]]);

/** How late this thread's own timers ran: the CPU it got, told apart from the pool's queue. */
const ownLateness: Array<{ at: number; lateMs: number }> = [];
function ownLatenessSince(since: number): number {
  while (ownLateness.length > 0 && ownLateness[0]!.at < since - 1000) ownLateness.shift();
  // A tick already due and not yet run is late now: a probe task's callback runs before
  // the next turn's timers, so a thread the host did not run shows here first.
  const overdueMs = stopped ? 0 : now() - tickDueAt;
  return Math.max(0, overdueMs, ...ownLateness.filter((l) => l.at >= since).map((l) => l.lateMs));
}


const watchdogTid = ownKernelThreadId();
const poolCpuWait = new PoolCpuWait(new Set([data.mainTid, watchdogTid].filter((tid): tid is number => tid !== null)), watchdogTid);
const poolProbe = new PoolProbe(
  // The work queue's probe task is an fstat: of the recording file, or of this file when there is none.
  mainWriter?.fd ?? openSync(__filename, 'r'),
  new PoolWaitState(data.poolWait, data.poolWaitEpoch),
  poolStarvationMs(settings.thresholdMs),
  now,
  ownLatenessSince,
  () => performance.eventLoopUtilization().active,
  poolCpuWait,
  (r) => main.record(r),
);
const poolUse = new PoolUseState(data.poolUse);
/** This thread is the one the agent adds to the process. */
const poolThreads = new PoolThreads(poolUse, 1);
let poolThreadsCheckedAt = -Infinity;

/** Probes each queue of the pool the program has used (see PoolUseState). */
function startUsedQueues(): void {
  if (poolUse.used('work')) poolProbe.start('work');
  if (poolUse.used('dns')) poolProbe.start('dns');
}

/**
 * Work the agent does not track starts the pool too: its threads say so (pool-threads.ts),
 * looked at every POOL_PROBE_INTERVAL_MS until the pool is probed. The first user is
 * unknown then, so both queues are probed.
 */
function checkPoolThreads(at: number): void {
  if (poolProbe.probing('work') || at - poolThreadsCheckedAt < POOL_PROBE_INTERVAL_MS) return;
  poolThreadsCheckedAt = at;
  const started = poolThreads.started();
  // Where that cannot be told, from the first loop turn on (the main thread beats from
  // then): the first task creates the pool, and a program that sets UV_THREADPOOL_SIZE
  // in its main module must get the size it asked for.
  if (started === false || (started === undefined && main.lastBeat().seq === 0)) return;
  poolProbe.start('work');
  poolProbe.start('dns');
}

/** Starts the probes at the program's first tracked pool call, as soon as the main thread marks it. */
async function probeWhenUsed(): Promise<void> {
  while (!stopped && !(poolProbe.probing('work') && poolProbe.probing('dns'))) {
    const seen = poolUse.signal();
    startUsedQueues();
    await poolUse.changed(seen);
  }
}

let session: Session | undefined;
/** NodeWorker's session ids of the worker threads, by thread id, while the domain is on. */
const workerSessions = new Map<number, string>();
let workerDomainOn = false;
/** Replies awaited from worker threads, by message id. */
const pendingReplies = new Map<number, (value: unknown) => void>();
let nextMessageId = 1;
let tickTimer: NodeJS.Timeout | undefined;
let tickDueAt = now();
let stopped = false;

function scheduleTick(delayMs: number): void {
  if (stopped) return;
  tickDueAt = now() + delayMs;
  tickTimer = setTimeout(tick, delayMs);
}

/** One look at every watched thread: samples what is blocked. Returns the time to the next look, ms, and whether anything is blocked. */
function look(): { nextMs: number; blocked: boolean } {
  const at = now();
  const lateMs = at - tickDueAt;
  if (lateMs > 1) ownLateness.push({ at, lateMs });
  while (ownLateness.length > 0 && ownLateness[0]!.at < at - 5_000) ownLateness.shift();
  checkPoolThreads(at);
  let nextMs = Math.min(detectAfterMs, poolProbe.tick(at));
  for (const thread of threads.values()) {
    const { seq, at: lastBeat } = thread.lastBeat();
    const ageMs = at - lastBeat;
    if (ageMs < detectAfterMs) {
      if (thread.blockedAt) thread.unblocked();
      continue;
    }
    if (!thread.isMain && ageMs > GONE_AFTER_MS && workerDomainOn && !workerSessions.has(thread.threadId)) {
      forget(thread.threadId);
      continue;
    }
    if (thread.blockedAt?.seq !== seq) {
      // Blocked again at a newer beat: the stall before ended between two looks.
      if (thread.blockedAt) thread.unblocked();
      thread.blockedAt = { seq, lastBlockedRecordAt: at, watchdogLateMs: 0, runningAt: lastBeat };
      thread.record({ type: 'blocked', seq, since: lastBeat, at });
      thread.lookBlocked(seq, lateMs);
    } else {
      thread.lookBlocked(seq, lateMs);
      if (at - thread.blockedAt.lastBlockedRecordAt >= BLOCKED_RECORD_EVERY_MS) {
        thread.blockedAt.lastBlockedRecordAt = at;
        thread.record({ type: 'blocked', seq, since: lastBeat, at });
        thread.recordThreadTime();
      }
    }
    if (thread.isMain && !thread.pauseProbePending) probePause(thread, seq);
    if (!thread.samplePending && !thread.paused) takeSample(thread, seq, at);
    // A pause's end is looked for every beat: the probe costs the program nothing, and
    // the sooner the end is seen the less of the program's own time is left out with it.
    nextMs = Math.min(nextMs, thread.paused ? settings.heartbeatMs : sampleIntervalAt(ageMs));
  }
  // A whole detectAfterMs when nothing is blocked, not just until the last beat is that
  // old: on a free loop a newer beat has always come by then, and fewer wake-ups cost the
  // program less when it shares a core with this thread. A stall is still seen within
  // 2 x detectAfterMs.
  let blocked = false;
  for (const t of threads.values()) if (t.blockedAt || t.samplePending || t.pauseProbePending) blocked = true;
  if (blocked) lastBlockedAt = at;
  else detach();
  return { nextMs, blocked };
}

/**
 * While nothing is blocked, no inspector session is attached and no probe task waits,
 * this thread's event loop has nothing to deliver but messages (a worker thread joining,
 * the live mode's records, stop), and the next look waits in Atomics.wait instead of a
 * timer: on a core shared with a busy program, a wake-up from a futex cost this thread
 * half of what one through libuv's timers and a JavaScript callback does (bench/FINDINGS.md,
 * section 10). It waits on the pool-use signal, so the program's first pool call still
 * starts the probes at once. The loop runs again at least every IDLE_WAIT_MS, so a message
 * waits that long at the most. In live mode it keeps to timers for IDLE_WAIT_MS after a
 * thread was last seen blocked: the stall's record comes from the main thread at the beat
 * that ends it, and is attributed as soon as it arrives.
 */
const IDLE_WAIT_MS = 100;
let waitsInAtomics = true;
/** The last look that found a thread blocked. */
let lastBlockedAt = -Infinity;

function mayWaitInAtomics(blocked: boolean): boolean {
  if (!waitsInAtomics || blocked || stopped || session || poolProbe.waiting()) return false;
  return !live || now() - lastBlockedAt >= IDLE_WAIT_MS;
}

function tick(): void {
  const turnAt = now();
  let { nextMs, blocked } = look();
  while (mayWaitInAtomics(blocked) && now() + nextMs - turnAt <= IDLE_WAIT_MS) {
    const seen = poolUse.signal();
    tickDueAt = now() + nextMs;
    try {
      poolUse.waitFor(seen, nextMs);
    } catch {
      // Atomics.wait not allowed on this thread: timers only.
      waitsInAtomics = false;
    }
    if (poolUse.signal() !== seen) startUsedQueues();
    ({ nextMs, blocked } = look());
  }
  scheduleTick(nextMs);
  // Only a probe task still waiting needs to know this thread's own wait for a CPU from here on.
  if (poolProbe.waiting()) poolCpuWait.noteIdle();
}

function attach(): Session | undefined {
  if (!session && !mainHeartbeat.closing() && !stopped) {
    // Loaded at the first stall: a watchdog that never sees one boots faster without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Session: InspectorSession } = require('node:inspector') as typeof import('node:inspector');
    // Claimed first: a main thread on its way out then waits for the detach (see HeartbeatState).
    if (!mainHeartbeat.claimSession()) return undefined;
    try {
      session = new InspectorSession();
      session.connectToMainThread();
    } catch (err) {
      session = undefined;
      mainHeartbeat.sessionDetached();
      throw err;
    }
    session.on('NodeWorker.attachedToWorker', ({ params }: { params: { sessionId: string; workerInfo: { title: string } } }) => {
      // The title is `[worker <threadId>] <name>`: the thread id, not NodeWorker's own worker id, says which.
      const id = Number(/^\[worker (\d+)\]/.exec(params.workerInfo.title)?.[1]);
      if (Number.isFinite(id) && id !== ownThreadId) workerSessions.set(id, params.sessionId);
    });
    session.on('NodeWorker.detachedFromWorker', ({ params }: { params: { sessionId: string } }) => {
      for (const [id, sid] of workerSessions) if (sid === params.sessionId) workerSessions.delete(id);
    });
    session.on('NodeWorker.receivedMessageFromWorker', ({ params }: { params: { message: string } }) => {
      const reply = JSON.parse(params.message) as { id?: number; result?: { result?: { value?: unknown } } };
      if (reply.id === undefined) return;
      pendingReplies.get(reply.id)?.(reply.result?.result?.value);
      pendingReplies.delete(reply.id);
    });
  }
  return session;
}

function detach(): void {
  if (!session) return;
  try {
    session.disconnect();
  } catch {
    // Already gone with the main thread: nothing is attached either way.
  }
  session = undefined;
  workerDomainOn = false;
  workerSessions.clear();
  for (const resolve of pendingReplies.values()) resolve(undefined);
  pendingReplies.clear();
  for (const thread of threads.values()) {
    thread.samplePending = false;
    thread.pauseProbePending = false;
  }
  mainHeartbeat.sessionDetached();
}

/**
 * Asks the main thread whether it is paused in a debugger. A paused thread is not
 * blocked by itself: its pause is written down (PausedRecord) and left out of its stall.
 */
function probePause(thread: WatchedThread, seq: number): void {
  if (data.noSamplesBecause !== null) return;
  const attached = attach();
  if (!attached) return;
  thread.pauseProbePending = true;
  attached.post(PAUSE_PROBE.method, PAUSE_PROBE.params, (err) => {
    thread.pauseProbePending = false;
    // Only an answer about the call frame says there are call frames: it is paused. Any
    // other (the session closed, a reply lost) says nothing, and is taken as not paused.
    const paused = err !== null && NO_SUCH_FRAME.test(err.message) && !NOT_PAUSED.test(err.message);
    thread.pauseSeen(seq, paused, now());
  });
}

/**
 * A stack sample of a blocked thread, unless a debugger can be attached to the process
 * (each sample is a script evaluated in the program, which the debugger would list in
 * its Sources) or the process's sampling bound is reached.
 */
function takeSample(thread: WatchedThread, seq: number, at: number): void {
  if (data.noSamplesBecause !== null) return;
  if (mainHeartbeat.inspectorOpen()) {
    thread.unsampled('debugger', at);
    return;
  }
  if (!sampleBound.take(at)) {
    thread.unsampled('bound', at);
    return;
  }
  requestSample(thread, seq, at);
}

function requestSample(thread: WatchedThread, seq: number, requestedAt: number): void {
  const attached = attach();
  if (!attached) return;
  thread.samplePending = true;
  const done = (value: unknown) => {
    thread.samplePending = false;
    if (typeof value !== 'string') return;
    const sample = JSON.parse(value) as Sample;
    thread.record({ type: 'sample', seq, requestedAt, ...sample });
  };
  const evaluate = { expression: SAMPLE_EXPRESSION, returnByValue: true, silent: true };
  if (thread.isMain) {
    attached.post('Runtime.evaluate', evaluate, (err, reply) => done(err ? undefined : (reply as { result?: { value?: unknown } } | undefined)?.result?.value));
    return;
  }
  if (!workerDomainOn) {
    workerDomainOn = true;
    attached.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }
  const sessionId = workerSessions.get(thread.threadId);
  if (!sessionId) {
    // Not attached yet: the domain announces the workers as it starts; the next tick asks.
    thread.samplePending = false;
    return;
  }
  const id = nextMessageId++;
  pendingReplies.set(id, done);
  attached.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method: 'Runtime.evaluate', params: evaluate }) });
}

function forget(threadId: number): void {
  const thread = threads.get(threadId);
  if (!thread || thread.isMain) return;
  thread.close();
  threads.delete(threadId);
}

async function detachWhenAsked(): Promise<void> {
  while (!stopped) {
    await mainHeartbeat.untilCloseRequested();
    detach();
    // Wait until the main thread reopens (an uncaught exception that was handled) before listening again.
    while (mainHeartbeat.closing() && !stopped) await new Promise((resolve) => setTimeout(resolve, settings.heartbeatMs));
  }
}

/** Worker threads' agents join here. */
const channel = new BroadcastChannel(threadsChannelName(data.pid));
channel.unref();
channel.onmessage = (event) => {
  const message = (event as { data: ThreadMessage }).data;
  if (message.type === 'poolUsed') {
    for (const queue of message.queues) poolUse.markUsed(queue);
    return;
  }
  if (message.type === 'unwatch') {
    forget(message.threadId);
    return;
  }
  if (stopped) return;
  // A thread announces itself until it reads that it is watched: the first announcement that arrives counts.
  let thread = threads.get(message.threadId);
  if (!thread) {
    const writer = message.recordingFile === null ? undefined : new RecordingWriter(message.recordingFile);
    thread = new WatchedThread(message.threadId, message.name, new HeartbeatState(message.heartbeat), message.timeOrigin, writer, message.tid);
    threads.set(message.threadId, thread);
  }
  thread.heartbeat.markWatched();
};

function stop(): void {
  stopped = true;
  if (tickTimer) clearTimeout(tickTimer);
  poolProbe.stop();
  poolCpuWait.close();
  detach();
  channel.close();
  for (const thread of threads.values()) thread.close();
  mainWriter?.close();
  parentPort?.close();
}

parentPort?.on('message', (message: ToWatchdog) => {
  if (message.type === 'stop') stop();
  else if (message.type === 'threadEnded') forget(message.threadId);
  else if (message.type === 'records') live?.addAll(message.records);
});

tick();
void detachWhenAsked();
void probeWhenUsed();
