import { describe, expect, it } from 'vitest';
import { captureFramesCut, MAX_FRAMES } from '../../src/agent/stack';
import { attributeStall } from '../../src/attribution/attribute';
import { UNKNOWN_NATIVE_CALL } from '../../src/attribution/late-samples';
import { attributeStack } from '../../src/attribution/stack-to-call-site';
import { runQueueWithin } from '../../src/attribution/thread-time';
import type { Recording } from '../../src/recording/decode';
import type { RecordedFrame, SampleRecord, StallRecord, ThreadTimeRecord } from '../../src/recording/schema';
import { buildReport, type RunInfo } from '../../src/report/build-report';
import { reportToText } from '../../src/report/to-text';
import { exitRecord, processRecord, processRecording } from './records';

/**
 * Long stalls in code that is not the program's: a dependency's tool run as the main
 * module (eslint, tsc). Its samples share no program frame; they share the dependency's
 * entry frame, and the stall is one cause there, with its hottest functions below it.
 */

const TOOL = '/proj/node_modules/busy-tool';
const ENTRY: RecordedFrame = { file: `${TOOL}/bin/busy-tool.js`, line: 12, column: 3, function: null };
const TIMERS: RecordedFrame = { file: 'node:internal/timers', line: 581, column: 17, function: 'listOnTimeout' };
const LINT: RecordedFrame = { file: `${TOOL}/lib/lint.js`, line: 7, column: 10, function: 'lintFiles' };
const visit = (fn: string, line: number): RecordedFrame => ({ file: `${TOOL}/lib/walk.js`, line, column: 5, function: fn });
const WALK: RecordedFrame = visit('walk', 30);
/** A sample in the tool: innermost the visitor it landed in, then the walker, the tool's entry, Node's timers. */
const inTool = (fn: string, line: number): RecordedFrame[] => [visit(fn, line), WALK, visit('walkFor', 37), LINT, ENTRY, TIMERS];

const VISITORS: Array<[string, number]> = [
  ['visitLeaf', 10],
  ['visitBlock', 24],
  ['visitMember', 16],
  ['visitLeaf', 10],
  ['visitCall', 13],
  ['visitBlock', 22],
  ['visitLeaf', 10],
  ['visitBinary', 19],
];

// A 400 ms stall, sampled every 40 ms from 1040 on: each sample in another visitor.
const STALL: StallRecord = { type: 'stall', seq: 1, start: 1000, end: 1400, durationMs: 400, inProgressAtExit: false, phase: 'run' };
const SAMPLES: SampleRecord[] = VISITORS.map(([fn, line], i) => ({ type: 'sample', seq: 1, requestedAt: 1039 + i * 45, at: 1040 + i * 45, frames: inTool(fn, line) }));

describe('attributeStack without a program frame', () => {
  const stack = inTool('visitLeaf', 10).map((f) => ({ ...f }));

  it("samples: the dependency's entry frame, the function it called as the operation", () => {
    expect(attributeStack(stack, undefined, 'entry')).toEqual({ callSite: ENTRY, operation: 'busy-tool.lintFiles', category: 'js' });
  });

  it('probed calls: the innermost dependency frame, the line that made the call (as before)', () => {
    expect(attributeStack(stack).callSite).toEqual(visit('visitLeaf', 10));
  });
});

describe("a long stall in a dependency's tool", () => {
  const settings = { pid: 100, sampleIntervalMs: 10 };

  it('is one cause at the entry frame, however the samples fell', () => {
    const found = attributeStall(STALL, { samples: SAMPLES, syncCalls: [], gcPauses: [] }, settings);
    expect(found.causes).toHaveLength(1);
    expect(found.causes[0]).toMatchObject({ callSite: ENTRY, operation: 'busy-tool.lintFiles', category: 'js', durationMs: 400, samples: 8 });
  });

  it('is one row in the report, with the functions its samples were in as its hottest', () => {
    const run: RunInfo = { command: ['node', ENTRY.file!], cwd: '/proj', thresholdMs: 50, startedAt: 900, durationMs: 1000, exitCode: 0, signal: null, toolVersion: '0.1.0-test' };
    const recording: Recording = { dir: '/rec', processes: [processRecording({ process: processRecord(100, 950), stalls: [STALL], samples: SAMPLES, exit: exitRecord(1500, 950) })] };
    const report = buildReport(recording, run);
    expect(report.callSites).toHaveLength(1);
    const [row] = report.callSites;
    expect(row).toMatchObject({ operation: 'busy-tool.lintFiles', totalMs: 400 });
    // Three samples in visitLeaf (40 + 45 + 45 ms), two in visitBlock (at two lines), one each
    // in the others (the last, visitBinary, also covers the end of the stall after it).
    expect(row!.hottest![0]).toMatchObject({ function: 'visitLeaf', file: `${TOOL}/lib/walk.js`, selfMs: 130 });
    expect(row!.hottest!.map((h) => h.function).sort()).toEqual(['visitBinary', 'visitBlock', 'visitCall', 'visitLeaf', 'visitMember']);
    const text = reportToText(report, { cwd: '/proj', color: false });
    expect(text).toContain(' 1. node_modules/busy-tool/bin/busy-tool.js:12:3\n    busy-tool.lintFiles (js): 1 stall, 400 ms total, 400 ms max\n    hottest: visitLeaf ');
    expect(text).not.toContain(' 2. ');
  });
});

