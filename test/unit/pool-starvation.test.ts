import { describe, expect, it } from 'vitest';
import { poolEpisodeParts, poolEpisodes, type PoolEpisode } from '../../src/attribution/pool-starvation';
import type { PoolQueue, PoolWaitRecord, PoolWorkRecord, RecordedFrame } from '../../src/recording/schema';

function wait(queue: PoolQueue, start: number, end: number, inProgressAtExit = false): PoolWaitRecord {
  return { type: 'poolWait', queue, start, after: null, end, inProgressAtExit };
}

function episode(queue: PoolQueue, start: number, end: number): PoolEpisode {
  return { queue, start, end, maxWaitMs: end - start, inProgressAtExit: false };
}

function site(line: number, fn: string | null = 'fetchAll', file = '/app/api.js'): RecordedFrame {
  return { file, line, column: 7, function: fn };
}

/** Frames as the agent records them for a tracked call: Node's internals above the program's call site. */
function work(operation: string, start: number, end: number, caller: RecordedFrame, target?: string): PoolWorkRecord {
  const record: PoolWorkRecord = {
    type: 'poolWork',
    operation,
    category: operation.split('.')[0]!,
    start,
    end,
    inProgressAtExit: false,
    frames: [{ file: 'node:_http_client', line: 200, column: 3, function: 'ClientRequest' }, caller, { file: 'node:internal/timers', line: 581, column: 17, function: 'listOnTimeout' }],
  };
  if (target !== undefined) record.target = target;
  return record;
}

describe('poolEpisodes', () => {
  it('merges consecutive long waits of a queue less than gapMs apart into one episode', () => {
    const episodes = poolEpisodes([wait('work', 1000, 1100), wait('work', 1120, 1300), wait('work', 1340, 1400)], 50);
    expect(episodes).toEqual([{ queue: 'work', start: 1000, end: 1400, maxWaitMs: 180, inProgressAtExit: false }]);
  });

  it('merges a wait that starts exactly gapMs after the previous one ended', () => {
    const episodes = poolEpisodes([wait('work', 1000, 1100), wait('work', 1150, 1200)], 50);
    expect(episodes).toHaveLength(1);
  });

  it('keeps waits further apart than gapMs as separate episodes', () => {
    const episodes = poolEpisodes([wait('work', 1000, 1100), wait('work', 1151, 1250)], 50);
    expect(episodes.map((e) => [e.start, e.end, e.maxWaitMs])).toEqual([
      [1000, 1100, 100],
      [1151, 1250, 99],
    ]);
  });

  it('sorts waits by start before merging', () => {
    const episodes = poolEpisodes([wait('work', 1120, 1300), wait('work', 1000, 1100)], 50);
    expect(episodes).toHaveLength(1);
    expect(episodes[0]!.start).toBe(1000);
    expect(episodes[0]!.end).toBe(1300);
  });

  it('carries inProgressAtExit from any wait of the episode', () => {
    const episodes = poolEpisodes([wait('work', 1000, 1100), wait('work', 1120, 1500, true)], 50);
    expect(episodes[0]!.inProgressAtExit).toBe(true);
  });

  it('does not merge waits of different queues that do not overlap', () => {
    const episodes = poolEpisodes([wait('work', 1000, 1100), wait('dns', 1120, 1200)], 50);
    expect(episodes.map((e) => [e.queue, e.start, e.end])).toEqual([
      ['work', 1000, 1100],
      ['dns', 1120, 1200],
    ]);
  });

  it('merges a dns episode that overlaps a work episode into it: the whole pool was full', () => {
    const episodes = poolEpisodes([wait('work', 1000, 1200), wait('dns', 900, 1150, true)], 50);
    expect(episodes).toEqual([{ queue: 'work', start: 900, end: 1200, maxWaitMs: 250, inProgressAtExit: true }]);
  });

  it('a dns episode overlapping two work episodes leaves no two episodes overlapping', () => {
    const episodes = poolEpisodes([wait('work', 1000, 1100), wait('work', 1300, 1400), wait('dns', 1050, 1350)], 50);
    for (let i = 1; i < episodes.length; i++) expect(episodes[i]!.start).toBeGreaterThanOrEqual(episodes[i - 1]!.end);
  });

  it('keeps a dns episode alone as a dns episode', () => {
    const episodes = poolEpisodes([wait('dns', 1000, 1300), wait('dns', 1320, 1400)], 50);
    expect(episodes).toEqual([{ queue: 'dns', start: 1000, end: 1400, maxWaitMs: 300, inProgressAtExit: false }]);
  });

  it('lists episodes by start, dns and work mixed', () => {
    const episodes = poolEpisodes([wait('work', 5000, 5100), wait('dns', 1000, 1300)], 50);
    expect(episodes.map((e) => e.queue)).toEqual(['dns', 'work']);
  });

  it('no waits, no episodes', () => {
    expect(poolEpisodes([], 50)).toEqual([]);
  });

  it('does not change the wait records it is given', () => {
    const waits = [wait('work', 1000, 1100), wait('work', 1120, 1300)];
    const copy = structuredClone(waits);
    poolEpisodes(waits, 50);
    expect(waits).toEqual(copy);
  });
});

