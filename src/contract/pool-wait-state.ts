import type { PoolQueue, PoolWaitRecord, QueueWaitSummary } from '../recording/schema';

/**
 * How long the watchdog's threadpool probe tasks waited, shared by the watchdog (the only
 * writer) and the main thread (which summarizes it in its exit record). One region per
 * queue of the pool (see PoolQueue); Int32 slots, always accessed with Atomics.
 *
 * Waits go into log-scale buckets of microseconds, 8 per power of two: a percentile
 * read from them is the bucket's upper bound, at most 2^(1/8), 9.05 %, above the true
 * value, never below it (test/unit/pool-wait-state.test.ts). The maximum is kept exactly.
 */
const COUNT = 0;
const MAX_US = 1;
/** Submission time of the task now waiting, in ms since the shared epoch; -1 when none. */
const PENDING_SINCE_MS = 2;
/** When the previous task ran, in ms since the shared epoch; -1 before the first. */
const LAST_RAN_MS = 3;
const BUCKETS_AT = 4;
const PER_OCTAVE = 8;
/** 2^31 µs, about 36 minutes: longer waits go into the last bucket. */
const BUCKETS = 31 * PER_OCTAVE + 1;
const REGION = BUCKETS_AT + BUCKETS;
export const POOL_QUEUES: readonly PoolQueue[] = ['work', 'dns'];

export function createPoolWaitBuffer(): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(POOL_QUEUES.length * REGION * Int32Array.BYTES_PER_ELEMENT);
  const slots = new Int32Array(buffer);
  POOL_QUEUES.forEach((_, i) => {
    slots[i * REGION + PENDING_SINCE_MS] = -1;
    slots[i * REGION + LAST_RAN_MS] = -1;
  });
  return buffer;
}

function bucketOf(us: number): number {
  if (us < 1) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * PER_OCTAVE) + 1);
}

/** Upper bound of a bucket, in microseconds. */
function bucketLimitUs(bucket: number): number {
  return bucket === 0 ? 1 : 2 ** (bucket / PER_OCTAVE);
}

export class PoolWaitState {
  private readonly slots: Int32Array;

  /** `epoch`: epoch milliseconds that pending times count from (the agent's start). */
  constructor(
    buffer: SharedArrayBuffer,
    private readonly epoch: number,
  ) {
    this.slots = new Int32Array(buffer);
  }

  private at(queue: PoolQueue, slot: number): number {
    return POOL_QUEUES.indexOf(queue) * REGION + slot;
  }

  /** Watchdog: a probe task was submitted at `at` (epoch ms). */
  submitted(queue: PoolQueue, at: number): void {
    Atomics.store(this.slots, this.at(queue, PENDING_SINCE_MS), Math.max(0, Math.round(at - this.epoch)));
  }

  /** Watchdog: the task ran at `at` (epoch ms) after waiting `waitMs`. */
  ran(queue: PoolQueue, at: number, waitMs: number): void {
    const us = Math.min(2 ** 31 - 1, Math.round(waitMs * 1000));
    Atomics.store(this.slots, this.at(queue, PENDING_SINCE_MS), -1);
    Atomics.store(this.slots, this.at(queue, LAST_RAN_MS), Math.max(0, Math.round(at - this.epoch)));
    Atomics.add(this.slots, this.at(queue, COUNT), 1);
    Atomics.add(this.slots, this.at(queue, BUCKETS_AT + bucketOf(us)), 1);
    if (us > Atomics.load(this.slots, this.at(queue, MAX_US))) Atomics.store(this.slots, this.at(queue, MAX_US), us);
  }

  /**
   * Main thread, at exit (`at`, epoch ms): the probe tasks still waiting longer than the
   * threshold, as the `poolWait` records the watchdog will not get to write.
   */
  stillWaiting(at: number, thresholdMs: number): PoolWaitRecord[] {
    const waits: PoolWaitRecord[] = [];
    for (const queue of POOL_QUEUES) {
      const since = Atomics.load(this.slots, this.at(queue, PENDING_SINCE_MS));
      if (since < 0 || at - (this.epoch + since) <= thresholdMs) continue;
      const ran = Atomics.load(this.slots, this.at(queue, LAST_RAN_MS));
      const after = ran < 0 ? null : this.epoch + ran;
      waits.push({ type: 'poolWait', queue, start: this.epoch + since, after, end: at, inProgressAtExit: true });
    }
    return waits;
  }

  summary(queue: PoolQueue): QueueWaitSummary | null {
    const count = Atomics.load(this.slots, this.at(queue, COUNT));
    if (count === 0) return null;
    const counts: number[] = [];
    for (let i = 0; i < BUCKETS; i++) counts.push(Atomics.load(this.slots, this.at(queue, BUCKETS_AT + i)));
    const maxMs = Atomics.load(this.slots, this.at(queue, MAX_US)) / 1000;
    const percentile = (p: number): number => {
      const rank = Math.max(1, Math.ceil((p / 100) * count));
      let seen = 0;
      for (let i = 0; i < BUCKETS; i++) {
        seen += counts[i]!;
        if (seen >= rank) return Math.min(maxMs, bucketLimitUs(i) / 1000);
      }
      return maxMs;
    };
    return { count, p50Ms: percentile(50), p99Ms: percentile(99), maxMs };
  }
}
