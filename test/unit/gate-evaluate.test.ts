import { describe, expect, it } from 'vitest';
import { BaselineIndex, baselineFromReport } from '../../src/gate/baseline';
import { REASON_PLACEHOLDER, type GateConfig } from '../../src/gate/config';
import { evaluate } from '../../src/gate/evaluate';
import type { RuleResult, Verdict } from '../../src/gate/verdict';
import type { Report } from '../../src/report/schema';
import { caught } from './caught';
import { cause, frame, processSummary, report, ROOT, stall, syncSite } from './reports';

function gate(r: Report, config: GateConfig, baseline?: BaselineIndex): Verdict {
  return evaluate(r, { config, source: 'test', root: ROOT, ...(baseline ? { baseline } : {}) });
}

function rule(verdict: Verdict, name: string): RuleResult {
  const found = verdict.rules.find((r) => r.rule === name);
  expect(found, `rule ${name} in ${verdict.rules.map((r) => r.rule).join(', ')}`).toBeDefined();
  return found!;
}

const HASH = frame('src/auth.js', 14, 'hash');
const PARSE = frame('src/load.js', 30, 'load');
const LIB = frame('/proj/node_modules/bcryptjs/dist/bcrypt.js', 100, 'hashSync');

describe('maxStallMs', () => {
  // A 160 ms stall: 150 ms of pbkdf2Sync and a 4 ms edge; a 60 ms stall of JSON.parse.
  const r = report({
    stalls: [
      stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 156, { exact: true }), cause(PARSE, 'load', 'js', 4)]),
      stall(100, [cause(PARSE, 'JSON.parse', 'json', 60)]),
    ],
  });

  it('breaks on a longer stall and names what it spent its time on, not its edges', () => {
    const verdict = gate(r, { maxStallMs: 100 });
    expect(verdict.passed).toBe(false);
    const result = rule(verdict, 'maxStallMs');
    expect(result).toMatchObject({ passed: false, description: 'no stall longer than 100 ms', summary: '1 stall longer than 100 ms, the longest 160 ms' });
    expect(result.offenders).toHaveLength(1);
    expect(result.offenders[0]).toMatchObject({ kind: 'stall', operation: 'crypto.pbkdf2Sync', category: 'crypto', pids: [100], count: 1, maxMs: 156 });
    expect(result.offenders[0]!.callSite).toEqual(HASH);
  });

  it('suggests the allow entry that matches just that call site, with the reason left to write', () => {
    const [offender] = rule(gate(r, { maxStallMs: 100 }), 'maxStallMs').offenders;
    expect(offender!.suggestedAllow).toEqual({ path: 'src/auth.js', function: 'hash', operation: 'crypto.pbkdf2Sync', reason: REASON_PLACEHOLDER });
    // The suggestion, once it has a reason, lets the call site pass.
    const allow = [{ ...offender!.suggestedAllow!, reason: 'hashing is the point of this route' }];
    expect(gate(r, { maxStallMs: 100, allow }).passed).toBe(true);
  });

  it('holds when every stall is within it, and says what the longest was', () => {
    const verdict = gate(r, { maxStallMs: 200 });
    expect(verdict.passed).toBe(true);
    expect(rule(verdict, 'maxStallMs')).toMatchObject({ passed: true, summary: 'the longest stall was 160 ms', offenders: [] });
  });

  it('an allow entry takes its call site\'s time out of the stall, and the rest still counts', () => {
    const twoCauses = report({ stalls: [stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 90), cause(PARSE, 'JSON.parse', 'json', 80)])] });
    const allowHash = { allow: [{ operation: 'crypto.*', reason: 'hashing' }] };
    expect(gate(twoCauses, { maxStallMs: 100, ...allowHash }).passed).toBe(true);
    const verdict = gate(twoCauses, { maxStallMs: 50, ...allowHash });
    expect(rule(verdict, 'maxStallMs').offenders.map((o) => o.operation)).toEqual(['JSON.parse']);
    expect(verdict.allowed).toEqual([{ entry: allowHash.allow[0], matches: 1, totalMs: 90 }]);
  });

  it('allow entries match by path glob (relative to the root), function, operation and category', () => {
    const pass = (allow: GateConfig['allow']) => gate(r, { maxStallMs: 100, allow }).passed;
    expect(pass([{ path: 'src/**', reason: 'x' }])).toBe(true);
    expect(pass([{ path: 'auth.js', reason: 'x' }])).toBe(true);
    expect(pass([{ path: 'test/**', reason: 'x' }])).toBe(false);
    expect(pass([{ function: 'hash', reason: 'x' }])).toBe(true);
    expect(pass([{ function: 'has', reason: 'x' }])).toBe(false);
    expect(pass([{ category: 'crypto', reason: 'x' }])).toBe(true);
    expect(pass([{ category: 'crypto', path: 'lib/**', reason: 'x' }])).toBe(false);
  });

  it("a dependency's call site is matched by its path from node_modules on, however it was installed", () => {
    const dep = report({ stalls: [stall(100, [cause(LIB, 'bcryptjs.hashSync', 'crypto', 200)])] });
    const [offender] = rule(gate(dep, { maxStallMs: 100 }), 'maxStallMs').offenders;
    expect(offender!.suggestedAllow!.path).toBe('node_modules/bcryptjs/dist/bcrypt.js');
    expect(gate(dep, { maxStallMs: 100, allow: [{ path: 'node_modules/bcryptjs/**', reason: 'x' }] }).passed).toBe(true);
  });

  it('escapes glob characters in the suggested entry, so that it matches only that file', () => {
    const odd = frame('src/[id]/page (1).js', 3, 'get*');
    const r2 = report({ stalls: [stall(100, [cause(odd, 'fs.readFileSync', 'fs', 200)])] });
    const [offender] = rule(gate(r2, { maxStallMs: 100 }), 'maxStallMs').offenders;
    expect(offender!.suggestedAllow).toMatchObject({ path: 'src/\\[id\\]/page \\(1\\).js', function: 'get\\*' });
    expect(gate(r2, { maxStallMs: 100, allow: [{ ...offender!.suggestedAllow!, reason: 'x' }] }).passed).toBe(true);
  });
});

