import { describe, expect, it, vi } from 'vitest';
import { requireTimings, StartupModules } from '../../src/agent/probes/startup-modules';
import { shellLike } from '../../src/agent/probes/wrap';
import { attributeStall } from '../../src/attribution/attribute';
import type { ProcessRecording } from '../../src/recording/decode';
import type { SampleRecord, StallRecord, StartupRecord, SyncCallRecord } from '../../src/recording/schema';
import { summarizeStartup } from '../../src/report/startup';
import { mainShare, startupUntil } from '../../src/report/to-text';
import { exitRecord, processRecord, processRecording } from './records';

const MAIN = '/app/server.js';

/** Process start at 1000; loopwatch's setup 1020..1045; the loop first turned at 1400. */
function startup(extra: Partial<StartupRecord> = {}): StartupRecord {
  return {
    type: 'startup',
    processStart: 1000,
    setupStart: 1020,
    setupEnd: 1045,
    loopStart: 1400,
    main: MAIN,
    modules: [
      { request: 'loopwatch-own', parent: null, start: 1030, durationMs: 2, depth: 0 },
      { request: './config', parent: MAIN, start: 1050, durationMs: 100, depth: 0 },
      { request: './defaults', parent: '/app/config.js', start: 1060, durationMs: 30, depth: 1 },
      { request: './routes', parent: MAIN, start: 1160, durationMs: 150, depth: 0 },
      { request: 'express', parent: '/app/routes.js', start: 1170, durationMs: 120, depth: 1 },
      { request: './handlers', parent: '/app/routes.js', start: 1291, durationMs: 10, depth: 1 },
    ],
    omitted: { count: 40, totalMs: 0.5 },
    ...extra,
  };
}

/** The startup stall: from the heartbeat's start, inside loopwatch's setup, to the first beat. */
const stall: StallRecord = { type: 'stall', seq: 0, start: 1040, end: 1402, durationMs: 362, inProgressAtExit: false, phase: 'startup' };
const settings = { pid: 1, sampleIntervalMs: 10 };

function requireCall(start: number, durationMs: number, target: string): SyncCallRecord {
  return { type: 'syncCall', operation: 'require', category: 'module', start, durationMs, phase: 'startup', frames: [{ file: MAIN, line: 3, column: 1, function: null }], target };
}

describe('a startup stall with no stack sample (the watchdog was not up yet)', () => {
  it("is loopwatch's setup, the require() calls the probes timed, and the main module's own code: no unknown", () => {
    const found = attributeStall(stall, { samples: [], syncCalls: [requireCall(1050, 100, './config'), requireCall(1160, 150, './routes')], gcPauses: [], startup: startup() }, settings);
    const causes = Object.fromEntries(found.causes.map((c) => [`${c.operation} ${c.callSite?.file ?? ''}:${c.callSite?.line ?? ''}`, Math.round(c.durationMs * 10) / 10]));
    expect(causes).toEqual({
      'loopwatch setup :': 5,
      [`require ${MAIN}:3`]: 250,
      // 1045..1400 less the two requires, and the 2 ms after the first turn.
      [`main module ${MAIN}:`]: 105,
      'unknown :': 2,
    });
    expect(found.causes.find((c) => c.operation === 'main module')!.category).toBe('js');
  });

  it('without the startup record, it stays unknown but for the probed calls', () => {
    const found = attributeStall(stall, { samples: [], syncCalls: [requireCall(1050, 100, './config')], gcPauses: [] }, settings);
    expect(found.causes.map((c) => c.operation).sort()).toEqual(['require', 'unknown']);
  });

  it('with stack samples, the samples name the main module’s lines; only loopwatch’s setup is taken from the record', () => {
    const sample: SampleRecord = { type: 'sample', seq: 0, requestedAt: 1349, at: 1350, frames: [{ file: MAIN, line: 20, column: 3, function: 'warm' }] };
    const found = attributeStall(stall, { samples: [sample], syncCalls: [], gcPauses: [], startup: startup() }, settings);
    expect(found.causes.map((c) => c.operation).sort()).toEqual(['loopwatch setup', 'warm']);
  });
});

