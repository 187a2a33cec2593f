import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Stall } from '../../src/report/schema';
import { FIXTURES, readMarkers, runCli } from './run-cli';

/**
 * Where a stall's time went: on a CPU, waiting for one, or off it (asleep in a system
 * call). The watchdog reads the blocked thread's Linux scheduler statistics; each fixture
 * blocks in a way whose split is known, or reads its own statistics as its truth.
 */
const unavailable =
  process.platform !== 'linux'
    ? 'Linux only (/proc/<pid>/task/<tid>/schedstat)'
    : !existsSync('/proc/thread-self/schedstat')
      ? 'this kernel keeps no per-thread schedstat'
      : spawnSync('taskset', ['-c', '0', 'true']).status !== 0
        ? 'taskset cannot pin to CPU 0 here'
        : undefined;

/** The time the VM's host took from its CPUs (steal, in /proc/stat), ms, all CPUs together. */
function stealMs(): number {
  try {
    return Number(readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)[8] ?? 0) * 10;
  } catch {
    return 0;
  }
}

function runStall(fixture: string, label?: string): { stall: Stall; truth?: { ms: number; onCpuMs?: number; runQueueMs?: number }; stderr: string; status: number | null } {
  const run = runCli(['run', join('fixtures', fixture)]);
  const stalls = run.report!.stalls.filter((s) => s.kind === 'event-loop' && s.phase === 'run');
  const marker = label ? readMarkers(join(FIXTURES, fixture)).find((m) => m.label === label) : undefined;
  const stall = marker ? stalls.find((s) => s.causes.some((c) => c.callSite?.line === marker.line)) : stalls[0];
  expect(stall, `a stall in ${fixture}`).toBeDefined();
  const truth = label ? (run.truth.find((t) => t.label === label) as { ms: number; onCpuMs?: number; runQueueMs?: number } | undefined) : undefined;
  return { stall: stall!, truth, stderr: run.stderr, status: run.status };
}

describe.skipIf(unavailable !== undefined)(`where a stall's time went${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('a busy loop wanted a CPU all along: on one, or waiting for one', () => {
    const stolenBefore = stealMs();
    const { stall } = runStall('busy-loop.js');
    const stolen = stealMs() - stolenBefore;
    const t = stall.threadTime!;
    // The thread's time is read from when the watchdog first sees it blocked: half the
    // threshold in, later on a loaded machine (the stall begins soon after the watchdog
    // starts, and the watchdog too waits for a CPU). What it read was all wanting a CPU,
    // but for the time the VM's host took its CPUs (steal), when a thread neither runs nor
    // waits in the guest's run queue: 16 % of a CI run's window once. Allowed for, as
    // the host's steal over the whole run, both CPUs together: zero on a quiet host.
    expect(t.observedMs).toBeGreaterThan(stall.durationMs / 4);
    expect((t.onCpuMs + t.runQueueMs + stolen) / t.observedMs, `steal ${stolen} ms`).toBeGreaterThan(0.9);
  });

  it('execSync sleeps off the CPU while the child runs', () => {
    const { stall } = runStall('child-execsync.js');
    const t = stall.threadTime!;
    expect(t.offCpuMs / t.observedMs).toBeGreaterThan(0.8);
    expect(t.host).toBeUndefined();
  });

  it('a loop that shares its CPU with another process: the wait matches what the thread read itself', () => {
    const { stall, truth, stderr } = runStall('cpu-shared.js', 'shared');
    const t = stall.threadTime!;
    expect(truth!.runQueueMs! / truth!.ms).toBeGreaterThan(0.2);
    // The watchdog reads most of the stall, the fixture all of its loop: their shares agree.
    expect(Math.abs(t.runQueueMs / t.observedMs - truth!.runQueueMs! / truth!.ms)).toBeLessThan(0.15);
    expect(stall.operation).toBe('spin');
    expect(stderr).toMatch(/of which about [\d.]+ ms waiting for a CPU \(the host was busy\)/);
  });

  it('the gate does not count the time the host kept the thread waiting', () => {
    // A 400 ms loop that waited about half of it for a CPU is about 200 ms of the program's.
    const run = runCli(['run', '--fail-on-stall', '330', 'fixtures/cpu-shared.js']);
    const stall = run.report!.stalls.find((s) => s.operation === 'spin')!;
    expect(stall.durationMs).toBeGreaterThan(330);
    expect(run.status).toBe(0);
    expect(run.report!.verdict!.notes).toContainEqual(expect.stringMatching(/of the stalls was the host's, not the program's .*: not counted$/));
  });
});
