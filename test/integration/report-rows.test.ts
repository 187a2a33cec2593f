import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UNKNOWN_NATIVE_CALL } from '../../src/attribution/late-samples';
import type { Frame, Report } from '../../src/report/schema';
import { FIXTURES, ROOT, runCli, toleranceMs } from './run-cli';

/** The line of a fixture that carries `// row: <label>`. */
function rowLine(fixture: string, label: string): number {
  const index = readFileSync(join(FIXTURES, fixture), 'utf8').split('\n').findIndex((text) => text.includes(`// row: ${label}`));
  expect(index, `${fixture} marks // row: ${label}`).toBeGreaterThanOrEqual(0);
  return index + 1;
}

describe('one line, one row', () => {
  it('a line that computes and then makes a probed call is one call site, its time split inside', () => {
    const run = runCli(['run', 'fixtures/one-line.js']);
    expect(run.status).toBe(0);
    const line = rowLine('one-line.js', 'one-line');
    const file = join(FIXTURES, 'one-line.js');
    const [truth] = run.truth.filter((t) => t.label === 'one-line') as unknown as Array<{ ms: number; jsMs: number; hashMs: number }>;
    expect(truth).toBeDefined();
    const rows = run.report!.callSites.filter((site) => site.callSite?.file === file && site.callSite.line === line);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    // A row is named after its largest part: the fixture makes that the hash.
    expect(truth!.hashMs, `the fixture's hash (${truth!.hashMs} ms) outlasts its own JavaScript (${truth!.jsMs} ms)`).toBeGreaterThan(truth!.jsMs);
    expect(row!.operation).toBe('crypto.pbkdf2Sync');
    // On a loaded machine the loop's first sample can be served 30 ms late or more, with no
    // sample before it: that wait is native code whose call is not known (README, "Late
    // samples never blame the next line"), no line's. It is the loop's time all the same.
    const stall = run.report!.stalls.find((s) => s.causes.some((c) => c.callSite?.file === file && c.callSite.line === line))!;
    const unplaced = stall.causes.filter((c) => c.operation === UNKNOWN_NATIVE_CALL).reduce((sum, c) => sum + c.durationMs, 0);
    expect(Math.abs(row!.totalMs + unplaced - truth!.ms), `row ${row!.totalMs} (+${unplaced}) vs truth ${truth!.ms}`).toBeLessThanOrEqual(toleranceMs(truth!.ms));
    const hash = row!.parts.find((p) => p.operation === 'crypto.pbkdf2Sync')!;
    const own = row!.parts.find((p) => p.operation === 'handle')!;
    expect(hash).toMatchObject({ category: 'crypto', exact: true });
    expect(Math.abs(hash.totalMs - truth!.hashMs), `hash ${hash.totalMs} vs truth ${truth!.hashMs}`).toBeLessThanOrEqual(toleranceMs(truth!.hashMs));
    expect(own.category).toBe('js');
    expect(Math.abs(own.totalMs + unplaced - truth!.jsMs), `own work ${own.totalMs} (+${unplaced}) vs truth ${truth!.jsMs}`).toBeLessThanOrEqual(toleranceMs(truth!.ms));
    // The text report lists the line once, with the split under it.
    expect(run.stderr.split(`fixtures/one-line.js:${line}:`)).toHaveLength(3); // the stall's row and the sync I/O row
    expect(run.stderr).toMatch(new RegExp(`crypto\\.pbkdf2Sync \\(crypto\\): 1 stall, .*\\n    split: crypto\\.pbkdf2Sync [\\d.]+ m?s, js [\\d.]+ ms\\n`));
  });
});

/** Every frame a report names: call sites, stacks of stalls and causes, sync I/O call sites. */
function framesOf(report: Report): Frame[] {
  const frames: Frame[] = [];
  for (const site of report.callSites) if (site.callSite) frames.push(site.callSite);
  for (const stall of report.stalls) {
    frames.push(...stall.stack);
    for (const cause of stall.causes) frames.push(...(cause.callSite ? [cause.callSite] : []), ...cause.stack);
  }
  for (const site of report.syncIo.callSites) frames.push(...(site.callSite ? [site.callSite] : []), ...site.stack);
  return frames;
}

