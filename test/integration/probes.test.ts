import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report, Stall, StallCause } from '../../src/report/schema';
import { FIXTURES, readMarkers, ROOT, runCli, toleranceMs, type CliRun, type Marker } from './run-cli';

/**
 * The precise instruments: sync API probes (exact durations, sync I/O below the stall
 * threshold, ES module named imports), module loading after startup, and GC pauses.
 * Each fixture measures its own blocking; the real CLI must agree.
 */

function marker(fixture: string): Marker {
  const [only] = readMarkers(join(FIXTURES, fixture));
  return only!;
}

function truthOf(run: CliRun, label: string) {
  const found = run.truth.filter((t) => t.label === label);
  expect(found, `fixture recorded #${label}`).toHaveLength(1);
  const truth = found[0]! as CliRun['truth'][number] & Record<string, unknown>;
  /** A further figure the fixture recorded for this label. */
  const figure = (key: string): number => {
    expect(typeof truth[key], `#${label} recorded ${key}`).toBe('number');
    return truth[key] as number;
  };
  return Object.assign(truth, { figure });
}

/**
 * The run-phase event-loop stalls with a cause at the marker's line, doing the marked
 * operation (the caller's own work around the call, on the same line, is another cause).
 */
function causesAt(run: CliRun, m: Marker): Array<{ stall: Stall; cause: StallCause }> {
  const atMarker = (c: StallCause) => c.callSite?.file === m.file && c.callSite.line === m.line && c.operation === m.operation;
  return run
    .report!.stalls.filter((s) => s.kind === 'event-loop' && s.phase === 'run')
    .flatMap((stall) => stall.causes.filter(atMarker).map((cause) => ({ stall, cause })));
}

