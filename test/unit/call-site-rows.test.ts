import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readReportInput } from '../../src/cli/report';
import { REASON_PLACEHOLDER } from '../../src/gate/config';
import { evaluate } from '../../src/gate/evaluate';
import type { Recording } from '../../src/recording/decode';
import type { GcRecord, RecordedFrame, SampleRecord, StallRecord, SyncCallRecord } from '../../src/recording/schema';
import { buildReport, type RunInfo } from '../../src/report/build-report';
import { toPageData } from '../../src/report/html/page-data';
import { reportToHtml } from '../../src/report/to-html';
import { reportToText } from '../../src/report/to-text';
import { verdictToText } from '../../src/report/verdict-to-text';
import { exitRecord, processRecord, processRecording } from './records';
import { cause, frame, report, ROOT, stall } from './reports';

/**
 * One line, one row: a probed call, the JavaScript around it at the same line and a GC
 * pause that interrupted it there are three causes of the stall, and one call site.
 */

const RUN: RunInfo = { command: ['node', '/app/hash.test.js'], cwd: '/app', thresholdMs: 50, startedAt: 900, durationMs: 2000, exitCode: 0, signal: null, toolVersion: '0.1.0-test' };
const LINE: RecordedFrame = { file: '/app/hash.test.js', line: 10, column: 22, function: null };
const PBKDF2: RecordedFrame[] = [{ file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' }, LINE];

// A 500 ms stall: a GC pause of 12 ms at 1110, then pbkdf2Sync timed by its probe from 1140
// for 454 ms, and the one sample, served when pbkdf2Sync returned. What is left of the
// sample's stretch (34 ms) is the JavaScript around the call, at the same line.
const stallRecord: StallRecord = { type: 'stall', seq: 1, start: 1100, end: 1600, durationMs: 500, inProgressAtExit: false, phase: 'run' };
const sample: SampleRecord = { type: 'sample', seq: 1, requestedAt: 1594, at: 1595, frames: PBKDF2 };
const call: SyncCallRecord = { type: 'syncCall', operation: 'crypto.pbkdf2Sync', category: 'crypto', start: 1140, durationMs: 454, phase: 'run', frames: [LINE] };
const gc: GcRecord = { type: 'gc', start: 1110, durationMs: 12, kind: 'minor' };
const recording: Recording = {
  dir: '/rec',
  processes: [
    processRecording({ process: processRecord(100, 1000), stalls: [stallRecord], samples: [sample], syncCalls: [call], gcPauses: [gc], exit: exitRecord(1700, 1000) }),
  ],
};

describe('call sites: one row per line', () => {
  const built = buildReport(recording, RUN);

  it('keeps the stall’s three causes apart, each with its own operation and time', () => {
    const causes = built.stalls[0]!.causes.map((c) => [c.operation, c.category, Math.round(c.durationMs), c.exact === true]);
    expect(causes).toEqual([
      ['crypto.pbkdf2Sync', 'crypto', 454, true],
      ['<anonymous>', 'js', 34, false],
      ['gc.minor', 'gc', 12, true],
    ]);
  });

  it('lists the line once, with what it spent split inside the row', () => {
    expect(built.callSites).toHaveLength(1);
    const [row] = built.callSites;
    expect(row).toMatchObject({ operation: 'crypto.pbkdf2Sync', category: 'crypto', count: 1, totalMs: 500, maxMs: 500, p95Ms: 500 });
    expect(row!.callSite).toMatchObject({ file: '/app/hash.test.js', line: 10, column: 22 });
    expect(row!.parts.map((p) => [p.operation, p.category, p.count, Math.round(p.totalMs), p.exact === true])).toEqual([
      ['crypto.pbkdf2Sync', 'crypto', 1, 454, true],
      ['<anonymous>', 'js', 1, 34, false],
      ['gc.minor', 'gc', 1, 12, true],
    ]);
  });

  it('text: one row, its split on the line under it, the function’s own work as js', () => {
    const text = reportToText(built, { cwd: '/app', color: false });
    expect(text).toContain(' 1. hash.test.js:10:22\n    crypto.pbkdf2Sync (crypto): 1 stall, 500 ms total, 500 ms max\n    split: crypto.pbkdf2Sync 454 ms, js 34 ms, gc.minor 12 ms\n');
    expect(text).not.toContain(' 2. ');
  });

  it('HTML: one row in the call-site table, and each of the stall’s causes under its own name', () => {
    const page = reportToHtml(built, { cwd: '/app' });
    expect(page.match(/<tbody class="site"/g)).toHaveLength(1);
    expect(page).toContain('split: crypto.pbkdf2Sync 454 ms, js 34 ms, gc.minor 12 ms');
    // The page data names each cause by its own operation, at the row's index (0).
    const causes = toPageData(built, '/app').stalls[0]!.causes!.map(([row, ms, exact, operation, category]) => [row, Math.round(ms), exact, operation, category]);
    expect(causes).toEqual([
      [0, 454, 1, 'crypto.pbkdf2Sync', 'crypto'],
      [0, 34, 0, '<anonymous>', 'js'],
      [0, 12, 1, 'gc.minor', 'gc'],
    ]);
  });
});

describe('the gate: one offender per line', () => {
  const HASH = frame('src/auth.js', 14, 'hash');
  // 300 ms of pbkdf2Sync and 100 ms of the function's own JavaScript around it, at one line.
  const r = report({ stalls: [stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 300, { exact: true }), cause(HASH, 'hash', 'js', 100)])] });

  it('names the line once, with its parts, and its longest stall at that line', () => {
    const verdict = evaluate(r, { config: { maxStallMs: 100 }, source: 'test', root: ROOT });
    const [result] = verdict.rules;
    expect(result!.offenders).toHaveLength(1);
    expect(result!.offenders[0]).toMatchObject({
      operation: 'crypto.pbkdf2Sync',
      category: 'crypto',
      count: 1,
      totalMs: 400,
      maxMs: 400,
      parts: [
        { operation: 'crypto.pbkdf2Sync', category: 'crypto', totalMs: 300 },
        { operation: 'hash', category: 'js', totalMs: 100 },
      ],
    });
    expect(verdictToText(verdict, { cwd: ROOT, color: false })).toContain('       split: crypto.pbkdf2Sync 300 ms, js 100 ms\n');
  });

  it('suggests one allow entry that lets the whole line pass', () => {
    const [offender] = evaluate(r, { config: { maxStallMs: 100 }, source: 'test', root: ROOT }).rules[0]!.offenders;
    expect(offender!.suggestedAllow).toEqual({ path: 'src/auth.js', function: 'hash', operation: '{crypto.pbkdf2Sync,hash}', reason: REASON_PLACEHOLDER });
    const allow = [{ ...offender!.suggestedAllow!, reason: 'hashing is the point of this route' }];
    expect(evaluate(r, { config: { maxStallMs: 100, allow }, source: 'test', root: ROOT }).passed).toBe(true);
  });

  it('escapes commas of an operation inside the suggested choice', () => {
    const odd = report({ stalls: [stall(100, [cause(HASH, 'a,b', 'js', 300), cause(HASH, 'hash', 'js', 100)])] });
    const [offender] = evaluate(odd, { config: { maxStallMs: 100 }, source: 'test', root: ROOT }).rules[0]!.offenders;
    expect(offender!.suggestedAllow!.operation).toBe('{a\\,b,hash}');
    const allow = [{ ...offender!.suggestedAllow!, reason: 'known' }];
    expect(evaluate(odd, { config: { maxStallMs: 100, allow }, source: 'test', root: ROOT }).passed).toBe(true);
  });
});

describe('a saved report from before rows were per line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopwatch-rows-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is read with one row per line again, from its stalls', () => {
    const HASH = frame('src/auth.js', 14, 'hash');
    const s = stall(100, [cause(HASH, 'crypto.pbkdf2Sync', 'crypto', 300, { exact: true }), cause(HASH, 'hash', 'js', 100)]);
    // As version 2 reports were written: a row per line and operation, without parts.
    const old = report({
      stalls: [s],
      callSites: [
        { callSite: HASH, operation: 'crypto.pbkdf2Sync', category: 'crypto', threads: [0], count: 1, totalMs: 300, maxMs: 300, p95Ms: 300 },
        { callSite: HASH, operation: 'hash', category: 'js', threads: [0], count: 1, totalMs: 100, maxMs: 100, p95Ms: 100 },
      ] as never,
    });
    const file = join(dir, 'old.json');
    writeFileSync(file, JSON.stringify(old));
    const read = readReportInput(file, '0.1.0');
    expect(read.callSites).toHaveLength(1);
    expect(read.callSites[0]).toMatchObject({ operation: 'crypto.pbkdf2Sync', totalMs: 400, parts: [{ operation: 'crypto.pbkdf2Sync' }, { operation: 'hash' }] });
  });
});
