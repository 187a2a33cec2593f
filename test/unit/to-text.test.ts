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
    eventLoopDelay: { minMs: 0.01, p50Ms: 0.2, p90Ms: 1, p99Ms: 330, maxMs: 331 },
    utilization: 0.46,
    gc: null,
    threadpool: null,
    ...extra,
  };
}

function callSite(extra: Partial<CallSiteSummary> = {}): CallSiteSummary {
  return {
    callSite: { file: '/proj/fixtures/a.js', line: 12, column: 10, function: 'hash' },
    operation: 'crypto.pbkdf2Sync',
    category: 'crypto',
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
    thresholdMs: 50,
    startedAt: 1000,
    durationMs: 1400,
    exitCode: 0,
    signal: null,
    processes: [processSummary()],
    stalls: [],
    callSites: [],
    syncIo: { thresholdMs: 1, callSites: [], belowThreshold: [], totals: { count: 0, totalMs: 0 } },
    totals: totals(),
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
    expect(first).toContain('in 1.4 s');
    expect(out).not.toMatch(/^ *1\. /m);
  });

  it('with stalls: header with counts, blocked time and threshold', () => {
    const first = text(withStalls()).split('\n')[0];
    expect(first).toBe('loopwatch: 2 stalls, 640 ms blocked in 1.4 s (threshold 50 ms)');
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

  it('names each process when there are several', () => {
    const out = text(withStalls({ processes: [processSummary(), processSummary({ pid: 4243, argv: ['/usr/bin/node', '/proj/lib/child.js', '--x'] })] }));
    expect(out).toContain('pid 4242: fixtures/a.js\n  event loop: delay p50');
    expect(out).toContain('pid 4243: lib/child.js --x\n  event loop: delay p50');
    expect(out.split('\n').every((line) => line.length <= 80)).toBe(true);
  });

  it('says when a process ended without its exit handlers', () => {
    const out = text(withStalls({ processes: [processSummary({ endedBy: 'killed', eventLoopDelay: null, utilization: null, exitCode: null })] }));
    expect(out).toContain('ended without running its exit handlers: no loop figures');
    expect(out).not.toContain('event loop:');
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

  it('notes stalls still going on when their process ended', () => {
    const out = text(withStalls({ stalls: [stall({ inProgressAtExit: true }), stall()] }));
    expect(out).toContain('1 stall still going on when its process ended');
    expect(text(withStalls())).not.toContain('still going on');
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
    expect(out.split('\n')[0]).toBe('loopwatch: 2 stalls (1 at startup), 640 ms blocked in 1.4 s (threshold 50 ms)');
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
        },
      ],
      belowThreshold: [{ operation: 'fs.statSync', category: 'fs', count: 12, totalMs: 0.4 }],
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
      belowThreshold: longNames.map((name, i) => ({ operation: name, category: 'fs', count: i + 1, totalMs: 1 })),
      totals: { count: 465, totalMs: 30 },
    };
    const lines = text(report({ syncIo, processes: [processSummary({ threadpool: pool })] })).split('\n');
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(lines.some((line) => line.endsWith('...'))).toBe(true);
  });
});