describe('maxTotalBlockedMs', () => {
  it('adds up the stalls of every process it applies to, and says so', () => {
    const r = report({
      processes: [processSummary(100), processSummary(200)],
      stalls: [stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 300)]), stall(200, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 300)])],
    });
    const result = rule(gate(r, { maxTotalBlockedMs: 500 }), 'maxTotalBlockedMs');
    expect(result).toMatchObject({ passed: false, summary: 'stalls blocked for 600 ms (summed over 2 processes)' });
    expect(result.offenders).toHaveLength(1);
    expect(result.offenders[0]).toMatchObject({ pids: [100, 200], count: 2, totalMs: 600 });
    expect(gate(r, { maxTotalBlockedMs: 600 }).passed).toBe(true);
  });
});

describe('startup', () => {
  const r = report({
    stalls: [stall(100, [cause(frame('src/main.js', 1), 'require', 'module', 400)], { phase: 'startup' }), stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 80)])],
  });

  it('counts stalls before the first turn of the loop with the rest when not given', () => {
    expect(rule(gate(r, { maxStallMs: 100 }), 'maxStallMs').offenders.map((o) => o.operation)).toEqual(['require']);
  });

  it('"ignore" leaves them out, and the verdict says how many', () => {
    const verdict = gate(r, { maxStallMs: 100, startup: 'ignore' });
    expect(verdict.passed).toBe(true);
    expect(verdict.notes).toContain('1 stall at startup left out ("startup": "ignore")');
  });

  it("does not count loopwatch's own setup against the program, and says how much it left out", () => {
    const own = report({
      stalls: [stall(100, [cause(null, 'loopwatch setup', 'js', 60), cause(frame('src/main.js', 1), 'main module', 'js', 70)], { phase: 'startup' })],
    });
    const verdict = gate(own, { maxStallMs: 100 });
    expect(rule(verdict, 'maxStallMs')).toMatchObject({ passed: true });
    expect(verdict.notes).toContain("60 ms of the startup stalls was loopwatch's own setup: not counted");
    expect(gate(own, { maxStallMs: 60 }).passed).toBe(false);
  });

  it('a budget of its own checks them apart', () => {
    const verdict = gate(r, { maxStallMs: 50, startup: { maxStallMs: 500 } });
    expect(rule(verdict, 'startup.maxStallMs')).toMatchObject({ passed: true, summary: 'the longest stall at startup was 400 ms' });
    expect(rule(verdict, 'maxStallMs').offenders.map((o) => o.operation)).toEqual(['crypto.pbkdf2Sync']);
  });
});