describe('poolEpisodeParts', () => {
  it('groups work by call site and operation, counting its calls', () => {
    const parts = poolEpisodeParts(episode('work', 1000, 2000), [
      work('crypto.pbkdf2', 900, 1500, site(10, 'hash')),
      work('crypto.pbkdf2', 950, 1600, site(10, 'hash')),
      work('crypto.pbkdf2', 1000, 1400, site(10, 'hash')),
    ]);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toMatchObject({ operation: 'crypto.pbkdf2', category: 'threadpool', calls: 3, samples: 0 });
    expect(parts[0]!.callSite).toEqual({ file: '/app/api.js', line: 10, column: 7, function: 'hash' });
  });

  it("keeps the work's stack, normalized", () => {
    const [part] = poolEpisodeParts(episode('work', 1000, 2000), [work('crypto.pbkdf2', 900, 1500, site(10, 'hash', 'file:///app/api.mjs'))]);
    expect(part!.stack).toHaveLength(3);
    expect(part!.callSite!.file).toBe('/app/api.mjs');
  });

  it('separates the same operation at different call sites, and different operations at one call site', () => {
    const parts = poolEpisodeParts(episode('work', 1000, 2000), [
      work('crypto.pbkdf2', 1000, 1500, site(10)),
      work('crypto.pbkdf2', 1000, 1500, site(20)),
      work('zlib.gzip', 1000, 1500, site(20)),
    ]);
    expect(parts).toHaveLength(3);
    expect(parts.every((p) => p.calls === 1)).toBe(true);
  });

  it("a group's duration is the union of its calls' time in flight within the episode", () => {
    // Clipped to 1000..2000: [1000,1300], [1200,1500], [1700,2000] → 500 + 300.
    const parts = poolEpisodeParts(episode('work', 1000, 2000), [
      work('crypto.pbkdf2', 800, 1300, site(10)),
      work('crypto.pbkdf2', 1200, 1500, site(10)),
      work('crypto.pbkdf2', 1700, 2500, site(10)),
    ]);
    expect(parts[0]!.durationMs).toBe(800);
  });

  it('a call inside another call of the group adds nothing to its duration', () => {
    const parts = poolEpisodeParts(episode('work', 1000, 2000), [
      work('crypto.pbkdf2', 1100, 1900, site(10)),
      work('crypto.pbkdf2', 1200, 1300, site(10)),
    ]);
    expect(parts[0]!.durationMs).toBe(800);
    expect(parts[0]!.calls).toBe(2);
  });

  it('leaves out work that was not in flight during the episode', () => {
    const parts = poolEpisodeParts(episode('work', 1000, 2000), [
      work('crypto.pbkdf2', 500, 1000, site(10)), // ended as the episode began
      work('crypto.pbkdf2', 2000, 2100, site(10)), // began as it ended
      work('zlib.gzip', 1500, 1600, site(30)),
    ]);
    expect(parts.map((p) => p.operation)).toEqual(['zlib.gzip']);
  });

  it('for a dns-only episode, counts only dns.lookup work', () => {
    const parts = poolEpisodeParts(episode('dns', 1000, 2000), [
      work('crypto.pbkdf2', 1000, 2000, site(10)),
      work('dns.lookup', 1100, 1900, site(31), 'slow.example'),
    ]);
    expect(parts.map((p) => p.operation)).toEqual(['dns.lookup']);
    expect(parts[0]!.durationMs).toBe(800);
  });

  it('for a work episode, counts dns.lookup work too', () => {
    const parts = poolEpisodeParts(episode('work', 1000, 2000), [
      work('crypto.pbkdf2', 1000, 1200, site(10)),
      work('dns.lookup', 1000, 2000, site(31), 'slow.example'),
    ]);
    expect(parts.map((p) => p.operation)).toEqual(['dns.lookup', 'crypto.pbkdf2']);
  });

  it('without tracked work, gives one untracked threadpool work part with the whole episode', () => {
    const parts = poolEpisodeParts(episode('work', 1000, 1750), []);
    expect(parts).toEqual([{ callSite: null, operation: 'untracked threadpool work', category: 'threadpool', durationMs: 750, samples: 0, stack: [] }]);
  });

  it('a dns-only episode with only non-dns work in flight is untracked threadpool work', () => {
    const parts = poolEpisodeParts(episode('dns', 1000, 2000), [work('crypto.pbkdf2', 1000, 2000, site(10))]);
    expect(parts.map((p) => p.operation)).toEqual(['untracked threadpool work']);
  });

  it('puts first the group with the most in-flight time summed over its calls, not the longest union', () => {
    // Line 10: one call over the whole episode (union 1000, sum 1000).
    // Line 20: four calls side by side over 600 ms (union 600, sum 2400).
    const parts = poolEpisodeParts(episode('work', 1000, 2000), [
      work('crypto.pbkdf2', 1000, 2000, site(10)),
      ...[0, 1, 2, 3].map(() => work('dns.lookup', 1400, 2000, site(20))),
    ]);
    expect(parts.map((p) => [p.callSite?.line, p.durationMs, p.calls])).toEqual([
      [20, 600, 4],
      [10, 1000, 1],
    ]);
  });

  it("detail names the group's targets", () => {
    const parts = poolEpisodeParts(episode('dns', 1000, 2000), [
      work('dns.lookup', 1000, 2000, site(31), 'a.example'),
      work('dns.lookup', 1000, 2000, site(31), 'b.example'),
      work('dns.lookup', 1000, 2000, site(31), 'a.example'),
    ]);
    expect(parts[0]!.detail).toBe('a.example, b.example');
    expect(parts[0]!.calls).toBe(3);
  });

  it('detail lists up to three targets, then says there were more', () => {
    const parts = poolEpisodeParts(
      episode('dns', 1000, 2000),
      ['a', 'b', 'c', 'd', 'e'].map((host) => work('dns.lookup', 1000, 2000, site(31), `${host}.example`)),
    );
    expect(parts[0]!.detail).toBe('a.example, b.example, c.example, ...');
  });

  it('exactly three targets are listed without an ellipsis', () => {
    const parts = poolEpisodeParts(
      episode('dns', 1000, 2000),
      ['a', 'b', 'c'].map((host) => work('dns.lookup', 1000, 2000, site(31), `${host}.example`)),
    );
    expect(parts[0]!.detail).toBe('a.example, b.example, c.example');
  });

  it('no detail when the work names no target', () => {
    const parts = poolEpisodeParts(episode('work', 1000, 2000), [work('crypto.pbkdf2', 1000, 2000, site(10))]);
    expect(parts[0]!.detail).toBeUndefined();
  });
});

