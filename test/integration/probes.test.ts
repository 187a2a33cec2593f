import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Stall, StallCause } from '../../src/report/schema';
import { FIXTURES, readMarkers, runCli, toleranceMs, type CliRun, type Marker } from './run-cli';

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
  return found[0]! as CliRun['truth'][number] & Record<string, number>;
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
    expect(truth.count).toBe(200);
    const syncIo = run.report!.syncIo;
    expect(syncIo.thresholdMs).toBe(1);
    const site = syncIo.callSites.find((s) => s.callSite?.file === m.file && s.callSite.line === m.line);
    // Calls of 1 ms or more are listed at their line; the fixture counted its own.
    expect(site).toMatchObject({ operation: 'fs.readFileSync', category: 'fs', count: truth.slowCount });
    expect(Math.abs(site!.totalMs - truth.slowMs)).toBeLessThanOrEqual(toleranceMs(truth.slowMs));
    expect(Math.abs(site!.maxMs - truth.maxMs)).toBeLessThanOrEqual(toleranceMs(truth.maxMs));
    // The shorter ones are counted by operation.
    const below = syncIo.belowThreshold.find((b) => b.operation === 'fs.readFileSync');
    expect(below?.count ?? 0).toBe(truth.count - truth.slowCount);
    expect(run.stderr).toMatch(/sync I\/O after startup: \d+ calls/);
    expect(run.stderr).toContain('fs.readFileSync: ');
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
    expect(run.stderr).toBe("loopwatch: --sync-io-threshold takes a positive number of milliseconds, not 'soon'\n");
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
    expect(Math.abs(found!.cause.durationMs - truth.ms)).toBeLessThanOrEqual(toleranceMs(truth.ms));
    // The stall is the whole gc() call; the pause is most of it.
    expect(Math.abs(found!.stall.durationMs - truth.callMs)).toBeLessThanOrEqual(toleranceMs(truth.callMs));
    const report = run.report!;
    expect(report.totals.gcPauseMs).toBeGreaterThanOrEqual(truth.ms);
    expect(report.processes[0]!.gc!.byKind.major!.count).toBeGreaterThanOrEqual(1);
    expect(run.stderr).toMatch(/GC: \d+ pauses, .* in all, longest /);
  });
});