describe("loopwatch's own code is never the program's", () => {
  // Another copy of loopwatch, as a project's tests load the loopwatch they test.
  const copy = mkdtempSync(join(tmpdir(), 'loopwatch-copy-'));
  cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it("another copy's recording writer: its frames and its writes are loopwatch's, the program's line is the one that called it", () => {
    const run = runCli(['run', 'fixtures/second-loopwatch.js', join(copy, 'dist')]);
    expect(run.status).toBe(0);
    const report = run.report!;
    const theirs = framesOf(report).filter((f) => f.file?.startsWith(copy) || f.generated?.file.startsWith(copy));
    expect(theirs).toEqual([]);
    // (The text names the copy only as the module the program's require loaded, there and in the startup lines.)
    expect(run.stderr.split('\n').filter((line) => line.includes(copy) && !/^(loaded|require) /.test(line.trim()))).toEqual([]);
    // The copy opened and wrote its file with Node's own functions: not timed as the
    // program's. The program's one fs.writeSync after startup is its truth record.
    // (Calls under the threshold are sampled into call sites too: the truth recorder's write is one.)
    const truthRecorder = join(FIXTURES, 'lib', 'truth.js');
    const writes = report.syncIo.callSites.filter((s) => s.operation === 'fs.writeSync' || s.operation === 'fs.openSync');
    expect(writes.filter((s) => s.callSite?.file !== truthRecorder)).toEqual([]);
    const below = (operation: string) => report.syncIo.belowThreshold.find((b) => b.operation === operation)?.count ?? 0;
    expect(below('fs.openSync')).toBe(0);
    expect(below('fs.writeSync')).toBeLessThanOrEqual(run.truth.length);
    // The stall is at the program's line that called the copy's writer.
    // (What it spent there, serializing or writing, depends on where the samples fell: JSON.stringify takes no interrupts.)
    const file = join(FIXTURES, 'second-loopwatch.js');
    rowLine('second-loopwatch.js', 'copy-write'); // the line that calls the copy's writer is marked
    const [truth] = run.truth.filter((t) => t.label === 'copy-write');
    expect(truth).toBeDefined();
    // Every call site of the stalls after startup is the program's: the line that called the
    // copy's writer, or its neighbours. (A sample served after JSON.stringify returned, late,
    // in the program's next line, is native code whose call is not known: no line at all.)
    const runSites = report.stalls.filter((s) => s.phase === 'run').flatMap((s) => s.causes.flatMap((c) => (c.callSite ? [c.callSite] : [])));
    expect(runSites.filter((site) => site.file !== file && site.file !== join(FIXTURES, 'lib', 'truth.js'))).toEqual([]);
    if (truth!.ms > 80) expect(report.stalls.filter((s) => s.phase === 'run' && s.durationMs >= truth!.ms - toleranceMs(truth!.ms))).toHaveLength(1);
  });
});

describe('names of operations in a dependency', () => {
  it("express's res.json() is named after what ran (ServerResponse.json), never express.json (the body parser)", () => {
    const run = runCli(['run', 'fixtures/express-json.js']);
    expect(run.status).toBe(0);
    const report = run.report!;
    const file = join(FIXTURES, 'express-json.js');
    const line = rowLine('express-json.js', 'res-json');
    const [truth] = run.truth.filter((t) => t.label === 'res-json');
    expect(truth).toBeDefined();
    const everyOperation = [...report.callSites.flatMap((s) => s.parts.map((p) => p.operation)), ...report.stalls.flatMap((s) => s.causes.map((c) => c.operation))];
    expect(everyOperation).not.toContain('express.json');
    expect(run.stderr).not.toContain('express.json');
    // ~100 ms of JSON.stringify on the development machine; a faster one may stay under the threshold.
    if (truth!.ms > 80) {
      const row = report.callSites.find((site) => site.callSite?.file === file && site.callSite.line === line);
      expect(row, `a call site at express-json.js:${line}`).toBeDefined();
      expect(row!.parts[0]).toMatchObject({ operation: 'express.ServerResponse.json', category: 'json' });
      // The handler's time by its own clock, and what express did before it in the same task (routing), no more than the stall.
      const stall = report.stalls.find((s) => s.causes.some((c) => c.callSite?.file === file && c.callSite.line === line))!;
      expect(row!.totalMs, `row ${row!.totalMs} vs truth ${truth!.ms}`).toBeGreaterThanOrEqual(truth!.ms - toleranceMs(truth!.ms));
      expect(row!.totalMs).toBeLessThanOrEqual(stall.durationMs + 0.01);
    }
  });
});

