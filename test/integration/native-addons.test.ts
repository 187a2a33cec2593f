import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NativeAddonProbe } from '../../src/agent/probes/native';
import { SyncCallProbes } from '../../src/agent/probes/sync-calls';
import { originalOf, Replacements, type AnyFunction } from '../../src/agent/probes/wrap';
import { UNKNOWN_NATIVE_CALL } from '../../src/attribution/late-samples';
import type { SyncCallRecord } from '../../src/recording/schema';
import type { Stall } from '../../src/report/schema';
import { FIXTURES, readMarkers, ROOT, runCli, toleranceMs, type CliRun } from './run-cli';

/**
 * Native addons, for real: bcrypt's prebuilt N-API binary, and better-sqlite3, built for
 * the Node.js running the tests (test/support/build-better-sqlite3.js, about a minute the
 * first time on each Node.js major). Each fixture marks its blocking lines and measures
 * each call itself; the real CLI must find each at its line with the addon's operation,
 * timed exactly by the probe. With the probe off, the late sample that comes back after
 * each call must not give the call's time to the line that ran next.
 */

const FIXTURE_FILES = ['bcrypt-native.js', 'sqlite-query.js'];

/** What these tests use of better-sqlite3 (the package ships no types). */
interface SqliteStatement {
  get(...params: unknown[]): unknown;
  iterate(): Iterable<unknown>;
}
type SqliteDatabaseClass = (new (file: string) => { prepare(sql: string): SqliteStatement; close(): void }) & { SqliteError: new () => Error };

beforeAll(() => {
  const build = spawnSync(process.execPath, [join(ROOT, 'test', 'support', 'build-better-sqlite3.js')], { encoding: 'utf8', timeout: 10 * 60_000 });
  if (build.status !== 0) throw new Error(`better-sqlite3 could not be built for Node.js ${process.version}:\n${build.stderr}${build.error?.message ?? ''}`);
}, 10 * 60_000);

const runStalls = (run: CliRun): Stall[] => run.report!.stalls.filter((s) => s.kind === 'event-loop' && s.phase === 'run');

describe('calls into native addons are timed exactly, at the line that made them', () => {
  for (const fixture of FIXTURE_FILES) {
    it(fixture, () => {
      const run = runCli(['run', join('fixtures', fixture)]);
      expect(run.stderr).not.toContain('Waiting for the debugger');
      expect(run.status).toBe(0);
      const markers = readMarkers(join(FIXTURES, fixture));
      expect(markers.length).toBeGreaterThan(0);
      const stalls = runStalls(run);
      for (const marker of markers) {
        const [truth, ...moreTruths] = run.truth.filter((t) => t.label === marker.label);
        expect(truth, `fixture recorded #${marker.label}`).toBeDefined();
        expect(moreTruths).toEqual([]);
        const atMarker = stalls.flatMap((stall) =>
          stall.causes.filter((c) => c.callSite?.file === marker.file && c.callSite.line === marker.line && c.operation === marker.operation).map((cause) => ({ stall, cause })),
        );
        expect(atMarker, `stalls at ${fixture}:${marker.line} (#${marker.label})`).toHaveLength(1);
        const { stall, cause } = atMarker[0]!;
        // The long call is timed exactly. The line also makes short calls through the addon
        // (bcrypt's salt), one of which sampling may pick and time at the same line, and a
        // late sample's wait past the call's end joins the call's cause: then it counts 2
        // calls and is no longer all exact, its duration still the call's.
        expect(cause).toMatchObject({ category: marker.category });
        expect(cause.calls).toBeGreaterThanOrEqual(1);
        if (cause.samples === 0) expect(cause.exact).toBe(true);
        expect(stall.operation).toBe(marker.operation);
        expect(Math.abs(cause.durationMs - truth!.ms), `#${marker.label}: ${cause.durationMs} ms vs the fixture's ${truth!.ms} ms`).toBeLessThanOrEqual(
          toleranceMs(truth!.ms),
        );
        // The same call, in the sync I/O section, at the same line.
        // (Its count also has the short calls the line made through the addon, placed there by sampling.)
        const site = run.report!.syncIo.callSites.find((s) => s.callSite?.file === marker.file && s.callSite.line === marker.line);
        expect(site).toMatchObject({ operation: marker.operation, category: marker.category });
        expect(site!.count - (site!.sampled?.count ?? 0)).toBeGreaterThanOrEqual(1);
        expect(Math.abs(site!.maxMs - truth!.ms), `#${marker.label}: its longest call ${site!.maxMs} ms vs the fixture's ${truth!.ms} ms`).toBeLessThanOrEqual(toleranceMs(truth!.ms));
      }
      // Nothing else blocked once the program ran.
      expect(stalls).toHaveLength(markers.length);
      expect(run.stderr).toContain(`${markers[0]!.operation} (${markers[0]!.category})`);
    });
  }
});

