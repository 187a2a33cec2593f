import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/attribution/frames';
import { weighSamples } from '../../src/attribution/samples-to-stall';
import type { Recording } from '../../src/recording/decode';
import type { GcRecord, RecordedFrame, SampleRecord, StallRecord } from '../../src/recording/schema';
import { buildReport, MAX_GC_PAUSES, type RunInfo } from '../../src/report/build-report';
import { boundProfiles, stacksOfStall, type StallStack } from '../../src/report/samples-to-profiles';
import type { Stall, StallCause } from '../../src/report/schema';
import { exitRecord, processRecord, processRecording } from './records';

const TIMING = { lateAfterMs: 30 };
const PBKDF2: RecordedFrame[] = [
  { file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' },
  { file: '/app/server.js', line: 12, column: 10, function: 'hash' },
];
const SPIN_A: RecordedFrame[] = [{ file: '/app/server.js', line: 30, column: 7, function: 'spin' }];
const SPIN_B: RecordedFrame[] = [
  { file: 'node:internal/perf/utils', line: 20, column: 3, function: 'now' },
  { file: '/app/server.js', line: 30, column: 7, function: 'spin' },
];

function sample(at: number, frames: RecordedFrame[], requestedAt = at - 1): SampleRecord {
  return { type: 'sample', seq: 1, requestedAt, at, frames };
}

function cause(operation: string, callSite: Frame | null, durationMs: number): StallCause {
  return { callSite, operation, category: 'js', durationMs, samples: 1, stack: [] };
}

describe('stacksOfStall', () => {
  it('adds up the time of samples with the same stack, heaviest first, each with its cause', () => {
    // A busy loop sampled at 20, 40, 60, 80 of a stall from 0 to 100: each sample covers the
    // 20 ms before it, the last one also the 20 ms after it. The sample at 40 shows `now`.
    const samples = [sample(20, SPIN_A), sample(40, SPIN_B), sample(60, SPIN_A), sample(80, SPIN_A)];
    const weighted = weighSamples({ start: 0, end: 100 }, samples, TIMING);
    const spinSite = { file: '/app/server.js', line: 30, column: 7, function: 'spin' };
    const stacks = stacksOfStall(weighted, [cause('spin', spinSite, 100)]);
    expect(stacks.map((s) => [s.frames.map((f) => f.function), s.durationMs, s.samples, s.cause])).toEqual([
      [['spin'], 80, 3, 0],
      [['now', 'spin'], 20, 1, 0],
    ]);
  });

  it('leaves out the cause of samples whose cause is no longer there', () => {
    const weighted = weighSamples({ start: 0, end: 50 }, [sample(50, SPIN_A)], TIMING);
    const [stack] = stacksOfStall(weighted, [cause('crypto.pbkdf2Sync', null, 50)]);
    expect(stack!.durationMs).toBe(50);
    expect(stack!.cause).toBeUndefined();
  });

  it('has no stacks when no sample showed JavaScript', () => {
    expect(stacksOfStall(weighSamples({ start: 0, end: 80 }, [], TIMING), [])).toEqual([]);
  });
});

describe('boundProfiles', () => {
  const frame = (line: number): Frame => ({ file: '/app/a.js', line, column: 1, function: `f${line}` });
  const stack = (lines: number[], durationMs: number): StallStack => ({ frames: lines.map(frame), durationMs, samples: 1 });
  const stall = (start: number, durationMs: number): Stall =>
    ({ kind: 'event-loop', pid: 1, start, durationMs, causes: [] }) as unknown as Stall;

  it('numbers each frame once, in the stalls’ order, and keeps every stack under the caps', () => {
    const a = stall(0, 100);
    const b = stall(200, 60);
    const bound = boundProfiles([
      { stall: a, stacks: [stack([1, 2], 70), stack([3, 2], 30)] },
      { stall: b, stacks: [stack([2], 60)] },
    ]);
    expect(bound.frames.map((f) => f.line)).toEqual([1, 2, 3]);
    expect(a.profile).toEqual({
      stacks: [
        { frames: [0, 1], durationMs: 70, samples: 1 },
        { frames: [2, 1], durationMs: 30, samples: 1 },
      ],
      omittedStacks: 0,
      omittedMs: 0,
    });
    expect(b.profile!.stacks).toEqual([{ frames: [1], durationMs: 60, samples: 1 }]);
    expect(bound.omittedStacks).toBe(0);
  });

  it('keeps at most stacksPerStall of a stall, the heaviest, and counts the rest', () => {
    const a = stall(0, 100);
    const bound = boundProfiles([{ stall: a, stacks: [stack([1], 50), stack([2], 30), stack([3], 20)] }], { stacksPerStall: 2, stacks: 100 });
    expect(a.profile!.stacks.map((s) => s.durationMs)).toEqual([50, 30]);
    expect(a.profile).toMatchObject({ omittedStacks: 1, omittedMs: 20 });
    expect(bound).toMatchObject({ omittedStacks: 1, omittedStackMs: 20 });
    // A frame only the left-out stack used is not in the table.
    expect(bound.frames.map((f) => f.line)).toEqual([1, 2]);
  });

  it('at the report’s cap, gives every stall its heaviest stack before any its second, longest stalls first', () => {
    const short = stall(0, 60);
    const long = stall(100, 300);
    const third = stall(500, 100);
    boundProfiles(
      [
        { stall: short, stacks: [stack([1], 40), stack([2], 20)] },
        { stall: long, stacks: [stack([3], 200), stack([4], 100)] },
        { stall: third, stacks: [stack([5], 100)] },
      ],
      { stacksPerStall: 20, stacks: 4 },
    );
    // Round 1: long, third, short keep one each (3 of 4); round 2: long keeps its second.
    expect(long.profile!.stacks).toHaveLength(2);
    expect(third.profile!.stacks).toHaveLength(1);
    expect(short.profile).toMatchObject({ stacks: [{ durationMs: 40 }], omittedStacks: 1, omittedMs: 20 });
  });
});

describe('buildReport profiles and GC pauses', () => {
  const RUN: RunInfo = { command: ['node', '/app/server.js'], cwd: '/app', thresholdMs: 50, startedAt: 900, durationMs: 5000, exitCode: 0, signal: null, toolVersion: 't' };
  const window: StallRecord = { type: 'stall', seq: 1, start: 3000, end: 3200, durationMs: 200, inProgressAtExit: false, phase: 'run' };

  it('gives an event-loop stall the profile of its samples, weighted as its causes are', () => {
    // JSON.parse sampled at 3150; pbkdf2Sync sampled at 3190, asked for at 3150 and served
    // 40 ms late: pbkdf2Sync ran from 3150. 150 ms and 50 ms, as the causes.
    const parse: RecordedFrame[] = [
      { file: null, line: null, column: null, function: 'JSON.parse' },
      { file: '/app/server.js', line: 30, column: 20, function: 'load' },
    ];
    const p = processRecording({
      process: processRecord(100, 1000),
      stalls: [window],
      samples: [sample(3150, parse), { ...sample(3190, PBKDF2, 3150) }],
      exit: exitRecord(4000, 1000),
    });
    const report = buildReport({ dir: '/rec', processes: [p] }, RUN);
    const [stall] = report.stalls;
    const stacks = stall!.profile!.stacks.map((s) => ({
      functions: s.frames.map((i) => report.frames[i]!.function),
      ms: s.durationMs,
      cause: stall!.causes[s.cause!]!.operation,
    }));
    expect(stacks).toEqual([
      { functions: ['JSON.parse', 'load'], ms: 150, cause: 'JSON.parse' },
      { functions: ['pbkdf2Sync', 'hash'], ms: 50, cause: 'crypto.pbkdf2Sync' },
    ]);
    expect(report.limits).toMatchObject({ omittedStacks: 0, omittedStackMs: 0, omittedGcPauses: 0 });
  });

  it('lists the longest GC pauses, in time order, and counts those left out', () => {
    // MAX_GC_PAUSES pauses of 1 ms, then one of 5 ms and one of 3 ms: two 1 ms pauses go.
    const pauses: GcRecord[] = Array.from({ length: MAX_GC_PAUSES }, (_, i) => ({ type: 'gc', start: 1000 + i, durationMs: 1, kind: 'minor' }));
    pauses.push({ type: 'gc', start: 500, durationMs: 5, kind: 'major' }, { type: 'gc', start: 400, durationMs: 3, kind: 'major' });
    const recording: Recording = { dir: '/rec', processes: [processRecording({ process: processRecord(7, 0), gcPauses: pauses })] };
    const report = buildReport(recording, RUN);
    expect(report.gcPauses).toHaveLength(MAX_GC_PAUSES);
    expect(report.gcPauses.slice(0, 2)).toEqual([
      { pid: 7, threadId: 0, start: 400, durationMs: 3, kind: 'major' },
      { pid: 7, threadId: 0, start: 500, durationMs: 5, kind: 'major' },
    ]);
    expect(report.limits.omittedGcPauses).toBe(2);
  });
});