describe("long stalls in code that is not the program's", () => {
  it("a dependency's tool run as the main module: each long stall is one cause at its entry frame, its hottest functions below it", () => {
    const tool = join(FIXTURES, 'dep-stall', 'node_modules', 'busy-tool');
    const bin = join(tool, 'bin', 'busy-tool.js');
    const run = runCli(['run', bin]);
    expect(run.status).toBe(0);
    const report = run.report!;
    const stalls = report.stalls.filter((s) => s.kind === 'event-loop' && s.durationMs > 200);
    expect(stalls).toHaveLength(2);
    for (const [label, operation] of [
      ['dep-lint', 'busy-tool.lintFiles'],
      ['dep-compile', 'require'],
    ] as const) {
      const line = rowLine(join('dep-stall', 'node_modules', 'busy-tool', 'bin', 'busy-tool.js'), label);
      const [truth] = run.truth.filter((t) => t.label === label);
      expect(truth, `the tool recorded #${label}`).toBeDefined();
      const rows = report.callSites.filter((site) => site.callSite?.file === bin && site.callSite.line === line);
      expect(rows, `one row at busy-tool.js:${line}`).toHaveLength(1);
      const [row] = rows;
      expect(row!.operation).toBe(operation);
      expect(row!.count).toBe(1);
      // All of the step's time by its own clock is in that one row, and no more than its stall.
      const stall = stalls.find((s) => s.causes.some((c) => c.callSite?.file === bin && c.callSite.line === line))!;
      const causes = JSON.stringify(stall.causes.map((c) => [c.operation, c.callSite?.line, c.durationMs]));
      expect(row!.totalMs, `${label}: row ${row!.totalMs} vs truth ${truth!.ms}, stall ${stall.durationMs}: ${causes}`).toBeGreaterThanOrEqual(truth!.ms - toleranceMs(truth!.ms));
      expect(row!.totalMs).toBeLessThanOrEqual(stall.durationMs + 0.01);
      // Where its time went: the walker's functions, innermost in its samples.
      expect(row!.hottest?.length).toBeGreaterThan(0);
      for (const hot of row!.hottest!) expect(hot.file).toBe(join(tool, 'lib', 'walk.js'));
    }
    // No row for a function the samples happened to land in.
    expect(report.callSites.filter((site) => site.callSite?.file?.endsWith('walk.js'))).toEqual([]);
    expect(run.stderr).toMatch(/busy-tool\.lintFiles \(js\): 1 stall, .*\n( {4}split: .*\n)? {4}hottest: (visit|walk)/);
  });
});

describe('a real compiler: tsc', () => {
  it("tsc's compile of a small project (stacks deeper than the agent keeps) is one cause at tsc's entry, with its hottest functions", () => {
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = runCli(['run', '--', process.execPath, tsc, '-p', join(FIXTURES, 'tsc-small')], { timeoutMs: 120_000 });
    expect(run.status).toBe(0);
    const report = run.report!;
    // tsc compiles inside the require of its lib/tsc.js and ends with process.exit(): one long stall, cut by the exit.
    const [compile] = [...report.stalls].sort((a, b) => b.durationMs - a.durationMs);
    expect(compile!.inProgressAtExit).toBe(true);
    const row = report.callSites.find((site) => site.callSite?.file === tsc)!;
    expect(row, 'a row at typescript/bin/tsc').toBeDefined();
    expect(row.totalMs).toBeGreaterThanOrEqual(0.9 * compile!.durationMs);
    expect(row.hottest?.length).toBeGreaterThan(0);
    // No row for a function of the compiler the samples happened to be in.
    const inCompiler = report.callSites.filter((site) => site.callSite?.file?.endsWith('_tsc.js') && site.maxMs >= 5);
    expect(inCompiler).toEqual([]);
  });
});
