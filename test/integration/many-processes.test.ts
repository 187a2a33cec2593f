import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/schema';
import { FIXTURES, readMarkers, runCli, type CliRun } from './run-cli';

const work = mkdtempSync(join(tmpdir(), 'loopwatch-many-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm test of a suite of 14 files (node --test): a package manager, a test runner, 14 test workers', () => {
  const suite = join(FIXTURES, 'suites', 'many-processes');
  const [hash] = readMarkers(join(suite, 'hash.test.js'));
  let run: CliRun;
  let report: Report;
  let lines: string[];

  beforeAll(() => {
    // The tooling's startup left out of the budget by default; the tests' own stalls held to it.
    const config = join(work, 'budget.json');
    writeFileSync(config, JSON.stringify({ maxStallMs: 100 }));
    run = runCli(['run', '--config', config, '--', 'npm', 'test'], { cwd: suite, timeoutMs: 90_000 });
    report = run.report!;
    lines = run.stderr.split('\n');
    // 16 processes one after the other: some 5 s on a quiet machine, 15 s and more on a loaded one.
  }, 100_000);

  it('marks each process by role, and the command\'s own', () => {
    expect(run.status, run.stderr).toBe(3);
    expect(report.processes).toHaveLength(16);
    const npm = report.processes.filter((p) => p.role === 'package-manager');
    expect(npm).toHaveLength(1);
    expect(npm[0]!.firstProcess).toBe(true);
    expect(report.processes.filter((p) => p.firstProcess)).toHaveLength(1);
    const runner = report.processes.filter((p) => p.role === 'test-runner');
    expect(runner.map((p) => p.execArgv)).toEqual([['--test']]);
    const workers = report.processes.filter((p) => p.role === 'test-worker');
    expect(workers).toHaveLength(14);
    expect(workers.every((p) => p.ppid === runner[0]!.pid)).toBe(true);
  });

  it('leads with the call sites, the worst first, each naming its process', () => {
    const truth = run.truth.find((t) => t.label === 'many-hash')!;
    expect(lines[0]).toMatch(/^loopwatch: \d+ stalls? .*in \d+ of 16 processes, [\d.]+ m?s blocked( summed over \d+ processes)?, in a run of [\d.]+ m?s \(threshold 50 ms\)$/);
    // The call sites right after the headline, before any process's figures.
    expect(lines[1]).toBe('');
    expect(lines[2]).toMatch(/^ 1\. /);
    const at = lines.findIndex((l) => new RegExp(`^ ?\\d+\\. hash\\.test\\.js:${hash!.line}:\\d+$`).test(l));
    expect(at, run.stderr).toBeGreaterThan(1);
    expect(lines[at + 1]).toMatch(/^ {4}crypto\.pbkdf2Sync \(crypto\): 1 stall, /);
    // (Below the counts, a row may say what its time was split into, the host's share, then its process.)
    const named = lines.slice(at + 1, at + 7).find((l) => l.startsWith('    in '));
    expect(named).toBe(`    in pid ${truth.pid} (test worker): node hash.test.js`);
    // Worst first: each listed call site's total is no more than the one before.
    const seconds = (figure: string) => (figure.endsWith(' s') ? parseFloat(figure) * 1000 : parseFloat(figure));
    const totals = lines.flatMap((l) => /^ {4}\S.*: \d+ stalls?.*, ([\d.]+ m?s) total, /.exec(l) ?? []).filter((_, i) => i % 2 === 1).map(seconds);
    // The suite blocks on purpose at one line; more rows appear when a busy machine
    // stretches some process's loading (the order of many rows: test/unit/to-text.test.ts).
    expect(totals.length).toBeGreaterThan(0);
    expect(totals).toEqual([...totals].sort((x, y) => y - x));
    // Every listed call site names its process.
    const listed = lines.map((l, i) => [l, i] as const).filter(([l]) => /^ ?\d+\. /.test(l) && !l.includes('sync I/O'));
    for (const [, i] of listed.slice(0, totals.length)) expect(lines.slice(i + 1, i + 8).some((l) => /^ {4}in (pid \d+|\d+ processes, most in pid \d+)/.test(l))).toBe(true);
  });

  it('then one line per process, the ten most blocked, and a count of the rest', () => {
    const table = lines.indexOf('16 processes, the 10 most blocked:');
    expect(table).toBeGreaterThan(lines.findIndex((l) => l.startsWith(' 1. ')));
    expect(lines[table + 1]).toBe('  stalls  blocked  delay p99  busy  pid: command');
    const rows = lines.slice(table + 2, table + 12);
    expect(rows.every((row) => /^ +\d+ +(-|[\d.]+ m?s) +(-|[\d.]+ m?s) +(-|\d+%) {2}\d+( \([^)]*\))?: node /.test(row)), rows.join('\n')).toBe(true);
    expect(lines[table + 12]).toMatch(/^ {2}\.\.\. and 6 more processes: /);
    // The most blocked first (from the JSON report's stalls), and none left out that blocked more than one shown.
    const blocked = new Map<number, number>();
    for (const s of report.stalls) if (s.kind === 'event-loop') blocked.set(s.pid, (blocked.get(s.pid) ?? 0) + s.durationMs);
    const shown = rows.map((row) => Number(/ {2}(\d+)( \([^)]*\))?: node /.exec(row)![1]));
    const shownMs = shown.map((pid) => blocked.get(pid) ?? 0);
    expect(shownMs).toEqual([...shownMs].sort((x, y) => y - x));
    const hidden = report.processes.filter((p) => !shown.includes(p.pid)).map((p) => blocked.get(p.pid) ?? 0);
    expect(hidden.every((ms) => ms <= shownMs.at(-1)!)).toBe(true);
    const worker = report.processes.find((p) => p.argv.some((a) => a.endsWith('hash.test.js')))!;
    // Node.js 24's runner gives its workers every option at its default: counted, not listed.
    if (shown.includes(worker.pid)) expect(rows.find((row) => row.includes(` ${worker.pid} `))).toMatch(new RegExp(` ${worker.pid} \\(test worker\\): node (\\(\\d+ Node\\.js options\\) )?hash\\.test\\.js$`));
  });

  it('counts the tooling\'s startup without listing its call sites; the gate leaves it out by default', () => {
    const tooling = report.processes.filter((p) => p.role === 'package-manager' || p.role === 'test-runner').map((p) => p.pid);
    const startup = report.stalls.filter((s) => s.kind === 'event-loop' && s.phase === 'startup' && tooling.includes(s.pid));
    // npm and the runner loading themselves: over 50 ms on Node.js 20; on 22 and later their
    // compile cache can keep each piece under the threshold. Counted in one line when there.
    const toolingLine = lines.find((l) => l.includes("at the tooling's startup"));
    if (startup.length > 0) expect(toolingLine).toMatch(new RegExp(`^ {4}\\.\\.\\. and ${startup.length} stalls? at the tooling's startup \\(pid \\d+ `));
    else expect(toolingLine).toBeUndefined();
    // No call site of the tooling's startup is listed, unless it blocked elsewhere too.
    const where = (c: { callSite: { file: string | null; line: number | null; column: number | null } | null }) => (c.callSite ? `${c.callSite.file}:${c.callSite.line}:${c.callSite.column}` : null);
    const elsewhere = new Set(report.stalls.filter((s) => !startup.includes(s)).flatMap((s) => s.causes.map(where)));
    const onlyTooling = [...new Set(startup.flatMap((s) => s.causes.map(where)))].filter((w): w is string => w !== null && !elsewhere.has(w));
    const listed = lines.filter((l) => /^ ?\d+\. /.test(l));
    for (const site of onlyTooling) expect(listed.some((l) => l.includes(site)), site).toBe(false);
    const offenders = report.verdict!.rules.find((r) => r.rule === 'maxStallMs')!.offenders;
    expect(offenders.some((o) => o.callSite?.file === hash!.file && o.callSite.line === hash!.line)).toBe(true);
    expect(offenders.flatMap((o) => o.pids).some((pid) => startup.some((s) => s.pid === pid && s.durationMs > 100 && s.phase === 'startup'))).toBe(false);
    // The verdict says how many of them it left out (those its rules would have seen).
    const note = report.verdict!.notes.find((n) => n.includes("at the startup of npm or a test runner's main process left out"));
    const n = startup.filter((s) => s.durationMs > report.thresholdMs).length;
    if (n > 0) expect(note).toMatch(new RegExp(`^${n} stalls? at the startup`));
    else expect(note).toBeUndefined();
  });
});

describe('node --test of two files: the runner\'s command shows its Node.js options', () => {
  it('`node --test` is shown as it ran, and each test file\'s process by its file', () => {
    const run = runCli(['run', '--', 'node', '--test'], { cwd: join(FIXTURES, 'suites', 'node-test') });
    expect(run.status, run.stderr).toBe(0);
    const runner = run.report!.processes.find((p) => p.role === 'test-runner')!;
    expect(run.stderr).toMatch(new RegExp(`  ${runner.pid} \\(test runner, the command\\): node --test\\n`));
    expect(run.stderr).toMatch(/ \d+ \(test worker\): node (\(\d+ Node\.js options\) )?hash\.test\.js\n/);
    expect(run.stderr).toMatch(/ \d+ \(test worker\): node (\(\d+ Node\.js options\) )?quick\.test\.js\n/);
    // loopwatch's own preload is never shown as the program's option.
    expect(run.stderr).not.toContain('preload.js');
  });
});