describe('with the probes off (--no-sync-io), a late sample names no line for a native call', () => {
  for (const fixture of FIXTURE_FILES) {
    it(fixture, () => {
      const run = runCli(['run', '--no-sync-io', join('fixtures', fixture)]);
      expect(run.status).toBe(0);
      // Each marked call is one stall; the fixture recorded them in the order they ran.
      const stalls = runStalls(run).sort((a, b) => a.start - b.start);
      const truths = run.truth;
      expect(stalls).toHaveLength(readMarkers(join(FIXTURES, fixture)).length);
      expect(truths).toHaveLength(stalls.length);
      stalls.forEach((stall, i) => {
        const truth = truths[i]!;
        const [main, ...rest] = stall.causes;
        expect(main).toMatchObject({ callSite: null, operation: UNKNOWN_NATIVE_CALL, category: 'native' });
        expect(Math.abs(main!.durationMs - truth.ms), `#${truth.label}: ${main!.durationMs} ms vs the fixture's ${truth.ms} ms`).toBeLessThanOrEqual(
          toleranceMs(truth.ms),
        );
        // The JavaScript that ran after the call (the next line, the fixture's recorder)
        // keeps only the time it took itself (a few ms on a busy machine), never the call's.
        for (const cause of rest) {
          expect(cause.durationMs, `${cause.operation} at line ${cause.callSite?.line}`).toBeLessThan(Math.max(5, truth.ms / 10));
        }
      });
      expect(run.stderr).toContain('line not known: the native call had returned when the stack was sampled');
    });
  }
});

describe('better-sqlite3 loaded through the probe', () => {
  it('keeps working, and its classes keep their identity, while every call is timed; restore() puts it back', () => {
    const records: SyncCallRecord[] = [];
    const replacements = new Replacements();
    const probe = new NativeAddonProbe(replacements, new SyncCallProbes({ thresholdMs: 0, record: (make) => records.push(make()) }));
    expect(probe.install()).toBe(true);
    try {
      const load = createRequire(join(ROOT, 'package.json'));
      const Database = load('better-sqlite3') as SqliteDatabaseClass;
      const db = new Database(':memory:');
      // The file better-sqlite3 loaded (bindings found it where the build script put it): the same exports object.
      const bindingFile = join(ROOT, 'node_modules', 'better-sqlite3', 'lib', 'binding', `node-v${process.versions.modules}-${process.platform}-${process.arch}`, 'better_sqlite3.node');
      const binding = load(bindingFile) as Record<string, AnyFunction & { prototype: object }>;
      expect(probe.summaries()).toEqual([
        // Database: its constructor and 11 methods; Statement: 1 and 10; StatementIterator: 1 and 2
        // (its Symbol.iterator left); Backup: 1 and 2; setErrorConstructor.
        { name: 'better-sqlite3', file: bindingFile, wrapped: 30, left: { 'symbol key': 1 } },
      ]);
      const [cppdb] = Object.getOwnPropertySymbols(db);
      const nativeDb = (db as unknown as Record<symbol, object>)[cppdb!]!;
      const stmt = db.prepare('SELECT ? * 2 AS doubled');
      for (const [made, Class] of [[nativeDb, binding.Database!], [stmt, binding.Statement!]] as const) {
        expect(made).toBeInstanceOf(Class);
        expect(made).toBeInstanceOf(originalOf(Class));
        expect(made.constructor).toBe(Class);
        expect(Object.getPrototypeOf(made)).toBe(Class.prototype);
      }
      const run = binding.Statement!.prototype as Record<string, AnyFunction>;
      expect(run.get).not.toBe(originalOf(run.get!));
      expect([run.get!.name, run.get!.length]).toEqual([originalOf(run.get!).name, originalOf(run.get!).length]);
      expect(stmt.get(21)).toEqual({ doubled: 42 });
      expect([...db.prepare('SELECT 1 AS n UNION ALL SELECT 2').iterate()]).toEqual([{ n: 1 }, { n: 2 }]);
      // Errors are the addon's own, of the class better-sqlite3 gave it.
      expect(() => db.prepare('SELECT FROM nowhere')).toThrow(Database.SqliteError);
      const operations = records.map((r) => r.operation);
      expect(operations).toContain('better-sqlite3.Database');
      expect(operations).toContain('better-sqlite3.Statement.get');
      expect(operations).toContain('better-sqlite3.StatementIterator.next');
      expect(records.every((r) => r.addon === 'better-sqlite3' && r.category === 'fs')).toBe(true);
      db.close();
      replacements.restore();
      expect(originalOf(run.get!)).toBe(run.get);
      expect(Function.prototype.toString.call(run.get)).toMatch(/\[native code\]/);
      expect(binding.Statement!.prototype.constructor).toBe(binding.Statement);
    } finally {
      replacements.restore();
    }
  });
});
