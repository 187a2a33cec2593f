import { describe, expect, it } from 'vitest';
import { attributeStall } from '../../src/attribution/attribute';
import { threadTimeOf } from '../../src/attribution/thread-time';
import { hostShare } from '../../src/gate/evaluate';
import type { StallRecord, ThreadTimeRecord } from '../../src/recording/schema';
import type { Stall } from '../../src/report/schema';

const stall: StallRecord = { type: 'stall', seq: 7, start: 1000, end: 1400, durationMs: 400, inProgressAtExit: false, phase: 'run' };

function read(extra: Partial<ThreadTimeRecord>): ThreadTimeRecord {
  return { type: 'threadTime', seq: 7, from: 1030, to: 1330, onCpuMs: 300, runQueueMs: 0, watchdogLateMs: 1, ...extra };
}

describe('threadTimeOf: where a stall went, from the watchdog reads', () => {
  it('takes the last read of the stall, the one over most of it, and leaves other stalls alone', () => {
    const split = threadTimeOf(stall, [read({ to: 1130, onCpuMs: 100 }), read({ seq: 8, onCpuMs: 5 }), read({ onCpuMs: 290 })]);
    expect(split).toEqual({ observedMs: 300, onCpuMs: 290, runQueueMs: 0, offCpuMs: 10, watchdogLateMs: 1 });
  });

  it('waiting for a CPU for half of it or more is the host starving it', () => {
    expect(threadTimeOf(stall, [read({ onCpuMs: 140, runQueueMs: 150 })])!.host).toBe('starved');
    expect(threadTimeOf(stall, [read({ onCpuMs: 160, runQueueMs: 130 })])!.host).toBeUndefined();
  });

  it('a thread that barely ran while the watchdog itself was stopped: the whole process was', () => {
    expect(threadTimeOf(stall, [read({ onCpuMs: 10, runQueueMs: 0, watchdogLateMs: 250 })])!.host).toBe('stopped');
    // Asleep in a system call while the watchdog ran on time: sync I/O, not the host.
    expect(threadTimeOf(stall, [read({ onCpuMs: 10, runQueueMs: 0, watchdogLateMs: 3 })])!.host).toBeUndefined();
  });

  it('a clock that went backwards or a counter that overshoots is clamped, not trusted', () => {
    const split = threadTimeOf(stall, [read({ onCpuMs: 500, runQueueMs: 50 })])!;
    expect(split.onCpuMs).toBe(300);
    expect(split.runQueueMs).toBe(0);
    expect(split.offCpuMs).toBe(0);
  });
});

describe('attributeStall with a thread-time split', () => {
  const settings = { pid: 1, sampleIntervalMs: 10 };

  it('a stall with nothing of the program in it, mostly waiting for a CPU: the host, not unknown', () => {
    const found = attributeStall(stall, { samples: [], syncCalls: [], gcPauses: [], threadTimes: [read({ onCpuMs: 20, runQueueMs: 270 })] }, settings);
    expect(found.causes).toEqual([{ callSite: null, operation: 'waiting for a CPU', category: 'host', durationMs: 400, samples: 0, stack: [] }]);
    expect(found.threadTime!.host).toBe('starved');
  });

  it('a stall with no split stays unknown', () => {
    const found = attributeStall(stall, { samples: [], syncCalls: [], gcPauses: [] }, settings);
    expect(found.causes[0]!.category).toBe('unknown');
    expect(found.threadTime).toBeUndefined();
  });

  it("a stall of the program's code keeps its causes, with the split beside them", () => {
    const sample = { type: 'sample' as const, seq: 7, requestedAt: 1100, at: 1101, frames: [{ file: '/app/a.js', line: 3, column: 1, function: 'spin' }] };
    const found = attributeStall(stall, { samples: [sample], syncCalls: [], gcPauses: [], threadTimes: [read({ onCpuMs: 100, runQueueMs: 190 })] }, settings);
    expect(found.causes[0]!.operation).toBe('spin');
    expect(found.threadTime!.runQueueMs).toBe(190);
  });
});

describe("the gate's share of the host in a stall", () => {
  const withTime = (threadTime: Stall['threadTime']) => ({ threadTime }) as Stall;
  it('is the wait for a CPU over what was read; all but the CPU time of a stopped process; none without a split', () => {
    expect(hostShare(withTime({ observedMs: 200, onCpuMs: 100, runQueueMs: 100, offCpuMs: 0, watchdogLateMs: 0 }))).toBe(0.5);
    expect(hostShare(withTime({ observedMs: 200, onCpuMs: 20, runQueueMs: 0, offCpuMs: 180, watchdogLateMs: 190, host: 'stopped' }))).toBe(0.9);
    expect(hostShare(withTime(undefined))).toBe(0);
  });
});