describe('summarizeStartup', () => {
  function recording(record: StartupRecord | undefined): ProcessRecording {
    return processRecording({ process: processRecord(1, 1000), ...(record ? { startup: record } : {}), exit: exitRecord(2000, 1000) });
  }

  it("splits the time before the first turn: Node.js, loopwatch, the main module's requires and its own code", () => {
    const s = summarizeStartup(recording(startup()))!;
    expect(s).toMatchObject({ beforeLoopMs: 400, loopTurned: true, loopStartAt: 1400, nodeMs: 20, loopwatchMs: 25, main: MAIN, mainMs: 355, mainOwnMs: 105, omittedModules: 40 });
    // Longest first; loopwatch's own require (during its setup) is not the main module's.
    expect(s.modules.map((m) => [m.request, m.durationMs, m.ownMs])).toEqual([
      ['./routes', 150, 20],
      ['./config', 100, 70],
    ]);
    expect(s.modules[0]!.children).toEqual([
      { request: 'express', durationMs: 120 },
      { request: './handlers', durationMs: 10 },
    ]);
  });

  it('a process whose loop never turned: until its exit', () => {
    const s = summarizeStartup(recording(startup({ loopStart: null })))!;
    expect(s.loopTurned).toBe(false);
    expect(s.beforeLoopMs).toBe(1000);
  });

  it('an ES module main entry evaluated after the first turn (Node.js 20): startup lasts until it had run, and the report says so', () => {
    const s = summarizeStartup(recording(startup({ loopStart: 1100, mainEvaluated: 1600 })))!;
    expect(s).toMatchObject({ beforeLoopMs: 600, loopTurned: true, loopStartAt: 1100, mainEvaluatedAt: 1600, mainMs: 555 });
    expect(startupUntil(s)).toBe('until its ES module main entry had run (the event loop first turned at 100 ms, as Node.js loaded it)');
    expect(mainShare(s)).toBe('loading and running its ES modules');
    // The main module's interval of a stall without samples runs until then too.
    const stall: StallRecord = { type: 'stall', seq: 0, start: 1050, end: 1600, durationMs: 550, inProgressAtExit: false, phase: 'startup' };
    const found = attributeStall(stall, { samples: [], syncCalls: [], gcPauses: [], startup: startup({ loopStart: 1100, mainEvaluated: 1600 }) }, settings);
    expect(found.causes.find((c) => c.operation === 'main module')?.durationMs).toBeCloseTo(550, 6);
  });

  it('none without a startup record', () => {
    expect(summarizeStartup(recording(undefined))).toBeNull();
  });
});

describe('StartupModules: every require() before the first turn', () => {
  it('times nested calls with their depth, passes results and errors through, and stops once the loop turned', () => {
    let loopStart = -1;
    const timing = vi.spyOn(performance, 'nodeTiming', 'get').mockImplementation(() => ({ loopStart }) as typeof performance.nodeTiming);
    try {
      const modules = new StartupModules();
      const fakeRequire = shellLike(
        function (this: { filename: string }, request: unknown): unknown {
          if (typeof request !== 'string') throw new TypeError('The "id" argument must be of type string');
          const end = performance.now() + 1;
          while (performance.now() < end) {}
          if (request === './outer') return (fakeRequire as (r: string) => unknown).call({ filename: '/app/outer.js' }, './inner');
          return `loaded ${request}`;
        },
        requireTimings(modules, undefined),
      ) as (this: unknown, request: unknown) => unknown;
      expect(fakeRequire.call({ filename: '/app/main.js' }, './outer')).toBe('loaded ./inner');
      expect(() => fakeRequire.call({ filename: '/app/main.js' }, Symbol('x'))).toThrow('The "id" argument must be of type string');
      // (The call that threw is timed too, under its request's type, when it took 0.05 ms or more.)
      const listed = modules.take().modules.filter((m) => m.request !== 'symbol');
      expect(listed.map((m) => [m.request, m.parent, m.depth])).toEqual([
        ['./outer', '/app/main.js', 0],
        ['./inner', '/app/outer.js', 1],
      ]);
      expect(listed[0]!.durationMs).toBeGreaterThanOrEqual(2);
      // After the first turn: no more timing (take() also ends it).
      loopStart = 0;
      const later = new StartupModules();
      const again = shellLike(function (): string { return 'x'; }, requireTimings(later, undefined)) as () => string;
      expect(again()).toBe('x');
      expect(later.take().modules).toEqual([]);
    } finally {
      timing.mockRestore();
    }
  });
});