describe('sync API probes', () => {
  it('give a probed call its exact duration and operation', () => {
    const m = marker('crypto-pbkdf2.js');
    const run = runCli(['run', 'fixtures/crypto-pbkdf2.js']);
    expect(run.status).toBe(0);
    const [found, ...more] = causesAt(run, m);
    expect(more).toHaveLength(0);
    expect(found!.cause).toMatchObject({ operation: 'crypto.pbkdf2Sync', category: 'crypto', exact: true, calls: 1 });
    // Both clocks time the same call, a few microseconds apart.
    expect(Math.abs(found!.cause.durationMs - truthOf(run, 'pbkdf2').ms)).toBeLessThan(1);
  });

  it('see calls made through ES module named imports', () => {
    const m = marker('esm-pbkdf2.mjs');
    const run = runCli(['run', 'fixtures/esm-pbkdf2.mjs']);
    const [found] = causesAt(run, m);
    expect(found!.cause).toMatchObject({ operation: 'crypto.pbkdf2Sync', exact: true });
    expect(Math.abs(found!.cause.durationMs - truthOf(run, 'pbkdf2').ms)).toBeLessThan(1);
  });

  it('name the dependency a sync call was made through', () => {
    // dns-sync resolves by running a child process synchronously.
    const m = marker('dns-sync.js');
    const run = runCli(['run', 'fixtures/dns-sync.js']);
    const [found] = causesAt(run, m);
    expect(found!.cause).toMatchObject({ operation: 'dns-sync.resolve', category: 'dns' });
    // Its sync calls were timed; the dependency's own JavaScript between them was sampled.
    expect(found!.cause.calls).toBeGreaterThanOrEqual(1);
    const truth = truthOf(run, 'resolve');
    expect(Math.abs(found!.cause.durationMs - truth.ms)).toBeLessThanOrEqual(toleranceMs(truth.ms));
  });

  it('list sync I/O after startup by call site, even below the stall threshold', () => {
    const m = marker('sync-io-handler.js');
    const run = runCli(['run', 'fixtures/sync-io-handler.js']);
    expect(run.status).toBe(0);
    const truth = truthOf(run, 'sync-read');
    expect(truth.figure('count')).toBe(200);
    const syncIo = run.report!.syncIo;
    expect(syncIo.thresholdMs).toBe(1);
    const site = syncIo.callSites.find((s) => s.callSite?.file === m.file && s.callSite.line === m.line);
    // Calls of 1 ms or more are listed at their line; the fixture counted its own. The row
    // also holds the shorter calls that sampling placed there (`sampled`), apart.
    expect(site).toMatchObject({ operation: 'fs.readFileSync', category: 'fs' });
    // The fixture's clock is around the probe's: a read it timed at just over 1 ms may be
    // just under for loopwatch, and counted with the short ones.
    const sampled = site!.sampled ?? { count: 0, totalMs: 0 };
    const slowCount = site!.count - sampled.count;
    expect(slowCount).toBeGreaterThanOrEqual(truth.figure('surelySlowCount'));
    expect(slowCount).toBeLessThanOrEqual(truth.figure('slowCount'));
    // Its total: the reads loopwatch had under 1 ms are up to 1.5 ms each in the fixture's,
    // whose clock also holds the probe's own work in each call (its clock reads, and the
    // caller's stack captured for a call over the threshold: 0.05 to 0.25 ms a call measured).
    const nearThreshold = truth.figure('slowCount') - slowCount;
    expect(Math.abs(site!.totalMs - sampled.totalMs - truth.figure('slowMs'))).toBeLessThanOrEqual(
      toleranceMs(truth.figure('slowMs')) + 1.5 * nearThreshold + 0.25 * slowCount,
    );
    // loopwatch's clock is inside the fixture's: its longest read is never longer than the
    // fixture's longest. The fixture's clock around a read also holds the probe's stack
    // capture for a call over the threshold, which a loaded machine can stretch: by 11 ms
    // once in CI (a pause outside the probe's window, a GC its allocation set off or the
    // host taking the CPU). Such a pause lengthens one read, so loopwatch's longest is at
    // least the fixture's second longest, within the same few ms.
    expect(site!.maxMs).toBeLessThanOrEqual(truth.figure('maxMs') + toleranceMs(truth.figure('maxMs')));
    expect(site!.maxMs).toBeGreaterThanOrEqual(truth.figure('secondMaxMs') - toleranceMs(truth.figure('secondMaxMs')) - 5);
    // The shorter ones are counted by operation.
    const below = syncIo.belowThreshold.find((b) => b.operation === 'fs.readFileSync');
    expect(below?.count ?? 0).toBe(truth.figure('count') - slowCount);
    expect(run.stderr).toMatch(/sync I\/O after startup: \d+ calls/);
    expect(run.stderr).toContain('fs.readFileSync: ');
  });

  it('names the line of sync calls far under the threshold, by sampling, with their count', () => {
    const m = marker('sync-io-small.js');
    const run = runCli(['run', 'fixtures/sync-io-small.js']);
    expect(run.status).toBe(0);
    const truth = truthOf(run, 'small-read');
    expect(truth.figure('count')).toBe(200);
    const site = run.report!.syncIo.callSites.find((s) => s.callSite?.file === m.file && s.callSite.line === m.line);
    // Every readFileSync after startup is this line's: sampling places them all here, and
    // every call is counted, so the count is exact.
    expect(site).toMatchObject({ operation: 'fs.readFileSync', category: 'fs', count: truth.figure('count') });
    // The fixture's clock is outside the probe's: what it saw under 1 ms was under 1 ms to loopwatch.
    expect(site!.sampled!.count).toBeGreaterThanOrEqual(truth.figure('count') - truth.figure('slowCount'));
    expect(site!.sampled!.samples).toBeGreaterThanOrEqual(1);
    expect(site!.estimated).toBe(true);
    expect(site!.totalMs).toBeGreaterThan(0);
    expect(site!.totalMs).toBeLessThanOrEqual(truth.ms);
    // No short call of it is left without a call site.
    const below = run.report!.syncIo.belowThreshold.find((b) => b.operation === 'fs.readFileSync');
    expect(below?.sampledCount).toBe(below?.count);
    expect(run.stderr).toContain(`fixtures/sync-io-small.js:${m.line}:`);
    expect(run.stderr).toContain('fs.readFileSync: about 200 calls, about ');
    expect(run.stderr).toMatch(/of which \d+ under 1 ms, placed here from \d+ sampled calls?/);
  });

  it('can be turned off with --no-sync-io: samples alone attribute the stall', () => {
    const m = marker('crypto-pbkdf2.js');
    const run = runCli(['run', '--no-sync-io', 'fixtures/crypto-pbkdf2.js']);
    const [found] = causesAt(run, m);
    expect(found!.cause.operation).toBe('crypto.pbkdf2Sync');
    expect(found!.cause.exact).toBeUndefined();
    expect(run.report!.syncIo).toEqual({ thresholdMs: null, callSites: [], belowThreshold: [], totals: { count: 0, totalMs: 0 } });
  });

  it('rejects a --sync-io-threshold that is not a number of milliseconds', () => {
    const run = runCli(['run', '--sync-io-threshold', 'soon', 'fixtures/quiet.js'], { json: false });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("loopwatch: --sync-io-threshold takes a positive number of milliseconds, not 'soon' [ERR_LOOPWATCH_USAGE]\n");
  });
});

