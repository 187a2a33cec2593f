import { closeSync, openSync, stat } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPoolWaitBuffer, PoolWaitState } from '../../src/contract/pool-wait-state';
import { ownKernelThreadId } from '../../src/contract/thread-time';
import type { PoolWaitRecord } from '../../src/recording/schema';
import { MIN_POOL_STARVATION_MS, poolStarvationMs } from '../../src/recording/schema';
import { isPoolWait, PoolProbe } from '../../src/watchdog/pool-probe';
import { PoolCpuWait } from '../../src/watchdog/pool-cpu-wait';

describe('isPoolWait', () => {
  it('is the pool\'s when nothing else explains half of the wait', () => {
    expect(isPoolWait(100, [])).toBe(true);
    expect(isPoolWait(100, [10, 49.9, 0])).toBe(true);
    expect(isPoolWait(100, [50])).toBe(false);
    expect(isPoolWait(100, [0, 0, 80])).toBe(false);
  });

  it('starvation is never a wait under MIN_POOL_STARVATION_MS', () => {
    expect(poolStarvationMs(1)).toBe(MIN_POOL_STARVATION_MS);
    expect(poolStarvationMs(50)).toBe(50);
  });
});

/**
 * The probe with its real tasks (an fstat, a numeric lookup) on this process's pool,
 * and a clock that makes every task take 40 ms: the other delays decide what is written.
 */
function probeOnce(delays: { lateMs?: number; busyMs?: number; wokenMs?: number }): Promise<PoolWaitRecord[]> {
  const fd = openSync(__filename, 'r');
  let clock = 0;
  let busy = 0;
  const written: PoolWaitRecord[] = [];
  return new Promise((resolve) => {
    const state = new PoolWaitState(createPoolWaitBuffer(), 0);
    const probe = new PoolProbe(
      fd,
      state,
      10,
      () => (clock += 20),
      () => delays.lateMs ?? 0,
      () => (busy += (delays.busyMs ?? 0) / 2),
      { mark: () => ({ pool: new Map(), own: undefined }), wokenWaitMsSince: () => delays.wokenMs ?? 0 },
      (r) => written.push(r),
    );
    probe.start('work');
    probe.start('dns');
    setTimeout(() => {
      probe.stop();
      closeSync(fd);
      resolve(written);
    }, 50);
  });
}

describe('PoolProbe', () => {
  it('writes a wait over the threshold that nothing else explains, for each queue', async () => {
    const written = await probeOnce({});
    expect(written.map((w) => w.queue).sort()).toEqual(['dns', 'work']);
    for (const w of written) expect(w.end - w.start).toBeGreaterThan(10);
  });

  it('writes none when its own timers were late, its loop busy, or a free pool thread waited for a CPU', async () => {
    expect(await probeOnce({ lateMs: 30 })).toEqual([]);
    expect(await probeOnce({ busyMs: 30 })).toEqual([]);
    expect(await probeOnce({ wokenMs: 30 })).toEqual([]);
  });
});

describe.skipIf(process.platform !== 'linux')('PoolCpuWait (Linux)', () => {
  it('reads the pool\'s threads (by their name on Node.js 22 and later) and this thread', async () => {
    const own = ownKernelThreadId();
    const threads = new PoolCpuWait(new Set([own!]), own);
    // The pool's threads start with its first task.
    await new Promise((resolve) => stat(__filename, resolve));
    const mark = threads.mark();
    threads.close();
    expect(mark.own?.onCpuNs).toBeGreaterThan(0);
    expect(mark.pool.has(own!)).toBe(false);
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 22) expect(mark.pool.size).toBe(Number(process.env.UV_THREADPOOL_SIZE ?? 4));
    else expect(mark.pool.size).toBeGreaterThan(0);
  });
});

describe('PoolProbe rounds', () => {
  /** Resolves once every task the probe has submitted has run. */
  async function settled(probe: PoolProbe): Promise<void> {
    while (probe.waiting()) await new Promise((resolve) => setImmediate(resolve));
  }

  it('ride the watchdog\'s tick: a round when one is due, both queues on one reading of the pool threads', async () => {
    const fd = openSync(__filename, 'r');
    let clock = 0;
    let marks = 0;
    const submitted: string[] = [];
    const state = new PoolWaitState(createPoolWaitBuffer(), 0);
    const original = state.submitted.bind(state);
    state.submitted = (queue, at) => {
      submitted.push(`${queue}@${at}`);
      original(queue, at);
    };
    const probe = new PoolProbe(
      fd,
      state,
      10,
      () => clock,
      () => 0,
      () => 0,
      {
        mark: () => {
          marks++;
          return { pool: new Map(), own: undefined };
        },
        wokenWaitMsSince: () => 0,
      },
      () => {},
    );
    try {
      expect(probe.tick(0)).toBe(Infinity);
      probe.start('work');
      probe.start('dns');
      expect(submitted).toEqual(['work@0', 'dns@0']);
      await settled(probe);
      clock = 25;
      expect(probe.tick(25)).toBe(75);
      expect(submitted).toHaveLength(2);
      // Due at 100: a tick a millisecond early takes it.
      clock = 99;
      expect(probe.tick(99)).toBe(101);
      expect(submitted).toEqual(['work@0', 'dns@0', 'work@99', 'dns@99']);
      expect(marks).toBe(3);
      // A queue whose task has not run yet gets no second one (its callback cannot have run before this thread's loop turns).
      clock = 200;
      probe.tick(200);
      expect(submitted).toHaveLength(4);
      await settled(probe);
      clock = 300;
      probe.tick(300);
      expect(submitted.slice(4)).toEqual(['work@300', 'dns@300']);
      await settled(probe);
      probe.stop();
      expect(probe.tick(400)).toBe(Infinity);
    } finally {
      closeSync(fd);
    }
  });
});
