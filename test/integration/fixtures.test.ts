import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Stall, StallCause } from '../../src/report/schema';
import { FIXTURES, readMarkers, runCli, sampledToleranceMs, toleranceMs, type Marker } from './run-cli';

/**
 * Every fixture blocks in a known way, on lines marked `// stall: <category> <operation> #<label>`,
 * and records how long each blocking call took by its own clock. The real CLI runs each
 * fixture; every marked call must be found at its line, named and categorized as
 * marked, and timed within max(5 ms, 5 %) of the fixture's own figure; and nothing
 * else may be reported once the program runs (startup stalls, before the event loop's
 * first turn, are module loading and are checked apart).
 */
const CASES: Array<{ fixture: string; markerFiles?: string[]; exitCode?: number }> = [
  { fixture: 'crypto-pbkdf2.js' },
  { fixture: 'crypto-scrypt.js' },
  { fixture: 'bcryptjs-hash.js' },
  { fixture: 'fs-read-large.js' },
  { fixture: 'fs-write-fsync.js' },
  { fixture: 'dns-sync.js' },
  { fixture: 'child-execsync.js' },
  { fixture: 'zlib-gzip.js' },
  { fixture: 'json-parse.js' },
  { fixture: 'regex-backtrack.js' },
  { fixture: 'busy-loop.js' },
  { fixture: 'http-server.js' },
  { fixture: 'http-otel.js' },
  { fixture: 'esm-pbkdf2.mjs' },
  { fixture: 'two-in-one-callback.js' },
  { fixture: 'worker-threads.js' },
  { fixture: 'worker-stall.js' },
  { fixture: 'child-node.js', markerFiles: ['lib/child-stall.js'] },
  { fixture: 'crash-in-stall.js', exitCode: 1 },
  { fixture: 'exit-in-stall.js' },
];

/** Finds, in time order, the stalls with a cause at the marker's line, and that cause. */
function causesAt(stalls: Stall[], marker: Marker): Array<{ stall: Stall; cause: StallCause }> {
  const found: Array<{ stall: Stall; cause: StallCause }> = [];
  for (const stall of stalls) {
    const atLine = stall.causes.filter((c) => c.callSite?.file === marker.file && c.callSite.line === marker.line);
    // A GC pause during the call is a cause at the same line too: the call is the other one.
    const cause = atLine.find((c) => c.category !== 'gc') ?? atLine[0];
    if (cause) found.push({ stall, cause });
  }
  return found;
}

describe('each fixture is attributed to its marked lines', () => {
  for (const { fixture, markerFiles, exitCode = 0 } of CASES) {
    it(fixture, () => {
      const run = runCli(['run', join('fixtures', fixture)]);
      expect(run.stderr).not.toContain('Waiting for the debugger');
      expect(run.status).toBe(exitCode);
      const report = run.report!;
      expect(report.exitCode).toBe(exitCode);
      const runStalls = report.stalls.filter((s) => s.kind === 'event-loop' && s.phase === 'run');
      const markers = (markerFiles ?? [fixture]).flatMap((f) => readMarkers(join(FIXTURES, f)));
      expect(markers.length).toBeGreaterThan(0);

      const attributed = new Set<Stall>();
      for (const marker of markers) {
        const truths = run.truth.filter((t) => t.label === marker.label);
        expect(truths.length, `fixture recorded #${marker.label}`).toBeGreaterThan(0);
        const found = causesAt(runStalls, marker);
        // The failure message lists every stall of the report with its phase and causes: where the time went.
        const described = () =>
          report.stalls.map((s) => `thread ${s.threadId} ${s.kind}/${s.phase} ${s.durationMs} ms: ${s.causes.map((c) => `${c.operation} ${c.category} :${c.callSite?.line ?? '?'} ${c.durationMs}`).join(', ')}`).join('; ');
        expect(found.length, `stalls at ${fixture}:${marker.line} (#${marker.label}) among ${described()}`).toBe(truths.length);
        found.forEach(({ stall, cause }, i) => {
          const truth = truths[i]!;
          expect(cause.operation).toBe(marker.operation);
          expect(cause.category).toBe(marker.category);
          expect(stall.pid).toBe(truth.pid);
          expect(stall.threadId).toBe(truth.threadId);
          // The fixture times its line's statement: the call, the GC pauses during it and
          // the line's own JavaScript around it. loopwatch gives the pauses causes of their
          // own at that line (gc.minor, ...): they are the line's time (under load a minor GC
          // in bcryptjs.hashSync took 84 ms of a 1.3 s call). For a probed call, the
          // JavaScript placed at its line is what ran after the call returned, up to the
          // next sample (the rest of the handler, its caller's), after the fixture's clock
          // stopped: the call's truth is the call and its GC pauses.
          const exactCall = stall.causes.some((c) => c.exact && c.operation === marker.operation && c.callSite?.line === marker.line);
          const atLine = stall.causes.filter(
            (c) => c.callSite?.file === marker.file && c.callSite.line === marker.line && (!exactCall || c.operation === marker.operation || c.category === 'gc'),
          );
          const lineMs = atLine.reduce((sum, c) => sum + c.durationMs, 0);
          expect(Math.abs(lineMs - truth.ms), `duration ${lineMs} (${atLine.map((c) => `${c.operation} ${c.durationMs}`).join(' + ')}) vs truth ${truth.ms}`).toBeLessThanOrEqual(
            exactCall ? toleranceMs(truth.ms) : sampledToleranceMs(truth.ms),
          );
          if (truth.traceId) {
            expect(stall.traceId).toBe(truth.traceId);
            expect(stall.spanId).toBe(truth.spanId);
          }
        });
        for (const { stall } of found) attributed.add(stall);
      }
      // Quiet phases: no other stall once the program runs.
      expect(runStalls.length).toBe(attributed.size);
      // The text report names the line of the biggest call site.
      const top = report.callSites[0]!;
      expect(run.stderr).toContain(`:${top.callSite!.line}:`);
      expect(run.stderr).toContain(top.operation);
    });
  }
});