describe('a sample late because the host did not run the thread', () => {
  // The first sample of a stall was asked for at 1039 and served at 1120, 81 ms late:
  // the watchdog's reads say the thread waited for a CPU for 75 ms of it.
  const late: SampleRecord = { ...SAMPLES[0]!, requestedAt: 1039, at: 1120 };
  const reads: ThreadTimeRecord[] = [
    { type: 'threadTime', seq: 1, from: 1039, to: 1120, onCpuMs: 6, runQueueMs: 75, watchdogLateMs: 2 },
    { type: 'threadTime', seq: 1, from: 1039, to: 1300, onCpuMs: 150, runQueueMs: 110, watchdogLateMs: 2 },
  ];
  const stall = (threadTimes: ThreadTimeRecord[]) =>
    attributeStall(STALL, { samples: [late, ...SAMPLES.slice(3)], syncCalls: [], gcPauses: [], threadTimes }, { pid: 100, sampleIntervalMs: 10 });

  it('keeps the code it resumed in, not native code whose call is not known', () => {
    expect(stall(reads).causes.map((c) => c.operation)).toEqual(['busy-tool.lintFiles']);
  });

  it('without the reads, the lateness reads as native code, as before', () => {
    expect(stall([]).causes.map((c) => c.operation)).toContain(UNKNOWN_NATIVE_CALL);
  });

  it('runQueueWithin spreads each stretch between reads evenly', () => {
    expect(runQueueWithin(reads, 1, 1039, 1120)).toBeCloseTo(75);
    // Half of the second stretch (35 ms of run queue over 180 ms).
    expect(runQueueWithin(reads, 1, 1120, 1210)).toBeCloseTo(17.5);
    expect(runQueueWithin(reads, 2, 1039, 1120)).toBe(0);
  });
});

describe('samples whose stacks were cut at the capture limit', () => {
  // A compiler deep in its checker: the agent keeps 64 frames, and the outer ones (the
  // tool's entry among them) are cut off. Each cut stack's outermost visible frame differs.
  const deep = (fn: string, outer: string): RecordedFrame[] => [visit(fn, 10), ...Array.from({ length: 60 }, (_, i) => visit(`${outer}${i}`, 100 + i))];
  const samples: SampleRecord[] = [
    { type: 'sample', seq: 1, requestedAt: 1039, at: 1040, frames: inTool('visitLeaf', 10) },
    { type: 'sample', seq: 1, requestedAt: 1099, at: 1100, frames: deep('visitLeaf', 'check'), cut: true },
    { type: 'sample', seq: 1, requestedAt: 1199, at: 1200, frames: deep('visitCall', 'bind'), cut: true },
    { type: 'sample', seq: 1, requestedAt: 1299, at: 1300, frames: deep('visitBlock', 'emit'), cut: true },
  ];

  it('take the call site of the nearest uncut sample of their stall: one cause, not one per depth', () => {
    const found = attributeStall(STALL, { samples, syncCalls: [], gcPauses: [] }, { pid: 100, sampleIntervalMs: 10 });
    expect(found.causes.map((c) => [c.callSite, c.operation, c.durationMs])).toEqual([[ENTRY, 'busy-tool.lintFiles', 400]]);
    // The profile keeps each sample's own stack.
    expect(found.sampled!.map((s) => s.stack[1]!.function)).toEqual(['walk', 'check0', 'bind0', 'emit0']);
  });

  it('a cut stack with a program frame keeps its own attribution', () => {
    const program: RecordedFrame = { file: '/proj/src/build.js', line: 4, column: 3, function: 'build' };
    const withProgram = samples.map((s, i) => (i === 2 ? { ...s, frames: [...s.frames.slice(0, 30), program] } : s));
    const found = attributeStall(STALL, { samples: withProgram, syncCalls: [], gcPauses: [] }, { pid: 100, sampleIntervalMs: 10 });
    expect(found.causes.some((c) => c.callSite?.file === program.file)).toBe(true);
  });
});

describe('the agent says when a stack was cut', () => {
  it('cut: a stack deeper than MAX_FRAMES; not cut: a shallow one', () => {
    const probe = () => captureFramesCut(probe);
    const down = (n: number): ReturnType<typeof probe> => (n === 0 ? probe() : down(n - 1));
    const shallow = down(0);
    const deepest = down(MAX_FRAMES + 10);
    expect(shallow.cut).toBe(false);
    expect(deepest.cut).toBe(true);
    expect(deepest.frames.length).toBeLessThanOrEqual(MAX_FRAMES);
  });
});