describe('processes', () => {
  const runner = processSummary(100, { argv: ['/usr/bin/node', '/proj/node_modules/vitest/vitest.mjs', 'run'] });
  const worker = processSummary(200, { argv: ['/usr/bin/node', '/proj/node_modules/vitest/dist/workers/forks.js'] });
  const app = processSummary(300, { argv: ['/usr/bin/node', '/proj/test/a.test.js'] });
  const r = report({
    processes: [runner, worker, app],
    stalls: [stall(100, [cause(frame('node_modules/vite/x.js', 1), 'import', 'module', 900)]), stall(300, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 150)])],
  });

  it('`ignore` leaves a process out of every rule, and the verdict names it', () => {
    const verdict = gate(r, { maxStallMs: 100, processes: [{ argv: 'vitest.mjs', ignore: true }] });
    expect(rule(verdict, 'maxStallMs').offenders.map((o) => o.pids)).toEqual([[300]]);
    expect(verdict.notes).toContain('1 process left out by `processes` (ignore): pid 100');
  });

  it('a scope\'s rule replaces the top-level one for the processes it matches, and is reported under its own key', () => {
    const verdict = gate(r, { maxStallMs: 100, processes: [{ argv: '**/vitest/**', maxStallMs: 1000 }] });
    expect(rule(verdict, 'processes[0].maxStallMs')).toMatchObject({ passed: true });
    expect(rule(verdict, 'maxStallMs').offenders.map((o) => o.pids)).toEqual([[300]]);
  });

  it('a scope by role: the tooling\'s startup left out, the tests\' own stalls held to the rules', () => {
    const npm = processSummary(50, { argv: ['/usr/bin/node', '/usr/bin/npm', 'test'], role: 'package-manager' });
    const roles = report({
      processes: [npm, { ...runner, role: 'test-runner' }, { ...worker, role: 'test-worker' }, app],
      stalls: [
        { ...stall(50, [cause(frame('/usr/lib/node_modules/npm/lib/cli.js', 1), 'require', 'module', 300)]), phase: 'startup' },
        { ...stall(100, [cause(frame('node_modules/vite/x.js', 1), 'import', 'module', 900)]), phase: 'startup' },
        stall(200, [cause(frame('test/b.test.js', 3), 'JSON.parse', 'json', 200)]),
        stall(300, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 150)]),
      ],
    });
    const verdict = gate(roles, { maxStallMs: 100, processes: [{ role: 'tooling', startup: 'ignore' }] });
    expect(rule(verdict, 'maxStallMs').offenders.map((o) => o.pids)).toEqual([[200], [300]]);
    expect(verdict.notes).toContain('2 stalls at startup left out ("startup": "ignore")');
    // With argv too, both must match: vitest's runner is tooling, npm is not vitest.
    const both = gate(roles, { maxStallMs: 100, processes: [{ role: 'tooling', argv: '**/vitest/**', ignore: true }] });
    // npm matches no entry: its startup is left out by default (next test).
    expect(rule(both, 'maxStallMs').offenders.map((o) => o.pids).sort()).toEqual([[200], [300]]);
    expect(both.notes).toContain('1 process left out by `processes` (ignore): pid 100');
    const workers = gate(roles, { maxStallMs: 100, processes: [{ role: 'test-worker', maxStallMs: 1000 }] });
    expect(rule(workers, 'maxStallMs').offenders.map((o) => o.pids).sort()).toEqual([[300]]);
    expect(rule(workers, 'processes[0].maxStallMs')).toMatchObject({ passed: true });
  });

  it("leaves the tooling's startup out by default, says so, and counts it once a processes entry matches the tooling", () => {
    const npm = processSummary(50, { argv: ['/usr/bin/node', '/usr/bin/npm', 'test'], role: 'package-manager' });
    const roles = report({
      processes: [npm, { ...runner, role: 'test-runner' }, { ...worker, role: 'test-worker' }],
      stalls: [
        { ...stall(50, [cause(frame('/usr/lib/node_modules/npm/lib/cli.js', 1), 'require', 'module', 300)]), phase: 'startup' },
        { ...stall(100, [cause(frame('node_modules/vite/x.js', 1), 'import', 'module', 900)]), phase: 'startup' },
        // After its startup, the runner's stall counts like any other.
        stall(100, [cause(frame('node_modules/vitest/y.js', 2), 'JSON.parse', 'json', 400)]),
        // A test worker's startup is the tests' own loading: counted.
        { ...stall(200, [cause(frame('test/b.test.js', 1), 'require', 'module', 250)]), phase: 'startup' },
      ],
    });
    const byDefault = gate(roles, { maxStallMs: 100 });
    expect(rule(byDefault, 'maxStallMs').offenders.map((o) => o.pids).sort()).toEqual([[100], [200]]);
    expect(rule(byDefault, 'maxStallMs').offenders.map((o) => o.maxMs).sort((a, b) => a - b)).toEqual([250, 400]);
    expect(byDefault.notes).toContain(
      '2 stalls at the startup of npm or a test runner\'s main process left out (the tooling\'s own loading; a `processes` entry with "role": "tooling" counts them)',
    );
    const counted = gate(roles, { maxStallMs: 100, processes: [{ role: 'tooling' }] });
    expect(rule(counted, 'maxStallMs').offenders.map((o) => o.pids).sort()).toEqual([[100], [100], [200], [50]]);
    expect(counted.notes.some((n) => n.includes('left out'))).toBe(false);
  });
});

