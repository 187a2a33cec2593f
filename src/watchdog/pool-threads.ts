import { readdirSync, readFileSync } from 'node:fs';
import { processThreads, type PoolUseState } from '../contract/pool-use-state';

/**
 * Whether libuv's threadpool has started, told by its threads. The agent marks the pool
 * used at the program's tracked pool calls (dns.lookup, crypto's and zlib's callback
 * APIs), but the program has other ways in that it does not wrap: async fs and
 * fs.promises, zlib streams, webcrypto, `dns.promises`, native addons' async work. Each
 * of them starts the pool the first time, and libuv creates all of the pool's threads at
 * once then (UV_THREADPOOL_SIZE of them, 4 by default): so the process's thread count
 * says what no wrapper would.
 *
 * - libuv 1.50 and later names its threads `libuv-worker` (Node.js 22.23 ships 1.51, 24.22
 *   ships 1.52): when the count changes, their names say whether the pool is among them.
 * - Before (Node.js 20: libuv 1.46), threads have no names: any thread beyond those the
 *   process had when the agent started (before the program ran), this watchdog and the
 *   program's worker threads counts as the pool's. A thread that is not (something
 *   the program's dependencies start natively) only starts the probes early: it costs
 *   them, never a stall.
 * - Where the threads cannot be counted (no /proc), or the agent started after the
 *   program did (monitor()) on a libuv that does not name them, it cannot be told
 *   (undefined): the caller probes from the program's first loop turn on, as before.
 *
 * Node's trace writer (the GC trace of `loopwatch run`, recording/gc-trace.ts) writes its
 * file through the pool when its buffer fills (every 65,536 events, minutes apart) and at
 * exit: a long-running process whose GC trace was written once has its pool probed from
 * then on, whoever else uses the pool.
 */
export class PoolThreads {
  private lastCount = -1;
  private seen: boolean | undefined = false;

  constructor(
    private readonly use: PoolUseState,
    /** Threads loopwatch itself added to the process: its watchdog. */
    private readonly ownThreads: number,
    private readonly namesThreads: boolean = libuvNamesThreads(process.versions.uv),
  ) {}

  /**
   * Whether the pool's threads exist now; undefined when that cannot be told. Reads
   * /proc/self/stat, and the threads' names when their count changed.
   */
  started(): boolean | undefined {
    if (this.seen !== false) return this.seen;
    const count = processThreads(readFileSync);
    if (count < 0) return (this.seen = undefined);
    if (count === this.lastCount) return false;
    this.lastCount = count;
    if (this.namesThreads) return (this.seen = anyThreadNamed(POOL_THREAD_NAME));
    const atStart = this.use.threadsAtStart();
    if (atStart < 0) return (this.seen = undefined);
    return (this.seen = count > atStart + this.ownThreads + this.use.programThreads());
  }
}

/** What libuv calls its pool's threads (threadpool.c, since 1.50). */
const POOL_THREAD_NAME = 'libuv-worker';

/** Whether this libuv names its threads: 1.50 and later. */
export function libuvNamesThreads(version: string | undefined): boolean {
  const [major, minor] = (version ?? '').split('.').map(Number);
  return major! > 1 || (major === 1 && minor! >= 50);
}

function anyThreadNamed(name: string): boolean | undefined {
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        if (readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim() === name) return true;
      } catch {
        // The thread ended while being read.
      }
    }
    return false;
  } catch {
    return undefined;
  }
}
