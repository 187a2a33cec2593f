import { describe, expect, it } from 'vitest';
import { runCli, toleranceMs } from './run-cli';

/**
 * The time before the event loop's first turn: fixtures/startup-modules.js requires two
 * modules (60 ms, and 30 ms with one of its own of 40 ms) and does 50 ms of its own work,
 * timing each itself.
 */
describe('startup: what the time before the first turn went to', () => {
  it("names each module require() loaded, timed, the main module's own code, and loopwatch's setup", () => {
    const run = runCli(['run', 'fixtures/startup-modules.js']);
    expect(run.status).toBe(0);
    const truth = (label: string) => {
      const found = run.truth.filter((t) => t.label === label);
      expect(found, `fixture recorded #${label}`).toHaveLength(1);
      return found[0]!.ms;
    };
    const startup = run.report!.processes[0]!.startup!;
    expect(startup.loopTurned).toBe(true);
    expect(startup.main).toMatch(/\/fixtures\/startup-modules\.js$/);
    const byRequest = new Map(startup.modules.map((m) => [m.request, m]));
    // The fixture's clock is around the require(), loopwatch's inside it: a little less, never more.
    for (const [request, label] of [['./lib/startup/config', 'require-config'], ['./lib/startup/routes', 'require-routes']] as const) {
      const m = byRequest.get(request);
      expect(m, request).toBeDefined();
      expect(m!.durationMs).toBeLessThanOrEqual(truth(label) + 0.5);
      expect(truth(label) - m!.durationMs, `${request}: ${m!.durationMs} ms vs the fixture's ${truth(label)} ms`).toBeLessThanOrEqual(toleranceMs(truth(label)));
    }
    const templates = byRequest.get('./lib/startup/routes')!.children.find((c) => c.request === './templates');
    expect(Math.abs(templates!.durationMs - truth('require-templates'))).toBeLessThanOrEqual(toleranceMs(truth('require-templates')));
    // Its own code: the 50 ms the fixture timed, and the few statements around (Node's read
    // and compile of the main file too).
    expect(startup.mainOwnMs).toBeGreaterThanOrEqual(truth('main-own-work') - 1);
    expect(startup.mainOwnMs).toBeLessThanOrEqual(truth('main-own-work') + 25);
    expect(startup.loopwatchMs).toBeGreaterThan(0);
    expect(startup.nodeMs).toBeGreaterThan(0);
    expect(startup.beforeLoopMs).toBeCloseTo(startup.nodeMs + startup.loopwatchMs + startup.mainMs, 3);
    // The startup stall's time before the first turn is all named: loopwatch's setup, the
    // requires, the main module (its lines, or the module itself when no sample was taken);
    // what is left unknown came after the first turn began, before the first heartbeat.
    const stalls = run.report!.stalls.filter((s) => s.phase === 'startup');
    expect(stalls.length).toBeGreaterThan(0);
    for (const s of stalls) {
      const unknownMs = s.causes.filter((c) => c.operation === 'unknown').reduce((n, c) => n + c.durationMs, 0);
      expect(unknownMs).toBeLessThanOrEqual(Math.max(0, s.start + s.durationMs - startup.loopStartAt!) + 0.01);
    }
    expect(run.stderr).toMatch(/startup: [\d.]+ (ms|s) before the event loop's first turn/);
    expect(run.stderr).toContain("loopwatch's own setup: ");
    // (The line is cut to 80 columns, and the figures' widths vary: the nested require may be cut.)
    expect(run.stderr).toMatch(/require \.\/lib\/startup\/routes: [\d.]+ ms \(its own [\d.]+ ms; \.\/t/);
  });
  it('an ES module main entry: its top-level code is startup on every Node.js, though Node.js 20 runs it after the loop first turned', () => {
    const run = runCli(['run', 'fixtures/esm-startup.mjs']);
    expect(run.status, run.stderr).toBe(0);
    const [topLevel] = run.truth.filter((t) => t.label === 'top-level') as unknown as Array<{ ms: number; loopStart: number }>;
    const [inTimer] = run.truth.filter((t) => t.label === 'in-timer');
    const report = run.report!;
    // Each call's time is the probe's, and the GC pauses during it, told apart at the same
    // line; a pause at that line may also have come after the call (placed by a sample).
    const calls = report.stalls.flatMap((s) =>
      s.causes
        .filter((c) => c.operation === 'crypto.pbkdf2Sync')
        .map((c) => {
          const gcMs = s.causes.filter((g) => g.category === 'gc' && g.callSite?.line === c.callSite?.line).reduce((n, g) => n + g.durationMs, 0);
          return { phase: s.phase, line: c.callSite?.line, ms: c.durationMs, gcMs };
        }),
    );
    const timedAs = (call: { ms: number; gcMs: number }, truthMs: number) => {
      expect(truthMs, JSON.stringify(call)).toBeGreaterThanOrEqual(call.ms - toleranceMs(truthMs));
      expect(truthMs, JSON.stringify(call)).toBeLessThanOrEqual(call.ms + call.gcMs + toleranceMs(truthMs));
    };
    // Line 9 at load, line 14 in the timer; each timed as the fixture timed it.
    const atLoad = calls.filter((c) => c.line === 9);
    const later = calls.filter((c) => c.line === 14);
    expect(atLoad, JSON.stringify(calls)).toHaveLength(1);
    expect(later, JSON.stringify(calls)).toHaveLength(1);
    timedAs(atLoad[0]!, topLevel!.ms);
    timedAs(later[0]!, inTimer!.ms);
    expect(atLoad[0]!.phase).toBe('startup');
    expect(later[0]!.phase).toBe('run');
    // The sync I/O section is what came after startup: the timer's call only.
    const afterStartup = report.syncIo.callSites.filter((c) => c.operation === 'crypto.pbkdf2Sync');
    expect(afterStartup.map((c) => c.callSite?.line)).toEqual([14]);
    const startup = report.processes[0]!.startup!;
    if (topLevel!.loopStart >= 0) {
      // Node.js 20: the loop had turned when the module's code ran. Startup lasts until it had run.
      expect(startup.mainEvaluatedAt).not.toBeNull();
      expect(startup.mainEvaluatedAt!).toBeGreaterThan(startup.loopStartAt!);
      expect(run.stderr).toMatch(/startup: [\d.]+ (ms|s) until its ES module main entry had run \(the event loop first turned at [\d.]+ (ms|s), as Node.js loaded it\)/);
    } else {
      expect(startup.mainEvaluatedAt).toBeNull();
      expect(run.stderr).toMatch(/startup: [\d.]+ (ms|s) before the event loop's first turn/);
    }
  });
});