describe('maxP99DelayMs', () => {
  it('names each process over it, and says where the delay was not measured', () => {
    const r = report({
      processes: [
        processSummary(100, { eventLoopDelay: { minMs: 0, p50Ms: 1, p90Ms: 5, p99Ms: 120, maxMs: 400 } }),
        processSummary(200),
        processSummary(300, { endedBy: 'killed', eventLoopDelay: null, exitCode: null }),
      ],
    });
    const verdict = gate(r, { maxP99DelayMs: 50 });
    const result = rule(verdict, 'maxP99DelayMs');
    expect(result.summary).toBe('1 process over 50 ms, the worst 120 ms');
    expect(result.offenders).toEqual([expect.objectContaining({ kind: 'process', pids: [100], maxMs: 120, suggestedAllow: null })]);
    expect(verdict.notes.some((n) => n.includes('pid 300') && n.includes('not checked'))).toBe(true);
  });
});

describe('syncIo', () => {
  const r = report({
    processes: [processSummary(100), processSummary(200)],
    syncIo: {
      thresholdMs: 1,
      callSites: [syncSite(frame('src/handler.js', 20, 'handle'), 'fs.readFileSync', 'fs', [{ pid: 100, count: 200, totalMs: 600, maxMs: 30 }])],
      belowThreshold: [{ operation: 'fs.statSync', category: 'fs', count: 12, totalMs: 0.4, processes: [{ pid: 200, count: 12, totalMs: 0.4 }] }],
      totals: { count: 212, totalMs: 600.4 },
    },
  });

  it('"forbid" names every call site, and the calls counted without one by operation', () => {
    const result = rule(gate(r, { syncIo: 'forbid' }), 'syncIo');
    expect(result.summary).toBe('212 sync calls after startup, 600 ms in all');
    expect(result.offenders.map((o) => [o.callSite?.line ?? null, o.operation, o.count])).toEqual([
      [20, 'fs.readFileSync', 200],
      [null, 'fs.statSync', 12],
    ]);
  });

  it('budgets count calls and time, and the longest call per call site', () => {
    const verdict = gate(r, { syncIo: { maxCalls: 300, maxTotalMs: 100, maxCallMs: 50 } });
    expect(rule(verdict, 'syncIo.maxCalls').passed).toBe(true);
    expect(rule(verdict, 'syncIo.maxTotalMs').passed).toBe(false);
    expect(rule(verdict, 'syncIo.maxCallMs')).toMatchObject({ passed: true, summary: 'the longest call was 30 ms' });
  });

  it('an allow entry by operation lets the uncounted calls pass too', () => {
    const verdict = gate(r, { syncIo: 'forbid', allow: [{ operation: 'fs.*', reason: 'config files at each request' }] });
    expect(verdict.passed).toBe(true);
  });
});

