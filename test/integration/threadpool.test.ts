import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stall } from '../../src/report/schema';
import { createResolverNamespace, resolverNamespaceUnavailable, type ResolverNamespace } from '../support/netns';
import { libuvNamesThreads } from '../../src/watchdog/pool-threads';
import { FIXTURES, readMarkers, runCli, toleranceMs, type CliRun, type Truth } from './run-cli';

/**
 * Threadpool starvation: work waiting for a libuv pool thread while the event loop is
 * idle. Each fixture times how long its own pool request waited; the real CLI must
 * report one starvation episode that long, caused by the work at the marked line.
 */

function threadpoolStalls(run: CliRun): Stall[] {
  return run.report!.stalls.filter((s) => s.kind === 'threadpool');
}

function expectEpisodeAtMarker(run: CliRun, fixture: string, calls: number): Stall {
  const [m] = readMarkers(join(FIXTURES, fixture));
  const waits = run.truth.filter((t) => t.label === 'pool-wait');
  expect(waits, 'fixture recorded #pool-wait').toHaveLength(1);
  const episodes = threadpoolStalls(run);
  expect(episodes, 'one starvation episode').toHaveLength(1);
  const episode = episodes[0]!;
  expect(episode).toMatchObject({ category: 'threadpool', operation: m!.operation });
  const cause = episode.causes[0]!;
  expect(cause.callSite).toMatchObject({ file: m!.file, line: m!.line });
  expect(cause).toMatchObject({ operation: m!.operation, category: 'threadpool', calls });
  // The fixture's request was submitted just after the burst: it waited as long as the
  // pool was starved. The probe's task came later and waited that much less: up to 100 ms
  // later on a free machine, more when the machine runs the watchdog thread late (172 ms
  // once in CI, on Node.js 24, with the test files' processes on both cores), so the
  // probe's own wait is only bounded by half the starvation from below.
  const waited = waits[0]!.ms;
  expect(Math.abs(episode.durationMs - waited), `starved ${episode.durationMs} vs ${waited}`).toBeLessThanOrEqual(toleranceMs(waited));
  expect(episode.maxQueueWaitMs!).toBeLessThanOrEqual(episode.durationMs + 1);
  expect(episode.maxQueueWaitMs!, `the probe's longest wait vs the fixture's ${waited} ms`).toBeGreaterThan(waited / 2);
  // The loop itself stayed free.
  expect(run.report!.stalls.filter((s) => s.kind === 'event-loop' && s.phase === 'run')).toEqual([]);
  return episode;
}

describe('threadpool starvation', () => {
  it('by async crypto.pbkdf2 calls filling the pool', () => {
    const run = runCli(['run', 'fixtures/threadpool-pbkdf2.js']);
    expect(run.status).toBe(0);
    const episode = expectEpisodeAtMarker(run, 'threadpool-pbkdf2.js', 8);
    expect(episode.queue).toBe('work');
    expect(run.report!.processes[0]!.threadpool!.size).toBe(4);
    expect(run.stderr).toContain('threadpool starved 1 time');
    expect(run.stderr).toContain('crypto.pbkdf2: 8 calls in flight');
  });

  it('by work loopwatch does not track (webcrypto), the first use of the pool: seen by the threads the pool adds', () => {
    const run = runCli(['run', 'fixtures/pool/untracked-work.js']);
    expect(run.status).toBe(0);
    const waits = run.truth.filter((t) => t.label === 'pool-wait');
    expect(waits, 'fixture recorded #pool-wait').toHaveLength(1);
    const episodes = threadpoolStalls(run);
    expect(episodes, 'one starvation episode').toHaveLength(1);
    const episode = episodes[0]!;
    expect(episode.queue).toBe('work');
    expect(episode.causes.map((c) => c.operation)).toEqual(['untracked threadpool work']);
    // No tracked work tells when the pool filled: the episode starts when the probe's
    // task was submitted, within a check (100 ms) of the pool's threads appearing.
    const waited = waits[0]!.ms;
    expect(episode.durationMs, `starved ${episode.durationMs} vs ${waited}`).toBeLessThanOrEqual(waited + toleranceMs(waited));
    expect(episode.durationMs, `starved ${episode.durationMs} vs ${waited}`).toBeGreaterThan(waited - 150);
  });

  it('a program that never uses the pool: loopwatch does not start it either', () => {
    const run = runCli(['run', 'fixtures/pool/never-used.js']);
    expect(run.status).toBe(0);
    const [seen] = run.truth.filter((t) => t.label === 'pool') as Array<Truth & { threadsAtStart: number; threadsAtEnd: number; libuvWorkers: number }>;
    expect(seen, 'fixture recorded #pool').toBeDefined();
    // Where libuv names its threads (1.50 and later), none of them is the pool's; before,
    // the program ends with the threads it began with (the watchdog's among them).
    if (libuvNamesThreads(process.versions.uv)) expect(seen!.libuvWorkers).toBe(0);
    else expect(seen!.threadsAtEnd).toBe(seen!.threadsAtStart);
    expect(run.report!.processes[0]!.threadpool!.queueWait).toEqual({ work: null, dns: null });
    // The stall it has was sampled: the watchdog ran, only its pool probes did not.
    expect(run.report!.stalls.filter((s) => s.kind === 'event-loop' && s.phase === 'run').map((s) => s.operation)).toEqual(['spin']);
  });

  it('never in a storm of short stalls at --threshold 1, with the pool idle', () => {
    // A 2 ms callback every 3 ms keeps the watchdog sampling all the time; the pool has
    // nothing to do after one fs.stat (so that it is probed). Each run of this once reported 3 to 8 starvation episodes.
    for (let i = 0; i < 2; i++) {
      const run = runCli(['run', '--threshold', '1', 'fixtures/storm-small.js']);
      expect(run.status).toBe(0);
      expect(run.truth.find((t) => t.label === 'callbacks')?.ms).toBeGreaterThan(100);
      expect(run.report!.stalls.filter((s) => s.kind === 'event-loop').length).toBeGreaterThan(50);
      // The pool was probed all along: the storm's tasks were timed, none of them starvation.
      expect(run.report!.processes[0]!.threadpool!.queueWait.work).not.toBeNull();
      expect(threadpoolStalls(run).map((e) => `${e.durationMs} ms: ${e.operation}`)).toEqual([]);
      expect(run.stderr).not.toContain('threadpool starved');
    }
  });

  const unavailable = resolverNamespaceUnavailable();
  describe.skipIf(unavailable !== undefined)(`by a slow DNS resolver${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
    let namespace: ResolverNamespace | undefined;
    beforeAll(async () => {
      namespace = await createResolverNamespace({ delayMs: 1500 });
    });
    afterAll(() => namespace?.close());

    it('dns.lookup behind http.get holds the pool DNS queue', () => {
      const run = runCli(['run', 'fixtures/threadpool-dns.js'], { wrap: (command) => namespace!.wrap(command) });
      expect(run.status).toBe(0);
      const episode = expectEpisodeAtMarker(run, 'threadpool-dns.js', 4);
      // Only lookups waited: libuv gives DNS at most half the threads, fs kept the rest.
      expect(episode.queue).toBe('dns');
      expect(episode.causes[0]!.detail).toMatch(/slow\d\.loopwatch\.test/);
      const fsWait = run.truth.find((t) => t.label === 'fs-wait')!;
      expect(fsWait.ms).toBeLessThan(run.report!.thresholdMs);
      expect(run.stderr).toContain('dns.lookup: 4 calls in flight');
    });
  });
});
