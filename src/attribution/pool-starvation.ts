import type { PoolQueue, PoolWaitRecord, PoolWorkRecord } from '../recording/schema';
import { normalizeFrame } from './frames';
import type { StallPart, StallWindow } from './samples-to-stall';
import { causeKey } from './samples-to-stall';
import { NO_SOURCE, type SourceLines } from './source';
import { attributeStack } from './stack-to-call-site';

/** The tracked operation that runs in the pool's DNS queue. */
const DNS_LOOKUP = 'dns.lookup';

/** A stretch in which work submitted to libuv's threadpool waited longer than the threshold for a thread. */
export interface PoolEpisode extends StallWindow {
  queue: PoolQueue;
  /** The longest a probe task waited in it. */
  maxWaitMs: number;
  inProgressAtExit: boolean;
}

/**
 * Long probe waits of one queue one after the other are one episode: the watchdog
 * submits its next task shortly after the previous one ran, so waits less than `gapMs`
 * apart belong together. When every thread is busy, lookups wait too: a `dns` episode
 * that overlaps a `work` episode is the same starvation of the whole pool, and is
 * merged into it.
 *
 * An episode begins when its first long wait's task was submitted, or earlier: the
 * queue filled up somewhere between the previous task's run (`after`) and then. When
 * the tracked work in flight fills the queue's threads, it filled when the last of
 * them was submitted.
 */
export function poolEpisodes(waits: PoolWaitRecord[], gapMs: number, work: PoolWorkRecord[] = [], size = 4): PoolEpisode[] {
  const byQueue = queueEpisodes(waits, gapMs, work, size);
  const whole = byQueue.filter((e) => e.queue === 'work');
  const dnsOnly: PoolEpisode[] = [];
  for (const episode of byQueue.filter((e) => e.queue === 'dns')) {
    const overlapping = whole.find((w) => w.start < episode.end && episode.start < w.end);
    if (overlapping) absorb(overlapping, episode);
    else dnsOnly.push(episode);
  }
  // A merged DNS episode may now reach the next work episode: they are one.
  const merged: PoolEpisode[] = [];
  for (const episode of whole.sort((a, b) => a.start - b.start)) {
    const last = merged.at(-1);
    if (last && episode.start < last.end) absorb(last, episode);
    else merged.push(episode);
  }
  return [...merged, ...dnsOnly].sort((a, b) => a.start - b.start);
}

function absorb(into: PoolEpisode, other: PoolEpisode): void {
  into.start = Math.min(into.start, other.start);
  into.end = Math.max(into.end, other.end);
  into.maxWaitMs = Math.max(into.maxWaitMs, other.maxWaitMs);
  into.inProgressAtExit ||= other.inProgressAtExit;
}

/** libuv runs at most (threads + 1) / 2 DNS lookups at once. */
function threadsOf(queue: PoolQueue, size: number): number {
  return queue === 'dns' ? Math.floor((size + 1) / 2) : size;
}

function onset(wait: PoolWaitRecord, work: PoolWorkRecord[], size: number): number {
  const threads = threadsOf(wait.queue, size);
  const starts = work
    .filter((w) => (wait.queue !== 'dns' || w.operation === DNS_LOOKUP) && w.start <= wait.start && w.end > wait.start)
    .map((w) => w.start)
    .sort((a, b) => a - b);
  if (starts.length < threads) return wait.start;
  return Math.min(wait.start, Math.max(wait.after ?? -Infinity, starts[threads - 1]!));
}

function queueEpisodes(waits: PoolWaitRecord[], gapMs: number, work: PoolWorkRecord[], size: number): PoolEpisode[] {
  const episodes: PoolEpisode[] = [];
  for (const wait of [...waits].sort((a, b) => a.start - b.start)) {
    const last = episodes.filter((e) => e.queue === wait.queue).at(-1);
    const waitMs = wait.end - wait.start;
    if (last && wait.start <= last.end + gapMs) {
      last.end = Math.max(last.end, wait.end);
      last.maxWaitMs = Math.max(last.maxWaitMs, waitMs);
      last.inProgressAtExit ||= wait.inProgressAtExit;
    } else {
      const start = onset(wait, work, size);
      episodes.push({ queue: wait.queue, start, end: wait.end, maxWaitMs: waitMs, inProgressAtExit: wait.inProgressAtExit });
    }
  }
  return episodes.sort((a, b) => a.start - b.start);
}

/**
 * What occupied the pool during an episode: the tracked work in flight at the time
 * (dns.lookup alone when only the DNS queue was starved), grouped by call site and
 * operation. A group's duration is the
 * time within the episode during which at least one of its calls was in flight; its
 * `detail` names up to three targets (the host names looked up). Work loopwatch does not
 * track (async fs, native addons) leaves the episode with an unknown cause.
 */
export function poolEpisodeParts(episode: PoolEpisode, work: PoolWorkRecord[], source: SourceLines = NO_SOURCE): StallPart[] {
  const groups = new Map<string, { part: StallPart; spans: Array<[number, number]>; targets: Set<string> }>();
  for (const w of work) {
    if (episode.queue === 'dns' && w.operation !== DNS_LOOKUP) continue;
    const from = Math.max(w.start, episode.start);
    const to = Math.min(w.end, episode.end);
    if (to <= from) continue;
    const stack = w.frames.map(normalizeFrame);
    const { callSite } = attributeStack(stack, source);
    const part: StallPart = { callSite, operation: w.operation, category: 'threadpool', durationMs: 0, samples: 0, stack, calls: 0 };
    const key = causeKey(part);
    const group = groups.get(key) ?? { part, spans: [], targets: new Set<string>() };
    group.part.calls! += 1;
    group.spans.push([from, to]);
    if (w.target !== undefined) group.targets.add(w.target);
    groups.set(key, group);
  }
  if (groups.size === 0) {
    const untracked: StallPart = {
      callSite: null,
      operation: 'untracked threadpool work',
      category: 'threadpool',
      durationMs: episode.end - episode.start,
      samples: 0,
      stack: [],
    };
    return [untracked];
  }
  // The work that held the pool most comes first: most call-time in flight, summed over
  // its calls (a lookup that only waited behind the others counts its one call).
  return [...groups.values()]
    .sort((a, b) => sumLength(b.spans) - sumLength(a.spans))
    .map(({ part, spans, targets }) => {
      part.durationMs = unionLength(spans);
      if (targets.size > 0) part.detail = [...targets].slice(0, 3).join(', ') + (targets.size > 3 ? ', ...' : '');
      return part;
    });
}

function sumLength(spans: Array<[number, number]>): number {
  return spans.reduce((sum, [from, to]) => sum + to - from, 0);
}

function unionLength(spans: Array<[number, number]>): number {
  let total = 0;
  let reach = -Infinity;
  for (const [from, to] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (to <= reach) continue;
    total += to - Math.max(from, reach);
    reach = to;
  }
  return total;
}
