import { describe, expect, it } from 'vitest';
import type { CallSiteSummary, ProcessSummary, Report, Stall } from '../../src/report/schema';
import { formatDuration, formatLocation, formatMs, reportToText } from '../../src/report/to-text';

const CWD = '/proj';

function processSummary(extra: Partial<ProcessSummary> = {}): ProcessSummary {
  return {
    pid: 4242,
    ppid: 1,
    argv: ['/usr/bin/node', '/proj/fixtures/a.js'],
    startedAt: 1000,
    durationMs: 1400,
    endedBy: 'exit',
    exitCode: 0,
    figuresAt: 6000,
    eventLoopDelay: { minMs: 0.01, p50Ms: 0.2, p90Ms: 1, p99Ms: 330, maxMs: 331 },
    utilization: 0.46,
    gc: null,
    threadpool: null,
    threads: [],
    unwatchedThreads: [],
    ...extra,
  };
}

function callSite(extra: Partial<CallSiteSummary> = {}): CallSiteSummary {
  const operation = extra.operation ?? 'crypto.pbkdf2Sync';
  const category = extra.category ?? 'crypto';
  return {
    callSite: { file: '/proj/fixtures/a.js', line: 12, column: 10, function: 'hash' },
    operation,
    category,
    parts: [{ operation, category, count: extra.count ?? 2, totalMs: extra.totalMs ?? 640 }],
    threads: [0],
    count: 2,
    totalMs: 640,
    maxMs: 331,
    p95Ms: 331,
    ...extra,
  };
}

function stall(extra: Partial<Stall> = {}): Stall {
  return {
    kind: 'event-loop',
    pid: 4242,
    threadId: 0,
    start: 1100,
    durationMs: 320,
    inProgressAtExit: false,
    phase: 'run',
    category: 'crypto',
    operation: 'crypto.pbkdf2Sync',
    callSite: { file: '/proj/fixtures/a.js', line: 12, column: 10, function: 'hash' },
    stack: [],
    samples: 1,
    causes: [],
    ...extra,
  };
}

function report(extra: Partial<Report> = {}): Report {
  return {
    schemaVersion: 2,
    tool: { name: 'loopwatch', version: '0.1.0' },
    command: ['/usr/bin/node', '/proj/fixtures/a.js'],
    cwd: CWD,
    thresholdMs: 50,
    startedAt: 1000,
    durationMs: 1400,
    exitCode: 0,
    signal: null,
    processes: [processSummary()],
    stalls: [],
    callSites: [],
    syncIo: { thresholdMs: 1, callSites: [], belowThreshold: [], totals: { count: 0, totalMs: 0 } },
    frames: [],
    gcPauses: [],
    limits: { stacksPerStall: 20, stacks: 20_000, gcPauses: 5_000, omittedStacks: 0, omittedStackMs: 0, omittedGcPauses: 0 },
    totals: totals(),
    warnings: [],
    ...extra,
  };
}

function totals(extra: Partial<Report['totals']> = {}): Report['totals'] {
  return { stalls: 0, blockedMs: 0, threadpoolStalls: 0, threadpoolStarvedMs: 0, gcPauses: 0, gcPauseMs: 0, ...extra };
}

const withStalls = (extra: Partial<Report> = {}) =>
  report({
    stalls: [stall(), stall({ start: 2000, durationMs: 320 })],
    callSites: [callSite()],
    totals: totals({ stalls: 2, blockedMs: 640 }),
    ...extra,
  });

const text = (r: Report, color = false) => reportToText(r, { cwd: CWD, color });

