import { lookup } from 'node:dns';
import { fstat } from 'node:fs';
import type { PoolWaitState } from '../agent/pool-wait-state';
import type { PoolQueue, PoolWaitRecord } from '../recording/schema';

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
 * One task per queue at a time, the next POOL_PROBE_INTERVAL_MS after the previous
 * one ran. A wait over the threshold is written at once as a `poolWait` record; the
 * task still waiting when the process exits is written by the main thread (see
 * PoolWaitState.pendingSince).
 *
 * On a machine whose CPUs are all busy, this thread and the pool's threads wait for a
 * CPU as well, and a probe task can come back late with the pool empty. When this
 * thread's own timers ran at least half as late as the task, the wait was the CPU,
 * not the pool: it counts in the percentiles, but is not reported as starvation.
 */
export const POOL_PROBE_INTERVAL_MS = 20;
const NUMERIC_LOCALHOST = '2130706433';

export class PoolProbe {
  private started = false;

  constructor(
    private readonly fd: number,
    private readonly state: PoolWaitState,
    private readonly thresholdMs: number,
    private readonly now: () => number,
    /** The most this thread's own timers ran late since a time. */
    private readonly ownLatenessSince: (since: number) => number,
    private readonly write: (record: PoolWaitRecord) => void,
  ) {}

  /**
   * Starts probing; later calls do nothing. The caller waits for the program's first
   * turn of the event loop: the first task creates the pool, and a program that sets
   * UV_THREADPOOL_SIZE in its main module must get the size it asked for.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.submit('work', (done) => fstat(this.fd, done));
    this.submit('dns', (done) => lookup(NUMERIC_LOCALHOST, { family: 4 }, done));
  }

  private submit(queue: PoolQueue, task: (done: () => void) => void): void {
    const start = this.now();
    this.state.submitted(queue, start);
    task(() => {
      const end = this.now();
      this.state.ran(queue, end - start);
      const waitMs = end - start;
      if (waitMs > this.thresholdMs && this.ownLatenessSince(start) < waitMs / 2) {
        this.write({ type: 'poolWait', queue, start, end, inProgressAtExit: false });
      }
      setTimeout(() => this.submit(queue, task), POOL_PROBE_INTERVAL_MS);
    });
  }
}
