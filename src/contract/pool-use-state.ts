import type { PoolQueue } from '../recording/schema';

/**
 * Whether the program has used libuv's threadpool yet, shared by the main thread (which
 * sees its tracked pool calls) and the watchdog (which probes the pool's queues only
 * from then on). Int32 slots, always accessed with Atomics.
 *
 * The watchdog's probes cost a program that never uses the pool its four threads (the
 * first task creates them) and its first getaddrinfo, then twenty wake-ups a second:
 * 5 to 31 ms of CPU on a shared core in the bench (bench/FINDINGS.md, section 3). A pool
 * that holds no work of the program's cannot starve it, so nothing is lost by waiting.
 *
 * - USED_WORK, USED_DNS: 1 once the program submitted work to that queue (a tracked
 *   pool call of the main thread, or told by a worker thread's agent); USED_DNS implies
 *   the pool exists, so the work queue is probed too.
 * - SIGNAL: incremented with every change, for the watchdog to wait on.
 * - THREADS_AT_START: the process's threads when the agent started, before its watchdog
 *   and before the program ran (-1 when it started later, with monitor()): work the
 *   agent does not track (async fs, zlib streams, webcrypto, native addons) is seen by
 *   the threads the pool adds when it starts (see watchdog/pool-threads.ts).
 * - PROGRAM_THREADS: the program's worker threads alive now, which add a thread each.
 */
const USED_WORK = 0;
const USED_DNS = 1;
const SIGNAL = 2;
const THREADS_AT_START = 3;
const PROGRAM_THREADS = 4;
const SLOTS = 5;

export function createPoolUseBuffer(threadsAtStart: number): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
  new Int32Array(buffer)[THREADS_AT_START] = threadsAtStart;
  return buffer;
}

export class PoolUseState {
  private readonly slots: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer);
  }

  /** Main thread: the program put work on this queue. Wakes a waiting watchdog the first time. */
  markUsed(queue: PoolQueue): void {
    const slot = queue === 'dns' ? USED_DNS : USED_WORK;
    if (Atomics.load(this.slots, slot) === 1) return;
    Atomics.store(this.slots, slot, 1);
    Atomics.add(this.slots, SIGNAL, 1);
    Atomics.notify(this.slots, SIGNAL);
  }

  /** Whether the watchdog should probe this queue: the work queue once the pool is used at all. */
  used(queue: PoolQueue): boolean {
    const dns = Atomics.load(this.slots, USED_DNS) === 1;
    return queue === 'dns' ? dns : dns || Atomics.load(this.slots, USED_WORK) === 1;
  }

  /** Watchdog: resolves at the next markUsed() (or at once when one came since `signal()` was read). */
  async changed(since: number): Promise<void> {
    const waiting = Atomics.waitAsync(this.slots, SIGNAL, since);
    if (waiting.async) await waiting.value;
  }

  /**
   * Watchdog: blocks this thread until the next markUsed() or for `timeoutMs` at the
   * most (returns at once when one came since `since`). Its idle wait (watchdog.ts).
   */
  waitFor(since: number, timeoutMs: number): void {
    Atomics.wait(this.slots, SIGNAL, since, timeoutMs);
  }

  signal(): number {
    return Atomics.load(this.slots, SIGNAL);
  }

  /** The process's thread count when the agent started, or -1 when unknown. */
  threadsAtStart(): number {
    return Atomics.load(this.slots, THREADS_AT_START);
  }

  /** Main thread: a worker thread of the program started (+1) or ended (-1). */
  programThread(delta: 1 | -1): void {
    Atomics.add(this.slots, PROGRAM_THREADS, delta);
  }

  programThreads(): number {
    return Math.max(0, Atomics.load(this.slots, PROGRAM_THREADS));
  }
}

/**
 * How many threads this process has now (Linux: /proc/self/stat's num_threads), or -1
 * where that cannot be read. `read` is fs.readFileSync as the caller took it before the
 * agent's probes replaced it (an agent's read is not the program's sync I/O).
 */
export function processThreads(read: (path: string, encoding: 'latin1') => string): number {
  try {
    const stat = read('/proc/self/stat', 'latin1');
    // The command name, in parentheses, may hold spaces: the fields after it are fixed (num_threads is the 20th).
    const n = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[17]);
    return Number.isInteger(n) && n > 0 ? n : -1;
  } catch {
    return -1;
  }
}
