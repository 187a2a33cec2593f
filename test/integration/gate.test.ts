import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/schema';
import { FIXTURES, readMarkers, ROOT, runCli, type Marker } from './run-cli';

/**
 * The CI gate, as a user runs it: the real CLI on fixture programs and real test suites,
 * held to budgets given by flags and configuration files. Exit statuses: 3 when the
 * budget is broken, 4 when nothing was watched, 2 for a configuration error, and the
 * program's own when it failed.
 */
const work = mkdtempSync(join(tmpdir(), 'loopwatch-gate-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const APP = 'fixtures/gate-app.js';
const marker = (label: string, file = 'gate-app.js'): Marker => readMarkers(join(FIXTURES, file)).find((m) => m.label === label)!;

function writeConfig(name: string, config: unknown): string {
  const file = join(work, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

describe('loopwatch run with a budget', () => {
  it('breaks the build on a stall over --fail-on-stall, names its line and says how to allow it', () => {
    const run = runCli(['run', '--fail-on-stall', '100', APP]);
    expect(run.status).toBe(3);
    const hash = marker('hash');
    const verdict = run.report!.verdict!;
    expect(verdict).toMatchObject({ passed: false, source: '--fail-on-stall' });
    const [rule] = verdict.rules;
    expect(rule).toMatchObject({ rule: 'maxStallMs', passed: false });
    expect(rule!.offenders[0]).toMatchObject({ operation: 'crypto.pbkdf2Sync', callSite: { file: hash.file, line: hash.line } });
    expect(run.stderr).toContain('budget (--fail-on-stall): BROKEN, 1 of 1 rule broken');
    expect(run.stderr).toContain(`fixtures/gate-app.js:${hash.line}:`);
    expect(run.stderr).toContain('allow it: {"path":"fixtures/gate-app.js","operation":"crypto.pbkdf2Sync","reason":"TODO: say why this call may block"}');
    expect(run.stderr).toContain('loopwatch: the budget was broken: exit status 3');
  });

  it('holds when the stalls are within it, and exits 0', () => {
    const run = runCli(['run', '--fail-on-stall', '2000', '--max-total-blocked', '5000', APP]);
    expect(run.status).toBe(0);
    expect(run.report!.verdict!.passed).toBe(true);
    expect(run.stderr).toContain('budget (--fail-on-stall --max-total-blocked): held, 2 rules checked');
  });

  it("leaves the program's own failure as the exit status, budget or not", () => {
    const run = runCli(['run', '--fail-on-stall', '100', APP], { env: { GATE_EXIT: '5' } });
    expect(run.status).toBe(5);
    expect(run.report!.verdict!.passed).toBe(false);
  });

  it('passes with an allow entry that gives its reason, and the verdict says what it let pass', () => {
    const config = writeConfig('allow.json', {
      maxStallMs: 100,
      allow: [{ path: '**/gate-app.js', operation: 'crypto.pbkdf2Sync', reason: 'the fixture hashes on purpose' }],
    });
    const run = runCli(['run', '--config', config, APP]);
    expect(run.status).toBe(0);
    const verdict = run.report!.verdict!;
    expect(verdict.passed).toBe(true);
    expect(verdict.allowed).toHaveLength(1);
    expect(verdict.allowed[0]!.entry.reason).toBe('the fixture hashes on purpose');
    expect(run.stderr).toContain('(the fixture hashes on purpose)');
  });

  it('refuses a configuration with a mistake before running anything: exit 2, one line naming the file and key', () => {
    const config = writeConfig('typo.json', { maxStallMs: 100, allow: [{ path: 'src/**' }] });
    const run = runCli(['run', '--config', config, APP]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`loopwatch: ${config}: allow[0]: missing 'reason' (say why this call may block) [ERR_LOOPWATCH_CONFIG]\n`);
    expect(run.truth).toEqual([]);
    expect(run.report).toBeUndefined();
  });

  it('reads the budget from loopwatch.config.json in the working directory', () => {
    const project = mkdtempSync(join(work, 'project-'));
    writeFileSync(join(project, 'loopwatch.config.json'), JSON.stringify({ maxStallMs: 100 }));
    const run = runCli(['run', join(ROOT, APP)], { cwd: project });
    expect(run.status).toBe(3);
    expect(run.report!.verdict!.source).toBe('loopwatch.config.json');
  });
});

describe('nothing watched is never an all-clear', () => {
  it('a command that runs no Node.js exits 4 and says so', () => {
    const run = runCli(['run', '--fail-on-stall', '100', '--', 'sh', '-c', 'exit 0']);
    expect(run.status).toBe(4);
    expect(run.stderr).toContain('no Node.js process was watched');
    expect(run.stderr).toContain('[ERR_LOOPWATCH_NOTHING_WATCHED]');
    expect(run.stderr).not.toContain('no stalls');
  });

  it('a wrapper that clears the environment: exit 4, even without a budget', () => {
    const run = runCli(['run', '--', 'env', '-i', process.execPath, join(ROOT, APP)]);
    expect(run.status).toBe(4);
    expect(run.stderr).toContain('did not get NODE_OPTIONS');
  });

  it('but the command\'s own failure still wins', () => {
    const run = runCli(['run', '--', 'sh', '-c', 'exit 7']);
    expect(run.status).toBe(7);
    expect(run.stderr).toContain('no Node.js process was watched');
  });
});

describe('loopwatch check, baseline and diff on saved reports', () => {
  const before = join(work, 'before.json');
  const after = join(work, 'after.json');
  const baseline = join(work, 'loopwatch.baseline.json');

  it('check holds a saved report to a budget', () => {
    const saved = runCli(['run', APP]);
    expect(saved.status).toBe(0);
    writeFileSync(before, JSON.stringify(saved.report));
    expect(runCli(['check', before, '--fail-on-stall', '100']).status).toBe(3);
    const held = runCli(['check', before, '--fail-on-stall', '5000']);
    expect(held.status).toBe(0);
    // check writes to stdout: it runs no program.
    expect(held.stdout).toContain('budget (--fail-on-stall): held');
  });

  it('check without a budget, or on what is not a report, is a usage error', () => {
    const none = runCli(['check', before], { cwd: work });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no budget to check against');
    const notReport = join(work, 'not-a-report.json');
    writeFileSync(notReport, '{"hello": 1}');
    const bad = runCli(['check', notReport, '--fail-on-stall', '10']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('not a loopwatch JSON report');
  });

  it('check on a report that watched no process exits 4', () => {
    const empty = join(work, 'empty.json');
    writeFileSync(empty, JSON.stringify({ ...(JSON.parse(readFileSync(before, 'utf8')) as Report), processes: [] }));
    const run = runCli(['check', empty, '--fail-on-stall', '10']);
    expect(run.status).toBe(4);
    expect(run.stderr).toContain('[ERR_LOOPWATCH_NOTHING_WATCHED]');
  });

  it('a baseline passes the call sites it knows, then fails on a new one, naming it', () => {
    const save = runCli(['baseline', 'save', before, '--out', baseline]);
    expect(save.status).toBe(0);
    expect(save.stderr).toMatch(/saved \d+ call sites? to /);
    const saved = JSON.parse(readFileSync(baseline, 'utf8')) as { callSites: Array<{ path: string; operation: string }> };
    expect(saved.callSites).toContainEqual(expect.objectContaining({ path: 'fixtures/gate-app.js', operation: 'crypto.pbkdf2Sync' }));

    // The call sites' identity is what this checks; their timing moves from run to run,
    // and a loaded machine can stretch module loading at startup into a stall of its own.
    const tolerant = writeConfig('tolerant.json', { startup: 'ignore', baseline: { file: baseline, tolerancePercent: 1000 } });
    const known = runCli(['run', '--config', tolerant, APP]);
    expect(known.stderr).toContain('budget (');
    expect(known.status).toBe(0);
    const added = runCli(['run', '--baseline', baseline, APP], { env: { GATE_EXTRA: '1' } });
    expect(added.status).toBe(3);
    writeFileSync(after, JSON.stringify(added.report));
    const rule = added.report!.verdict!.rules.find((r) => r.rule === 'baseline')!;
    const compact = marker('compact');
    // (A machine under load may add a stall of its own elsewhere, in module loading say.)
    const inApp = rule.offenders.filter((o) => o.callSite?.file === compact.file);
    expect(inApp.map((o) => [o.operation, o.callSite?.line, o.baseline?.status])).toEqual([['compact', compact.line, 'new']]);
  });

  it('diff says what is new between two reports', () => {
    const run = runCli(['diff', before, after]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^loopwatch diff: \d+ new, /);
    expect(run.stdout).toMatch(/^new:\n(.*\n)* {2}fixtures\/gate-app\.js:\d+ in compact compact \(stall\)/m);
    expect(run.stdout).toContain(`fixtures/gate-app.js:${marker('compact').line} in compact compact`);
  });
});

describe('CI-native output', () => {
  it('on GitHub Actions: error annotations on the blocking line, and a summary table', () => {
    const summary = join(work, 'step-summary.md');
    writeFileSync(summary, '');
    const run = runCli(['run', '--fail-on-stall', '100', APP], {
      env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: ROOT, GITHUB_STEP_SUMMARY: summary },
    });
    expect(run.status).toBe(3);
    const hash = marker('hash');
    const annotation = run.stderr.split('\n').find((l) => l.startsWith('::error '));
    expect(annotation).toMatch(new RegExp(`^::error file=fixtures/gate-app\\.js,line=${hash.line},col=\\d+,title=loopwatch%3A maxStallMs::crypto\\.pbkdf2Sync \\(crypto\\) blocked for `));
    expect(run.stderr).toContain('budget (--fail-on-stall): BROKEN');
    const markdown = readFileSync(summary, 'utf8');
    expect(markdown).toContain('### loopwatch: budget broken (1 of 1 rules)');
    expect(markdown).toContain('| `maxStallMs` no stall longer than 100 ms | **broken** |');
  });

  it.skipIf(spawnSync('xmllint', ['--version']).status !== 0)('a JUnit report that xmllint validates against the JUnit schema', () => {
    const junit = join(work, 'junit.xml');
    const run = runCli(['run', '--fail-on-stall', '100', '--reporter', 'text', '--reporter', `junit=${junit}`, APP]);
    expect(run.status).toBe(3);
    const lint = spawnSync('xmllint', ['--noout', '--schema', join(ROOT, 'test', 'support', 'junit.xsd'), junit], { encoding: 'utf8' });
    expect(lint.stderr).toContain('validates');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(`file="fixtures/gate-app.js" line="${marker('hash').line}"`);
    expect(xml).toContain('<failure message="no stall longer than 100 ms: crypto.pbkdf2Sync blocked for ');
  });

  it('--reporter replaces the text report; an unknown reporter is a usage error', () => {
    const markdown = join(work, 'report.md');
    const run = runCli(['run', '--reporter', `markdown=${markdown}`, APP]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(readFileSync(markdown, 'utf8')).toMatch(/^### loopwatch\n/);
    const bad = runCli(['run', '--reporter', 'xml', APP]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown reporter 'xml' (expected one of text, json, html, github, junit, markdown)");
  });

  it('an output that cannot be written is refused before the program runs', () => {
    const run = runCli(['run', '--reporter', 'junit=/proc/loopwatch.xml', APP]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/cannot write it .*\[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]/);
    expect(run.truth).toEqual([]);
    expect(existsSync('/proc/loopwatch.xml')).toBe(false);
  });
});

describe('whole test suites under the gate', () => {
  it('node --test: the test file\'s blocking line, in the test\'s own process', () => {
    // From the suite's directory, with no argument: Node.js 20 takes a directory after
    // --test, Node.js 24 only files and globs; all find the *.test.js files themselves.
    const run = runCli(['run', '--fail-on-stall', '100', '--', 'node', '--test'], { cwd: join(FIXTURES, 'suites', 'node-test') });
    expect(run.status).toBe(3);
    const hash = marker('node-test-hash', 'suites/node-test/hash.test.js');
    const report = run.report!;
    const offender = report.verdict!.rules[0]!.offenders.find((o) => o.callSite?.file === hash.file);
    expect(offender).toMatchObject({ operation: 'crypto.pbkdf2Sync', callSite: { line: hash.line } });
    const testProcess = report.processes.find((p) => p.pid === offender!.pids[0])!;
    expect(testProcess.argv.some((a) => a.endsWith('hash.test.js'))).toBe(true);
    // The runner's process and both test files' processes were watched.
    expect(report.processes.length).toBeGreaterThanOrEqual(3);
  });

  it('vitest run (forks pool): the test\'s line, in a forks worker', () => {
    const suite = join(FIXTURES, 'suites', 'vitest');
    const config = writeConfig('vitest.json', { maxStallMs: 100, processes: [{ argv: '**/npm/**', ignore: true }] });
    const run = runCli(['run', '--config', config, '--', 'npx', 'vitest', 'run', '--pool', 'forks'], { cwd: suite, timeoutMs: 60_000 });
    expect(run.status).toBe(3);
    const hash = marker('vitest-hash', 'suites/vitest/hash.test.js');
    const offenders = run.report!.verdict!.rules.find((r) => r.rule === 'maxStallMs')!.offenders;
    const offender = offenders.find((o) => o.operation === 'crypto.pbkdf2Sync');
    expect(offender?.callSite).toMatchObject({ file: hash.file, line: hash.line });
    const worker = run.report!.processes.find((p) => p.pid === offender!.pids[0])!;
    expect(worker.argv.some((a) => a.includes('forks'))).toBe(true);
  });

  it('vitest run --pool threads: the test\'s line, in a worker thread, and no stall made of terminated threads', () => {
    const suite = join(FIXTURES, 'suites', 'vitest');
    const config = writeConfig('vitest-threads.json', { maxStallMs: 100, processes: [{ argv: '**/npm/**', ignore: true }] });
    const run = runCli(['run', '--config', config, '--', 'npx', 'vitest', 'run', '--pool', 'threads'], { cwd: suite, timeoutMs: 60_000 });
    expect(run.status).toBe(3);
    const report = run.report!;
    const hash = marker('vitest-hash', 'suites/vitest/hash.test.js');
    const stall = report.stalls.find((s) => s.callSite?.file === hash.file && s.callSite.line === hash.line);
    expect(stall?.operation).toBe('crypto.pbkdf2Sync');
    const vitest = report.processes.find((p) => p.pid === stall!.pid)!;
    // The test ran in one of vitest's worker threads, each watched by an agent of its own.
    expect(stall!.threadId).toBeGreaterThan(0);
    expect(vitest.threads.map((t) => t.threadId)).toContain(stall!.threadId);
    expect(vitest.unwatchedThreads).toEqual([]);
    // vitest ends its threads with worker.terminate(): their heartbeats stop without a
    // goodbye, which is the end of the thread, not a stall in it.
    expect(vitest.threads.every((t) => t.endedBy === 'terminated' || t.endedBy === 'exit')).toBe(true);
    expect(report.stalls.filter((s) => s.threadId > 0 && s.inProgressAtExit)).toEqual([]);
    expect(run.stderr).toMatch(/worker threads? watched/);
  });
});
