/**
 * The watchdog: a worker thread that watches the main thread's heartbeat. A blocked
 * event loop cannot time itself, so this thread notices the blocking while it lasts,
 * asks the main thread for stack samples through an inspector session (served by V8
 * interrupts, on top of the blocking code), and writes them to the recording at once.
 *
 * It never blocks itself: it waits with timers, so that inspector replies, which
 * arrive on this thread's event loop, are handled. The pending timer is also what
 * keeps this thread alive (a session alone would not); the main thread unrefs the
 * worker, so this thread never keeps the program alive.
 *
 * The session is attached only while the loop is blocked, and detached as soon as it
 * beats again or the main thread asks (it is exiting): a process that exits with a
 * session attached prints "Waiting for the debugger to disconnect..." on stderr.
 */
import type { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import { workerData } from 'node:worker_threads';
import { SAMPLE_EXPRESSION, type Sample } from '../agent/sampler';
import { HeartbeatState } from '../agent/heartbeat-state';
import { PoolWaitState } from '../agent/pool-wait-state';
import { RecordingWriter } from '../recording/encode';
import { BLOCKED_RECORD_EVERY_MS } from '../recording/schema';
import { PoolProbe } from './pool-probe';
import type { WatchdogData } from './watchdog-data';

const data = workerData as WatchdogData;
const heartbeat = new HeartbeatState(data.heartbeat);
const writer = new RecordingWriter(data.file);
/** How late this thread's own timers ran: the CPU it got, told apart from the pool's queue. */
const ownLateness: Array<{ at: number; lateMs: number }> = [];
function ownLatenessSince(since: number): number {
  while (ownLateness.length > 0 && ownLateness[0]!.at < since - 1000) ownLateness.shift();
  return Math.max(0, ...ownLateness.filter((l) => l.at >= since).map((l) => l.lateMs));
}
const poolProbe = new PoolProbe(
  writer.fd,
  new PoolWaitState(data.poolWait, data.poolWaitEpoch),
  data.thresholdMs,
  now,
  ownLatenessSince,
  (record) => writer.write(record),
);
let tickDueAt = now();

function scheduleTick(delayMs: number): void {
  tickDueAt = now() + delayMs;
  setTimeout(tick, delayMs);
}
let session: Session | undefined;

/**
 * How long without a beat before sampling starts. The age of the last beat wanders
 * between 0 and one heartbeat interval on an idle loop; half the threshold leaves room
 * for several samples before a stall crosses the threshold, so its first moments are seen.
 */
const detectAfterMs = Math.max(data.heartbeatMs + 5, data.thresholdMs / 2);

/**
 * A sample costs the blocked program about half a millisecond on a core it shares
 * with this thread. A long stall is sampled less often as it goes on: every
 * sampleIntervalMs at first, then a tenth of its age so far (a part of it is still
 * placed within about 5 % of its length), up to MAX_SAMPLE_INTERVAL_MS.
 */
const MAX_SAMPLE_INTERVAL_MS = 50;

function sampleIntervalAt(ageMs: number): number {
  return Math.min(Math.max(data.sampleIntervalMs, ageMs / 10), Math.max(data.sampleIntervalMs, MAX_SAMPLE_INTERVAL_MS));
}

interface Watch {
  seq: number;
  lastBlockedRecordAt: number;
}

let watch: Watch | undefined;
let samplePending = false;

/** Now, in epoch milliseconds (the main thread's records use the same scale). */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function tick(): void {
  const lateMs = now() - tickDueAt;
  if (lateMs > 1) ownLateness.push({ at: now(), lateMs });
  const { seq, lastBeatMs } = heartbeat.read();
  const lastBeat = data.mainTimeOrigin + lastBeatMs;
  const at = now();
  const ageMs = at - lastBeat;
  // The main thread beats from its loop's first turn on: the program's main module has run.
  if (seq > 0) poolProbe.start();
  if (ageMs < detectAfterMs) {
    watch = undefined;
    if (!samplePending) detach();
    // A whole detectAfterMs, not just until the last beat is that old: on a free loop a
    // newer beat has always come by then, and fewer wake-ups cost the program less when
    // it shares a core with this thread. A stall is still seen within 2 x detectAfterMs.
    scheduleTick(detectAfterMs);
    return;
  }
  if (watch?.seq !== seq) {
    watch = { seq, lastBlockedRecordAt: at };
    writer.write({ type: 'blocked', seq, since: lastBeat, at });
  } else if (at - watch.lastBlockedRecordAt >= BLOCKED_RECORD_EVERY_MS) {
    watch.lastBlockedRecordAt = at;
    writer.write({ type: 'blocked', seq, since: lastBeat, at });
  }
  if (!samplePending) requestSample(seq, at);
  scheduleTick(sampleIntervalAt(ageMs));
}

function attach(): Session | undefined {
  if (!session && !heartbeat.closing()) {
    // Loaded at the first stall: a watchdog that never sees one boots faster without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Session: InspectorSession } = require('node:inspector') as typeof import('node:inspector');
    session = new InspectorSession();
    session.connectToMainThread();
    heartbeat.setSessionAttached(true);
  }
  return session;
}

function detach(): void {
  if (!session) return;
  session.disconnect();
  session = undefined;
  samplePending = false;
  heartbeat.setSessionAttached(false);
}

function requestSample(seq: number, requestedAt: number): void {
  const attached = attach();
  if (!attached) return;
  samplePending = true;
  attached.post('Runtime.evaluate', { expression: SAMPLE_EXPRESSION, returnByValue: true, silent: true }, (err, reply) => {
    samplePending = false;
    const value: unknown = reply?.result?.value;
    if (err || typeof value !== 'string') return;
    const sample = JSON.parse(value) as Sample;
    writer.write({ type: 'sample', seq, requestedAt, ...sample });
  });
}

async function detachWhenAsked(): Promise<void> {
  for (;;) {
    await heartbeat.untilCloseRequested();
    detach();
    // Wait until the main thread reopens (an uncaught exception that was handled) before listening again.
    while (heartbeat.closing()) await new Promise((resolve) => setTimeout(resolve, data.heartbeatMs));
  }
}

tick();
void detachWhenAsked();