describe('reportToText', () => {
  it('no stalls: says so, with the threshold and the run time', () => {
    const out = text(report());
    const first = out.split('\n')[0]!;
    expect(first).toContain('loopwatch:');
    expect(first).toContain('no stalls over 50 ms');
    expect(first).toContain('in 1.40 s');
    expect(out).not.toMatch(/^ *1\. /m);
  });

  it('with stalls: header with counts, blocked time and threshold', () => {
    const first = text(withStalls()).split('\n')[0];
    expect(first).toBe('loopwatch: 2 stalls, 640 ms blocked in 1.40 s (threshold 50 ms)');
  });

  it('one stall is singular', () => {
    const first = text(withStalls({ totals: totals({ stalls: 1, blockedMs: 320 }) })).split('\n')[0];
    expect(first).toContain('1 stall,');
  });

  it('lists call sites with a relative path and the operation', () => {
    const lines = text(withStalls()).split('\n');
    expect(lines).toContain(' 1. fixtures/a.js:12:10 in hash');
    expect(lines).toContain('    crypto.pbkdf2Sync (crypto): 2 stalls, 640 ms total, 331 ms max');
  });

  it('shows the event-loop statistics of a single process without its pid', () => {
    const lines = text(withStalls()).split('\n');
    expect(lines[1]).toBe('event loop: delay p50 0.2 ms, p99 330 ms, max 331 ms; utilization 46%');
  });

  it('with several processes: the call sites first, each naming its process, then one line per process', () => {
    const out = text(
      withStalls({
        callSites: [callSite({ processes: [{ pid: 4242, count: 2, totalMs: 640, maxMs: 331 }] })],
        processes: [processSummary({ pid: 4243, argv: ['/usr/bin/node', '/proj/lib/child.js', '--x'] }), processSummary()],
      }),
    );
    const lines = out.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'loopwatch: 2 stalls in 1 of 2 processes, 640 ms blocked, in a run of 1.40 s (threshold 50 ms)',
      '',
      ' 1. fixtures/a.js:12:10 in hash',
      '    crypto.pbkdf2Sync (crypto): 2 stalls, 640 ms total, 331 ms max',
      '    in pid 4242: node fixtures/a.js',
    ]);
    // The most blocked process first, whatever the recording's order.
    const table = lines.indexOf('2 processes, the most blocked first:');
    expect(lines.slice(table + 1, table + 4)).toEqual([
      '  stalls  blocked  delay p99  busy  pid: command',
      '       2   640 ms     330 ms   46%  4242: node fixtures/a.js',
      '       0        -     330 ms   46%  4243: node lib/child.js --x',
    ]);
    expect(out).not.toContain('event loop:');
  });

  it('blocked time added up over processes says so, with the run time in the same unit', () => {
    // Two processes, side by side, blocked 161.78 s between them in a run of 68 s.
    const out = text(
      withStalls({
        durationMs: 68_210,
        processes: [processSummary(), processSummary({ pid: 4243 })],
        stalls: [stall({ durationMs: 100_000 }), stall({ pid: 4243, durationMs: 61_780 })],
        totals: totals({ stalls: 2, blockedMs: 161_780 }),
      }),
    );
    expect(out.split('\n')[0]).toBe('loopwatch: 2 stalls in 2 of 2 processes, 161.78 s blocked summed over 2 processes, in a run of 68.21 s (threshold 50 ms)');
  });

  it('many processes: the ten most blocked are listed, the rest counted in one line', () => {
    const processes = Array.from({ length: 30 }, (_, i) => processSummary({ pid: 5000 + i, argv: ['/usr/bin/node', `/proj/test/t${i}.js`] }));
    const stalls = [stall({ pid: 5029, durationMs: 900 }), stall({ pid: 5003, durationMs: 60 }), stall({ pid: 5011, durationMs: 70 })];
    const out = text(withStalls({ processes, stalls, totals: totals({ stalls: 3, blockedMs: 1030 }) }));
    const lines = out.split('\n');
    const table = lines.indexOf('30 processes, the 10 most blocked:');
    expect(table).toBeGreaterThan(0);
    expect(lines[table + 2]).toBe('       1   900 ms     330 ms   46%  5029: node test/t29.js');
    expect(lines[table + 3]).toContain('5011: node test/t11.js');
    expect(lines[table + 4]).toContain('5003: node test/t3.js');
    expect(lines[table + 12]).toBe('  ... and 20 more processes: no stalls (see --json)');
    expect(lines.filter((l) => /^ +[0-9]+ +(-|[0-9.]+ m?s) .*: node /.test(l))).toHaveLength(10);
  });

  it('shows a process\'s command as it ran: Node.js options included, arguments escaped and quoted', () => {
    const runner = processSummary({ pid: 4250, argv: ['/usr/bin/node'], execArgv: ['--test'], role: 'test-runner', firstProcess: true });
    const file = processSummary({ pid: 4251, argv: ['/usr/bin/node', '/proj/a.test.js', 'two words', 'x\x1b[2Jy'], execArgv: ['--expose-gc'], role: 'test-worker' });
    const out = text(withStalls({ processes: [runner, file] }));
    expect(out).toContain('4250 (test runner, the command): node --test\n');
    expect(out).toContain("4251 (test worker): node --expose-gc a.test.js 'two words' 'x\\x1b[2Jy'\n");
    expect(out).not.toContain('\x1b');
  });

  it('leaves loopwatch\'s own preload out of a process\'s options, and counts a runner\'s flood of defaults', () => {
    const ownPreload = processSummary({ pid: 4252, argv: ['/usr/bin/node', '/proj/a.js'], execArgv: ['--require=/opt/loopwatch/dist/agent/preload.js', '--expose-gc', '-r', '/opt/loopwatch/dist/agent/preload.js'] });
    const defaults = Array.from({ length: 30 }, (_, i) => `--option-${i}=0`);
    const flooded = processSummary({ pid: 4253, argv: ['/usr/bin/node', '/proj/b.test.js'], execArgv: defaults, role: 'test-worker' });
    const out = text(withStalls({ processes: [ownPreload, flooded] }));
    expect(out).toContain('4252: node --expose-gc a.js\n');
    expect(out).toContain('4253 (test worker): node (30 Node.js options) b.test.js\n');
  });

  it('the tooling\'s startup (npm, a test runner\'s main process) is counted, not listed', () => {
    const npm = processSummary({ pid: 4240, argv: ['/usr/bin/node', '/usr/bin/npm', 'test'], role: 'package-manager', firstProcess: true });
    const cause = (file: string, ms: number): Stall['causes'][number] => ({
      callSite: { file, line: 1, column: 1, function: null }, operation: 'require', category: 'module', durationMs: ms, samples: 1, stack: [],
    });
    const stalls = [
      stall({ pid: 4240, phase: 'startup', durationMs: 219, category: 'module', operation: 'require', causes: [cause('/usr/lib/node_modules/npm/lib/cli.js', 219)] }),
      stall({ durationMs: 320, causes: [{ ...cause('/proj/fixtures/a.js', 320), operation: 'crypto.pbkdf2Sync', category: 'crypto' }] }),
    ];
    const out = text(withStalls({ processes: [npm, processSummary()], stalls, totals: totals({ stalls: 2, blockedMs: 539 }) }));
    expect(out).not.toContain('npm/lib/cli.js');
    expect(out).toContain(' 1. fixtures/a.js:1:1\n');
    expect(out).toContain("    ... and 1 stall at the tooling's startup (pid 4240 npm), 219 ms: not listed, see --json\n");
    // The headline still counts every stall.
    expect(out.split('\n')[0]).toContain('2 stalls (1 at startup) in 2 of 2 processes, 539 ms blocked summed over 2 processes');
  });

  it('leads with the delay counting the beats stalls swallowed, the per-beat figures beside', () => {
    const eventLoopDelay = { minMs: 0.01, p50Ms: 0.2, p90Ms: 1, p99Ms: 3, maxMs: 331, beats: 1000, corrected: { p50Ms: 0.3, p90Ms: 2, p99Ms: 250, beats: 1033 } };
    const lines = text(withStalls({ processes: [processSummary({ eventLoopDelay })] })).split('\n');
    expect(lines[1]).toBe('event loop: delay p50 0.3 ms, p99 250 ms, max 331 ms; utilization 46%');
    expect(lines[2]).toBe('  counting 33 swallowed beats; per beat that ran: p50 0.2 ms, p99 3 ms');
    // None swallowed: one line, as without the corrected figures.
    const none = { ...eventLoopDelay, corrected: { p50Ms: 0.2, p90Ms: 1, p99Ms: 3, beats: 1000 } };
    const plain = text(withStalls({ processes: [processSummary({ eventLoopDelay: none })] })).split('\n');
    expect(plain[1]).toBe('event loop: delay p50 0.2 ms, p99 3 ms, max 331 ms; utilization 46%');
    expect(plain[2]).not.toContain('swallowed');
  });

  it('says when a process ended without its exit handlers', () => {
    const out = text(withStalls({ processes: [processSummary({ endedBy: 'killed', eventLoopDelay: null, utilization: null, exitCode: null, figuresAt: null })] }));
    expect(out).toContain('ended without running its exit handlers: no loop figures');
    expect(out).not.toContain('event loop:');
  });

  it('shows the running figures of a process that ended without its exit handlers, and how old they are', () => {
    // Started at 1000, last heard of at 2400, its running totals written at 1800.
    const out = text(withStalls({ processes: [processSummary({ endedBy: 'killed', exitCode: null, figuresAt: 1800 })] }));
    expect(out).toContain('ended without running its exit handlers: its figures as of 600 ms before its end\nevent loop: delay p50 0.2 ms');
    expect(out).not.toContain('no loop figures');
  });

  it('says when the command was killed by a signal', () => {
    const out = text(withStalls({ signal: 'SIGTERM', exitCode: 143 }));
    expect(out).toContain('the command was killed by SIGTERM (exit status 143)');
    expect(text(withStalls())).not.toContain('killed by');
  });

  it('color false: no escape sequences; color true: some', () => {
    expect(text(withStalls(), false)).not.toContain('\x1b[');
    expect(text(report(), false)).not.toContain('\x1b[');
    const colored = text(withStalls(), true);
    expect(colored).toContain('\x1b[');
    // Same text once the escapes are removed.
    expect(colored.replace(/\x1b\[\d+m/g, '')).toBe(text(withStalls(), false));
  });

  it('keeps every line within 80 columns for a realistic report with short paths', () => {
    const r = withStalls({
      durationMs: 83_000,
      signal: 'SIGTERM',
      exitCode: 143,
      stalls: [stall(), stall({ inProgressAtExit: true })],
      callSites: [
        callSite(),
        callSite({ callSite: { file: '/proj/fixtures/zlib-gzip.js', line: 140, column: 23, function: 'compressPayload' }, operation: 'zlib.gzipSync', category: 'zlib', count: 12, totalMs: 1234.5, maxMs: 250.2 }),
        callSite({ callSite: { file: '/proj/node_modules/bcryptjs/umd/index.js', line: 1200, column: 14, function: 'hashSync' }, operation: 'bcryptjs.hashSync', count: 3, totalMs: 99.5, maxMs: 60.25 }),
        callSite({ callSite: null, operation: 'unknown', category: 'unknown', count: 1, totalMs: 70, maxMs: 70 }),
        callSite({ callSite: { file: '/proj/server.js', line: 9, column: 3, function: null }, operation: 'JSON.parse', category: 'json', count: 1, totalMs: 1, maxMs: 1 }),
      ],
      totals: totals({ stalls: 18, blockedMs: 2345.6 }),
    });
    const lines = text(r).split('\n');
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('counts minor call sites (max under a tenth of the threshold) instead of listing them', () => {
    const r = withStalls({
      callSites: [
        callSite(),
        callSite({ callSite: { file: '/proj/x.js', line: 1, column: 1, function: 'edge' }, operation: 'edge', category: 'js', count: 5, totalMs: 20, maxMs: 4.99 }),
        callSite({ callSite: { file: '/proj/y.js', line: 2, column: 1, function: 'edge2' }, operation: 'edge2', category: 'js', count: 1, totalMs: 1, maxMs: 1 }),
        callSite({ callSite: { file: '/proj/z.js', line: 3, column: 1, function: 'atTenth' }, operation: 'atTenth', category: 'js', count: 1, totalMs: 5, maxMs: 5 }),
      ],
    });
    const out = text(r);
    expect(out).not.toContain('x.js');
    expect(out).not.toContain('y.js');
    expect(out).toContain(' 2. z.js:3:1 in atTenth'); // exactly a tenth is listed
    expect(out).toContain('    ... and 2 minor call sites under 5 ms each (see --json)');
  });

  it('lists at most maxCallSites and counts the rest', () => {
    const sites = Array.from({ length: 4 }, (_, i) => callSite({ callSite: { file: `/proj/f${i}.js`, line: 1, column: 1, function: `f${i}` }, operation: `f${i}`, category: 'js' }));
    const out = reportToText(withStalls({ callSites: sites }), { cwd: CWD, color: false, maxCallSites: 2 });
    expect(out).toContain(' 2. f1.js:1:1 in f1');
    expect(out).not.toContain('f2.js');
    expect(out).toContain('    ... and 2 more call sites (see --json)');
  });

  it('lists ten call sites by default', () => {
    const sites = Array.from({ length: 11 }, (_, i) => callSite({ callSite: { file: `/proj/f${i}.js`, line: 1, column: 1, function: `f${i}` }, operation: `f${i}`, category: 'js' }));
    const out = text(withStalls({ callSites: sites }));
    expect(out).toContain('10. f9.js:1:1 in f9');
    expect(out).not.toContain('f10.js');
    expect(out).toContain('... and 1 more call site (see --json)');
  });

  it('describes a call site without a location', () => {
    const out = text(withStalls({ callSites: [callSite({ callSite: null, operation: 'unknown', category: 'unknown' })] }));
    expect(out).toContain(' 1. unknown location (no stack sample, or one without JavaScript)');
    expect(out).toContain('    unknown (unknown): 2 stalls');
  });

  it('notes stalls still going on when their process ended, naming the process', () => {
    const out = text(withStalls({ stalls: [stall({ inProgressAtExit: true }), stall()] }));
    expect(out).toContain('1 stall still going on when its process ended, counted up to then: pid 4242\n');
    expect(text(withStalls())).not.toContain('still going on');
    const processes = [processSummary({ role: 'test-worker' }), processSummary({ pid: 4243 }), processSummary({ pid: 4244 })];
    const one = text(withStalls({ processes, stalls: [stall({ inProgressAtExit: true }), stall()] }));
    expect(one).toContain('1 stall still going on when its process ended, counted up to then: pid 4242 (test worker)\n');
    const two = text(withStalls({ processes, stalls: [stall({ inProgressAtExit: true }), stall({ pid: 4244, inProgressAtExit: true })] }));
    expect(two).toContain('2 stalls still going on when their processes ended, counted up to then: pid 4242, 4244\n');
  });

  it('ends with a newline', () => {
    expect(text(report()).endsWith('\n')).toBe(true);
    expect(text(withStalls()).endsWith('\n')).toBe(true);
  });
});

describe('formatLocation', () => {
  it('shows paths under cwd relative, others absolute, builtins as <builtin>', () => {
    expect(formatLocation({ file: '/proj/fixtures/a.js', line: 12, column: 10, function: 'hash' }, CWD)).toBe('fixtures/a.js:12:10 in hash');
    expect(formatLocation({ file: '/elsewhere/b.js', line: 3, column: null, function: null }, CWD)).toBe('/elsewhere/b.js:3');
    expect(formatLocation({ file: 'node:fs', line: 460, column: 5, function: 'readFileSync' }, CWD)).toBe('node:fs:460:5 in readFileSync');
    expect(formatLocation({ file: null, line: null, column: null, function: 'JSON.parse' }, CWD)).toBe('<builtin> in JSON.parse');
  });
});

describe('formatMs', () => {
  it('rounds to whole ms from 100, one decimal from 10, two below', () => {
    expect(formatMs(331.4)).toBe('331 ms');
    expect(formatMs(100)).toBe('100 ms');
    expect(formatMs(99.96)).toBe('100 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(50)).toBe('50 ms');
    expect(formatMs(10)).toBe('10 ms');
    expect(formatMs(5)).toBe('5 ms');
    expect(formatMs(0.25)).toBe('0.25 ms');
    expect(formatMs(0.2)).toBe('0.2 ms');
    expect(formatMs(1.5)).toBe('1.5 ms');
    expect(formatMs(0)).toBe('0 ms');
  });
});

describe('formatDuration', () => {
  it('ms under a second, seconds with one decimal under a minute, then minutes and seconds', () => {
    expect(formatDuration(500)).toBe('500 ms');
    expect(formatDuration(1000)).toBe('1.0 s');
    expect(formatDuration(1400)).toBe('1.4 s');
    expect(formatDuration(59_900)).toBe('59.9 s');
    expect(formatDuration(60_000)).toBe('1 min 0 s');
    expect(formatDuration(90_000)).toBe('1 min 30 s');
    expect(formatDuration(83_000)).toBe('1 min 23 s');
    expect(formatDuration(3_600_000)).toBe('60 min 0 s');
  });
});

describe('formatDuration near a minute', () => {
  it('rounds to whole seconds before splitting off the minutes', () => {
    expect(formatDuration(119_500)).toBe('2 min 0 s');
    expect(formatDuration(59_950)).toBe('1 min 0 s');
    expect(formatDuration(59_949)).toBe('59.9 s');
  });
});

describe('reportToText: probes, threadpool and sync I/O', () => {
  const pool = { size: 4, queueWait: { work: { count: 40, p50Ms: 0.1, p99Ms: 784, maxMs: 790 }, dns: null } };

  it('shows GC totals and the threadpool queue waits of a process', () => {
    const out = text(
      report({ processes: [processSummary({ gc: { count: 13, totalMs: 348, maxMs: 168, byKind: {} }, threadpool: pool })] }),
    );
    expect(out).toContain('GC: 13 pauses, 348 ms in all, longest 168 ms\n');
    expect(out).toContain('threadpool (4 threads) queue wait: p50 0.1 ms, p99 784 ms, max 790 ms\n');
    expect(out).toContain("  DNS lookups' wait: not measured\n");
  });

  it('counts startup stalls in the header', () => {
    const out = text(withStalls({ stalls: [stall({ phase: 'startup' }), stall()] }));
    expect(out.split('\n')[0]).toBe('loopwatch: 2 stalls (1 at startup), 640 ms blocked in 1.40 s (threshold 50 ms)');
    const all = text(withStalls({ stalls: [stall({ phase: 'startup' }), stall({ phase: 'startup' })] }));
    expect(all.split('\n')[0]).toBe('loopwatch: 2 stalls (all at startup), 640 ms blocked in 1.40 s (threshold 50 ms)');
  });

  it('lists threadpool starvation episodes with the work in flight', () => {
    const episode = stall({
      kind: 'threadpool',
      category: 'threadpool',
      operation: 'dns.lookup',
      durationMs: 3000,
      queue: 'dns',
      maxQueueWaitMs: 2990,
      causes: [
        {
          callSite: { file: '/proj/api.js', line: 31, column: 5, function: 'fetchAll' },
          operation: 'dns.lookup',
          category: 'threadpool',
          durationMs: 3000,
          samples: 0,
          stack: [],
          calls: 4,
          detail: 'a.example, b.example, c.example, ...',
        },
      ],
    });
    const out = text(report({ stalls: [episode], totals: totals({ threadpoolStalls: 1, threadpoolStarvedMs: 3000 }) }));
    expect(out).toContain('loopwatch: no stalls over 50 ms');
    expect(out).toContain('threadpool starved 1 time, 3.00 s in all (tasks waited up to 2.99 s)\n');
    expect(out).toContain(' 1. api.js:31:5 in fetchAll\n    dns.lookup: 4 calls in flight for 3.00 s; lookups waited up to 2.99 s\n');
    expect(out).toContain('    a.example, b.example, c.example, ...\n');
  });

  it('lists sync I/O after startup by call site, and counts the calls under the threshold', () => {
    const syncIo = {
      thresholdMs: 1,
      callSites: [
        {
          callSite: { file: '/proj/server.js', line: 20, column: 19, function: 'handle' },
          operation: 'fs.readFileSync',
          category: 'fs',
          count: 200,
          totalMs: 735,
          maxMs: 30.1,
          stack: [],
          processes: [{ pid: 4242, count: 200, totalMs: 735, maxMs: 30.1 }],
        },
      ],
      belowThreshold: [{ operation: 'fs.statSync', category: 'fs', count: 12, totalMs: 0.4, processes: [{ pid: 4242, count: 12, totalMs: 0.4 }] }],
      totals: { count: 212, totalMs: 735.4 },
    };
    const out = text(report({ syncIo }));
    expect(out).toContain('sync I/O after startup: 212 calls, 735 ms\n');
    expect(out).toContain(' 1. server.js:20:19 in handle\n    fs.readFileSync: 200 calls, 735 ms total, 30.1 ms max\n');
    expect(out).toContain('    ... and 12 calls under 1 ms each, 0.4 ms in all:\n        fs.statSync 12\n');
  });

  it('says nothing of sync I/O when there was none after startup', () => {
    expect(text(report())).not.toContain('sync I/O');
  });

  it('keeps long details within 80 columns', () => {
    const longNames = Array.from({ length: 30 }, (_, i) => `fs.operation${i} ${i}`);
    const syncIo = {
      thresholdMs: 1,
      callSites: [],
      belowThreshold: longNames.map((name, i) => ({ operation: name, category: 'fs', count: i + 1, totalMs: 1, processes: [] })),
      totals: { count: 465, totalMs: 30 },
    };
    const lines = text(report({ syncIo, processes: [processSummary({ threadpool: pool })] })).split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(lines.some((line) => line.endsWith('...'))).toBe(true);
  });
});