describe('threadpool.maxQueueWaitMs', () => {
  it('names the work in flight during an episode over it', () => {
    const episode = stall(100, [cause(frame('src/hash.js', 15, 'hashAll'), 'crypto.pbkdf2', 'threadpool', 700, { calls: 8 })], {
      kind: 'threadpool',
      queue: 'work',
      maxQueueWaitMs: 784,
    });
    const r = report({ stalls: [episode] });
    const result = rule(gate(r, { threadpool: { maxQueueWaitMs: 500 } }), 'threadpool.maxQueueWaitMs');
    expect(result).toMatchObject({ passed: false, summary: 'tasks waited up to 784 ms' });
    expect(result.offenders[0]).toMatchObject({ kind: 'threadpool', operation: 'crypto.pbkdf2', maxMs: 784 });
  });

  it('a wait over it but under the stall threshold has no episode: the process is named', () => {
    const r = report({ processes: [processSummary(100, { threadpool: { size: 4, queueWait: { work: { count: 3, p50Ms: 1, p99Ms: 30, maxMs: 30 }, dns: null } } })] });
    const result = rule(gate(r, { threadpool: { maxQueueWaitMs: 20 } }), 'threadpool.maxQueueWaitMs');
    expect(result.offenders).toEqual([expect.objectContaining({ callSite: null, operation: 'threadpool queue wait', maxMs: 30, pids: [100] })]);
  });
});

describe('categories', () => {
  const r = report({
    stalls: [stall(100, [cause(frame('src/build.js', 9, 'build'), 'child_process.execSync', 'child_process', 70), cause(PARSE, 'JSON.parse', 'json', 60)])],
    syncIo: {
      thresholdMs: 1,
      callSites: [syncSite(frame('src/conf.js', 3, 'read'), 'fs.readFileSync', 'fs', [{ pid: 100, count: 4, totalMs: 100, maxMs: 40 }])],
      belowThreshold: [],
      totals: { count: 4, totalMs: 100 },
    },
  });

  it('"forbid" breaks on any stall cause or sync call of the kind', () => {
    expect(rule(gate(r, { categories: { child_process: 'forbid' } }), 'categories.child_process').offenders.map((o) => o.operation)).toEqual([
      'child_process.execSync',
    ]);
    expect(rule(gate(r, { categories: { fs: 'forbid' } }), 'categories.fs').offenders.map((o) => o.operation)).toEqual(['fs.readFileSync']);
    expect(rule(gate(r, { categories: { dns: 'forbid' } }), 'categories.dns')).toMatchObject({ passed: true, summary: 'none' });
  });

  it('maxStallMs looks at stall causes and sync calls of the kind; maxTotalBlockedMs at stall time', () => {
    const verdict = gate(r, { categories: { fs: { maxStallMs: 20 }, json: { maxTotalBlockedMs: 50 } } });
    expect(rule(verdict, 'categories.fs.maxStallMs')).toMatchObject({ passed: false, summary: 'fs blocked for up to 40 ms' });
    expect(rule(verdict, 'categories.json.maxTotalBlockedMs')).toMatchObject({ passed: false, summary: 'json blocked for 60 ms in stalls' });
  });
});

