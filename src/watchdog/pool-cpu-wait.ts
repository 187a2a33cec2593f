/**
 * Whether libuv's pool had a thread free that the host did not run: a probe task that
 * came back late may have waited for a CPU, not for a thread of the pool.
 *
 * A pool thread with nothing to do sleeps. Given the probe's task, it wakes, and on a
 * machine whose CPUs are all taken it waits for one, runnable but not running: its
 * scheduler statistics (Linux schedstat) show that wait, and next to no time on a CPU.
 * A pool that is full is not like that: threads busy computing (crypto, zlib) spend the
 * time on a CPU, threads waiting on I/O (a slow resolver, a slow disk) are asleep, not
 * runnable. So the longest a thread waited for a CPU while running next to nothing is
 * how much of a probe task's wait the host can explain.
 *
 * Node.js 22 and later name the pool's threads `libuv-worker`; Node.js 20 names every
 * thread `node`, and there every thread but the main thread and this one is looked at.
 * Elsewhere than Linux nothing is known, and nothing is explained away.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SchedStat, type SchedReading } from '../contract/thread-time';

/** A woken thread runs a probe task in microseconds; one that ran longer than this was doing work. */
const WOKEN_MAX_ON_CPU_MS = 2;

export interface PoolCpuWaitMark {
  pool: Map<number, SchedReading>;
  own: SchedReading | undefined;
}

export class PoolCpuWait {
  private readonly stats = new Map<number, SchedStat>();
  private failed = process.platform !== 'linux';
  /** The candidates, listed again at most once a second: threads seldom come and go. */
  private listed: { at: number; tids: number[] } | undefined;

  private readonly own: SchedStat;
  /** This thread's reading when it last went idle (noteIdle): its wait for a CPU since then is this wake-up's. */
  private ownAtIdle: SchedReading | undefined;

  /** `ownTid`: this thread, whose wait for a CPU delays the task's callback just as much. */
  constructor(
    private readonly notPool: ReadonlySet<number>,
    ownTid: number | null,
  ) {
    this.own = new SchedStat(ownTid);
  }

  /** Each pool thread's reading now, and this thread's. */
  mark(): PoolCpuWaitMark {
    const pool = new Map<number, SchedReading>();
    for (const tid of this.candidates()) {
      let stat = this.stats.get(tid);
      if (!stat) this.stats.set(tid, (stat = new SchedStat(tid)));
      const reading = stat.read();
      if (reading) pool.set(tid, reading);
    }
    return { pool, own: this.own.read() };
  }

  /** Called as this thread goes idle (the end of a tick): where its next wake-up's wait for a CPU is counted from. */
  noteIdle(): void {
    this.ownAtIdle = this.own.read();
  }

  /**
   * The longest a pool thread waited for a CPU since the mark while running next to
   * nothing, or this thread waited for one to take the task's callback, ms. This
   * thread's wait counts from the later of the mark and its last noteIdle(): over a
   * long wait it wakes for every tick, and on a loaded machine those waits add up to
   * half of a real 3 s starvation, none of which held up the callback.
   */
  wokenWaitMsSince(mark: PoolCpuWaitMark): number {
    const ownNow = mark.own && this.own.read();
    const ownFrom = this.ownAtIdle && mark.own && this.ownAtIdle.runQueueNs > mark.own.runQueueNs ? this.ownAtIdle : mark.own;
    let longest = ownNow && ownFrom ? (ownNow.runQueueNs - ownFrom.runQueueNs) / 1e6 : 0;
    for (const [tid, before] of mark.pool) {
      const now = this.stats.get(tid)?.read();
      if (!now) continue;
      const onCpuMs = (now.onCpuNs - before.onCpuNs) / 1e6;
      const runQueueMs = (now.runQueueNs - before.runQueueNs) / 1e6;
      if (onCpuMs <= WOKEN_MAX_ON_CPU_MS) longest = Math.max(longest, runQueueMs);
    }
    return longest;
  }

  close(): void {
    this.own.close();
    for (const stat of this.stats.values()) stat.close();
    this.stats.clear();
  }

  private candidates(): number[] {
    if (this.failed) return [];
    const at = performance.now();
    if (this.listed && at - this.listed.at < 1000) return this.listed.tids;
    try {
      const threads = readdirSync('/proc/self/task')
        .map(Number)
        .filter((tid) => Number.isInteger(tid) && !this.notPool.has(tid))
        .map((tid) => ({ tid, name: threadName(tid) }));
      const named = threads.filter((t) => t.name === 'libuv-worker');
      const pool = (named.length > 0 ? named : threads).map((t) => t.tid);
      for (const [tid, stat] of this.stats) {
        if (!pool.includes(tid)) {
          stat.close();
          this.stats.delete(tid);
        }
      }
      this.listed = { at, tids: pool };
      return pool;
    } catch {
      this.failed = true;
      return [];
    }
  }
}

function threadName(tid: number): string {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
  } catch {
    return '';
  }
}