describe('module loading after startup', () => {
  it('a lazy require() in a handler is a module stall naming the module', () => {
    const m = marker('lazy-require.js');
    const run = runCli(['run', 'fixtures/lazy-require.js']);
    expect(run.status).toBe(0);
    const [found, ...more] = causesAt(run, m);
    expect(more).toHaveLength(0);
    expect(found!.stall.category).toBe('module');
    expect(found!.cause).toMatchObject({ operation: 'require', category: 'module', detail: 'typescript', exact: true });
    const truth = truthOf(run, 'lazy-require');
    expect(Math.abs(found!.cause.durationMs - truth.ms)).toBeLessThanOrEqual(toleranceMs(truth.ms));
  });

  it('a dynamic import() is a module stall at the line that imported', () => {
    const m = marker('lazy-import.mjs');
    const run = runCli(['run', 'fixtures/lazy-import.mjs']);
    expect(run.status).toBe(0);
    const found = causesAt(run, m);
    const seen = run.report!.stalls.map((s) => `${s.kind} ${s.phase} ${Math.round(s.durationMs)} ms ${s.operation}`);
    expect(found, `stalls: ${seen.join('; ')}`).toHaveLength(1);
    expect(found[0]!.stall.category).toBe('module');
    expect(found[0]!.cause).toMatchObject({ operation: 'import', category: 'module' });
    expect(found[0]!.cause.detail).toMatch(/node_modules\/typescript\//);
    // The fixture times the whole `await import()`, which also waits for the file to
    // be read asynchronously, with the loop free: the blocked part is most of it, and
    // the import is what most of the stall was spent on.
    const truth = truthOf(run, 'lazy-import');
    const { stall, cause } = found[0]!;
    expect(stall.causes[0]).toBe(cause);
    expect(cause.durationMs).toBeLessThanOrEqual(truth.ms + toleranceMs(truth.ms));
    expect(cause.durationMs, `import ${cause.durationMs} ms of ${truth.ms}`).toBeGreaterThanOrEqual(0.8 * truth.ms);
  });
});

describe('garbage collection', () => {
  it('a stall that is a GC pause is category gc, with the kind of GC', () => {
    const m = marker('gc-pause.js');
    const run = runCli(['run', '--', process.execPath, '--expose-gc', 'fixtures/gc-pause.js']);
    expect(run.status).toBe(0);
    const truth = truthOf(run, 'gc');
    const [found, ...more] = causesAt(run, m);
    expect(more).toHaveLength(0);
    expect(found!.stall.category).toBe('gc');
    expect(found!.cause).toMatchObject({ operation: 'gc.major', category: 'gc', exact: true });
    const what = `pause ${truth.ms} ms, stall ${found!.stall.durationMs} ms from ${found!.stall.start}, gc() call ${truth.figure('callMs')} ms; causes ${JSON.stringify(found!.stall.causes.map((c) => [c.operation, c.durationMs, c.callSite?.line]))}; ${run.report!.stalls.length} stalls in the report`;
    expect(Math.abs(found!.cause.durationMs - truth.ms), what).toBeLessThanOrEqual(toleranceMs(truth.ms));
    // The gc() call is timed too (global.gc, under --expose-gc): the pause and the call's
    // rest together are the call, by the fixture's clock. The stall holds the call, and
    // the rest of that turn of the loop (the GC observers' callbacks, the fixture's own
    // among them), which the fixture's clock does not.
    const call = run.report!.stalls.flatMap((s) => s.causes).find((c) => c.operation === 'global.gc' && c.callSite?.line === m.line);
    const callMs = found!.cause.durationMs + (call?.durationMs ?? 0);
    expect(Math.abs(callMs - truth.figure('callMs')), what).toBeLessThanOrEqual(toleranceMs(truth.figure('callMs')));
    expect(found!.stall.durationMs, what).toBeGreaterThanOrEqual(truth.figure('callMs') - toleranceMs(truth.figure('callMs')));
    const report = run.report!;
    expect(report.totals.gcPauseMs).toBeGreaterThanOrEqual(truth.ms);
    expect(report.processes[0]!.gc!.byKind.major!.count).toBeGreaterThanOrEqual(1);
    expect(run.stderr).toMatch(/GC: \d+ pauses, .* in all, longest /);
  });
  it('the production mode observes GC once the loop is late: the same pause is gc.major, and the report says what it counted', () => {
    const m = marker('gc-pause.js');
    const dir = mkdtempSync(join(tmpdir(), 'loopwatch-gc-late-'));
    try {
      // loopwatch/register, no CLI: the cache built at startup makes the first beat late,
      // which connects the observer before the program's gc() 100 ms later.
      const truthFile = join(dir, 'truth.jsonl');
      mkdirSync(join(dir, 'rec'));
      const program = spawnSync(process.execPath, ['--require', join(ROOT, 'dist', 'agent', 'register.js'), '--expose-gc', 'fixtures/gc-pause.js'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, LOOPWATCH_RECORDING_DIR: join(dir, 'rec'), LOOPWATCH_OTEL: 'off', LOOPWATCH_FIXTURE_TRUTH: truthFile },
      });
      expect(program.status, program.stderr).toBe(0);
      const run = runCli(['report', join(dir, 'rec'), '--json', join(dir, 'report.json')], { json: false });
      expect(run.status, run.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
      const truth = readFileSync(truthFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { label: string; ms: number }).find((t) => t.label === 'gc')!;
      const found = causesAt({ ...run, report }, m);
      expect(found).toHaveLength(1);
      expect(found[0]!.cause).toMatchObject({ operation: 'gc.major', category: 'gc', exact: true });
      expect(Math.abs(found[0]!.cause.durationMs - truth.ms)).toBeLessThanOrEqual(toleranceMs(truth.ms));
      expect(report.warnings.some((w) => /GC pauses were observed only while the event loop was late/.test(w))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