describe('with a baseline', () => {
  const before = report({ stalls: [stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 150), cause(PARSE, 'load', 'js', 3)])] });
  const index = () => new BaselineIndex(baselineFromReport(before, ROOT), 50);

  it('lets the call sites it knows pass, however they compare to the rules', () => {
    const verdict = gate(before, { maxStallMs: 100 }, index());
    expect(verdict.passed).toBe(true);
    expect(rule(verdict, 'baseline')).toMatchObject({ passed: true, summary: 'no new call sites, none worse' });
  });

  it('breaks on a call site it does not know, even under every other rule', () => {
    const after = report({ stalls: [...before.stalls, stall(100, [cause(frame('src/new.js', 5, 'added'), 'JSON.parse', 'json', 60)])] });
    const result = rule(gate(after, {}, index()), 'baseline');
    expect(result).toMatchObject({ passed: false, summary: 'new: 1 call site' });
    expect(result.offenders[0]).toMatchObject({ operation: 'JSON.parse', baseline: { status: 'new' } });
  });

  it('breaks on a known call site that got worse by more than the tolerance, and not within it', () => {
    const worse = report({ stalls: [stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 300)])] });
    expect(rule(gate(worse, {}, index()), 'baseline').offenders[0]).toMatchObject({ baseline: { status: 'worse', baselineMaxMs: 150 } });
    const within = report({ stalls: [stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 220)])] });
    expect(gate(within, {}, index()).passed).toBe(true);
  });

  it('does not call worse a growth smaller than the threshold, however large in proportion (timing noise)', () => {
    const quick = report({ syncIo: { thresholdMs: 1, callSites: [syncSite(HASH, 'fs.readFileSync', 'fs', [{ pid: 100, count: 1, totalMs: 20, maxMs: 20 }])], belowThreshold: [], totals: { count: 1, totalMs: 20 } } });
    const known = new BaselineIndex(baselineFromReport(quick, ROOT), 50);
    const slower = report({ syncIo: { thresholdMs: 1, callSites: [syncSite(HASH, 'fs.readFileSync', 'fs', [{ pid: 100, count: 1, totalMs: 45, maxMs: 45 }])], belowThreshold: [], totals: { count: 1, totalMs: 45 } } });
    expect(gate(slower, {}, known).passed).toBe(true);
  });

  it('knows a call site that moved to another line of the same function', () => {
    const moved = report({ stalls: [stall(100, [cause({ ...HASH, line: 40 }, 'crypto.pbkdf2Sync', 'crypto', 150)])] });
    expect(gate(moved, {}, index()).passed).toBe(true);
  });

  it('does not take a stall\'s edges for new call sites', () => {
    const edge = report({ stalls: [stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 150), cause(frame('src/other.js', 1, 'next'), 'next', 'js', 2)])] });
    expect(gate(edge, {}, index()).passed).toBe(true);
  });
});

describe('the threshold of a configuration', () => {
  const r = report({ stalls: [stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 70)])] });

  it('narrows a saved report to the stalls longer than it', () => {
    expect(gate(r, { threshold: 100, maxTotalBlockedMs: 0 }).passed).toBe(true);
    expect(gate(r, { threshold: 60, maxTotalBlockedMs: 0 }).passed).toBe(false);
  });

  it('cannot widen it: the shorter stalls are not in the report', () => {
    const err = caught(() => gate(r, { threshold: 20 }));
    expect(err.code).toBe('CONFIG');
    expect(err.message).toContain('recorded with a threshold of 50 ms');
  });
});

it('a budget without rules holds, and says nothing was checked', () => {
  const verdict = gate(report(), { allow: [{ path: 'x', reason: 'y' }] });
  expect(verdict).toMatchObject({ passed: true, rules: [] });
  expect(verdict.notes).toContain('the budget sets no rules: nothing was checked');
});
