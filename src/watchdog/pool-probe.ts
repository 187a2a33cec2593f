import { lookup } from 'node:dns';
import { fstat } from 'node:fs';
import type { PoolWaitState } from '../agent/pool-wait-state';
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
 * Every POOL_PROBE_INTERVAL_MS each queue whose previous task has run gets a new one:
 * few enough wake-ups to cost next to nothing, even on one core. A wait over the
 * threshold is written at once as a `poolWait` record, with when the queue's previous
 * task ran (it had a free thread then: the starvation began between the two, and the
 * report narrows that down from the work in flight). The task still waiting when the
 * process exits is written by the main thread (see PoolWaitState.stillWaiting).
 *
 * On a machine whose CPUs are all busy, this thread and the pool's threads wait for a
 * CPU as well, and a probe task can come back late with the pool empty. When this
 * thread's own timers ran at least half as late as the task, the wait was the CPU,
 * not the pool: it counts in the percentiles, but is not reported as starvation.
 */
const NUMERIC_LOCALHOST = '2130706433';

interface Queue {
  name: PoolQueue;
  task: (done: () => void) => void;
  pending: boolean;
  lastRanAt: number | null;
}

export class PoolProbe {
  private started = false;
  private readonly queues: Queue[];

  constructor(
    fd: number,
    private readonly state: PoolWaitState,
    private readonly thresholdMs: number,
    private readonly now: () => number,
    /** The most this thread's own timers ran late since a time. */
    private readonly ownLatenessSince: (since: number) => number,
    private readonly write: (record: PoolWaitRecord) => void,
  ) {
    this.queues = [
      { name: 'work', task: (done) => fstat(fd, done), pending: false, lastRanAt: null },
      { name: 'dns', task: (done) => lookup(NUMERIC_LOCALHOST, { family: 4 }, done), pending: false, lastRanAt: null },
    ];
  }

  /**
   * Starts probing; later calls do nothing. The caller waits for the program's first
   * turn of the event loop: the first task creates the pool, and a program that sets
   * UV_THREADPOOL_SIZE in its main module must get the size it asked for.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.round();
  }

  /** Submits a task to each queue whose previous one has run. */
  private round(): void {
    for (const queue of this.queues) if (!queue.pending) this.submit(queue);
    setTimeout(() => this.round(), POOL_PROBE_INTERVAL_MS);
  }

  private submit(queue: Queue): void {
    const start = this.now();
    queue.pending = true;
    this.state.submitted(queue.name, start);
    queue.task(() => {
      const end = this.now();
      const waitMs = end - start;
      queue.pending = false;
      this.state.ran(queue.name, end, waitMs);
      if (waitMs > this.thresholdMs && this.ownLatenessSince(start) < waitMs / 2) {
        this.write({ type: 'poolWait', queue: queue.name, start, after: queue.lastRanAt, end, inProgressAtExit: false });
      }
      queue.lastRanAt = end;
    });
  }
}
