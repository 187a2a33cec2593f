import { lookup } from 'node:dns';
import { fstat } from 'node:fs';
import type { PoolWaitState } from '../contract/pool-wait-state';
import type { PoolCpuWait } from './pool-cpu-wait';
import { POOL_PROBE_INTERVAL_MS, type PoolQueue, type PoolWaitRecord } from '../recording/schema';

/**
 * Measures how long work waits in libuv's threadpool. The pool is one per process,
 * shared by all threads, and this thread's event loop is never blocked by the program:
 * so the time from submitting a tiny task to its callback here is the time a task
 * submitted then waited for a pool thread.
 *
 * libuv keeps two queues. DNS lookups (getaddrinfo, getnameinfo) are "slow I/O" and
 * may use at most half the threads ((size + 1) / 2: 2 of the default 4), so a slow
 * resolver holds up every other lookup but leaves fs, crypto and zlib half the pool.
 * Each queue gets its own probe:
 * - work: an fstat of the recording file, microseconds of work;
 * - dns: a lookup of 127.0.0.1 written as one number ('2130706433'), which Node does
 *   not take for an address and hands to getaddrinfo, and which the C library answers
 *   itself, without asking a resolver.
 *
 * Each queue is probed from the program's first use of it on (start()); then every
 * POOL_PROBE_INTERVAL_MS each queue whose previous task has run gets a new one. The
 * rounds ride the watchdog's own tick (tick()), which wakes this thread anyway: a timer
 * of their own was 10 more wake-ups a second, each taking the program's core from it
 * (bench/watchdog-cpu.js). The queues of a round share one reading of the pool
 * threads' scheduler statistics. A wait over the
 * threshold is written at once as a `poolWait` record, with when the queue's previous
 * task ran (it had a free thread then: the starvation began between the two, and the
 * report narrows that down from the work in flight). The task still waiting when the
 * process exits is written by the main thread (see PoolWaitState.stillWaiting).
 *
 * The task's wait is measured here, so it holds whatever kept this thread from taking
 * the task's callback, and that can have nothing to do with the pool:
 * - on a machine whose CPUs are all busy, this thread and the pool's threads wait for
 *   a CPU as well: this thread's own timers then run late too;
 * - this thread was busy: sampling a stall, opening its inspector session (about 20 ms
 *   the first time), writing records. In a storm of short stalls (`--threshold 1`, a
 *   2 ms callback every 3 ms) it is busy most of the time, and every probe task came
 *   back 2 to 20 ms late from an idle pool: 3 to 8 false starvation episodes a run.
 * - a pool thread was free, but the host gave it no CPU for a while (pool-cpu-wait.ts):
 *   at a load average of 7 on 2 cores, 5 to 30 ms.
 * When this thread's timers ran late, its loop was busy, or a free pool thread waited
 * for a CPU, for at least half of the task's wait, the wait is not known to be the
 * pool's: it counts in the percentiles, but is not reported as starvation.
 */
const NUMERIC_LOCALHOST = '2130706433';

/** How much earlier than due a tick may come and still take the round, ms. */
const ROUND_SLACK_MS = 2;

interface Queue {
  name: PoolQueue;
  task: (done: () => void) => void;
  /** Probed from now on (the program has used this queue). */
  active: boolean;
  pending: boolean;
  lastRanAt: number | null;
}

export class PoolProbe {
  private stopped = false;
  /** When the next round is due, once a queue is probed. */
  private nextRoundAt = Infinity;
  private readonly queues: Queue[];

  constructor(
    fd: number,
    private readonly state: PoolWaitState,
    private readonly thresholdMs: number,
    private readonly now: () => number,
    /** The most this thread's own timers ran late since a time. */
    private readonly ownLatenessSince: (since: number) => number,
    /** The time this thread's event loop has spent running callbacks, ms, in all (its event-loop utilization's `active`). */
    private readonly ownBusyMs: () => number,
    /** The pool's threads, to tell a wait for a CPU from a wait for a thread (Linux). */
    private readonly poolCpuWait: Pick<PoolCpuWait, 'mark' | 'wokenWaitMsSince'>,
    private readonly write: (record: PoolWaitRecord) => void,
  ) {
    this.queues = [
      { name: 'work', task: (done) => fstat(fd, done), active: false, pending: false, lastRanAt: null },
      { name: 'dns', task: (done) => lookup(NUMERIC_LOCALHOST, { family: 4 }, done), active: false, pending: false, lastRanAt: null },
    ];
  }

  /**
   * Starts probing a queue; later calls do nothing. The caller starts a queue once the
   * program has used the pool (PoolUseState, pool-threads.ts): the pool then exists, with
   * the size the program gave it (a program that sets UV_THREADPOOL_SIZE in its main
   * module gets it), and a task submitted now already waits behind the program's work.
   */
  start(queue: PoolQueue): void {
    const q = this.queues.find((x) => x.name === queue)!;
    if (q.active || this.stopped) return;
    q.active = true;
    this.submit([q]);
    if (this.nextRoundAt === Infinity) this.nextRoundAt = this.now() + POOL_PROBE_INTERVAL_MS;
  }

  probing(queue: PoolQueue): boolean {
    return this.queues.some((q) => q.name === queue && q.active);
  }

  /** Whether a probe task has been submitted and has not run yet. */
  waiting(): boolean {
    return this.queues.some((q) => q.pending);
  }

  /**
   * Called at each of the watchdog's ticks: submits a task to each probed queue whose
   * previous one has run, when a round is due. Returns the time to the next round, ms
   * (Infinity while no queue is probed), which the tick waits for at the most.
   */
  tick(at: number): number {
    if (this.stopped || this.nextRoundAt === Infinity) return Infinity;
    // A timer never fires early, but the tick that is due with the round may be scheduled
    // a fraction of a millisecond before it: that tick takes the round.
    if (at >= this.nextRoundAt - ROUND_SLACK_MS) {
      this.submit(this.queues.filter((q) => q.active && !q.pending));
      this.nextRoundAt = Math.max(this.nextRoundAt + POOL_PROBE_INTERVAL_MS, at + POOL_PROBE_INTERVAL_MS - ROUND_SLACK_MS);
    }
    return Math.max(0, this.nextRoundAt - at);
  }

  stop(): void {
    this.stopped = true;
  }

  private submit(queues: Queue[]): void {
    if (queues.length === 0) return;
    const start = this.now();
    const busyAtStart = this.ownBusyMs();
    const threadsAtStart = this.poolCpuWait.mark();
    for (const queue of queues) {
      queue.pending = true;
      this.state.submitted(queue.name, start);
      queue.task(() => {
        const end = this.now();
        const waitMs = end - start;
        queue.pending = false;
        this.state.ran(queue.name, end, waitMs);
        if (waitMs > this.thresholdMs && isPoolWait(waitMs, [this.ownLatenessSince(start), this.ownBusyMs() - busyAtStart, this.poolCpuWait.wokenWaitMsSince(threadsAtStart)])) {
          this.write({ type: 'poolWait', queue: queue.name, start, after: queue.lastRanAt, end, inProgressAtExit: false });
        }
        queue.lastRanAt = end;
      });
    }
  }
}

/**
 * Whether a probe task's wait was the pool's: none of the other things that delay it
 * (this thread's timers late, its loop busy, a free pool thread waiting for a CPU, in
 * ms) explains half of it (see PoolProbe).
 */
export function isPoolWait(waitMs: number, otherDelaysMs: number[]): boolean {
  return Math.max(0, ...otherDelaysMs) < waitMs / 2;
}