describe('poolEpisodes: when the starvation began', () => {
  const wait = (start: number, end: number, after: number | null, queue: 'work' | 'dns' = 'work') =>
    ({ type: 'poolWait', queue, start, end, after, inProgressAtExit: false }) as const;
  const work = (start: number, end: number, operation = 'crypto.pbkdf2') =>
    ({ type: 'poolWork', operation, category: 'crypto', start, end, inProgressAtExit: false, frames: [] }) satisfies PoolWorkRecord;

  it('the tracked work in flight filled the threads when the last of them was submitted', () => {
    // Four threads; the fourth hash was submitted at 1030, the probe task at 1080.
    const pool = [work(1000, 1900), work(1010, 1900), work(1020, 1900), work(1030, 1900), work(1040, 2700)];
    const [episode] = poolEpisodes([wait(1080, 1900, 990)], 150, pool, 4);
    expect(episode!.start).toBe(1030);
    expect(episode!.end).toBe(1900);
  });

  it('never before the previous probe task ran: the queue had a free thread then', () => {
    const pool = [work(1000, 1900), work(1010, 1900), work(1020, 1900), work(1030, 1900)];
    expect(poolEpisodes([wait(1080, 1900, 1050)], 150, pool, 4)[0]!.start).toBe(1050);
  });

  it('when the tracked work does not fill the threads, from the probe task on', () => {
    const pool = [work(1000, 1900), work(1010, 1900)];
    expect(poolEpisodes([wait(1080, 1900, 990)], 150, pool, 4)[0]!.start).toBe(1080);
  });

  it('DNS lookups fill their queue with half the threads', () => {
    const lookups = [work(1000, 2500, 'dns.lookup'), work(1001, 2500, 'dns.lookup'), work(1002, 4000, 'dns.lookup')];
    expect(poolEpisodes([wait(1050, 4000, 990, 'dns')], 150, lookups, 4)[0]!.start).toBe(1001);
  });
});
