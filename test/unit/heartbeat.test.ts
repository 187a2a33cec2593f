import { performance } from 'node:perf_hooks';
import { describe, expect, it, vi } from 'vitest';
import { Heartbeat } from '../../src/agent/heartbeat';
import { createHeartbeatBuffer, HeartbeatState } from '../../src/contract/heartbeat-state';
import type { StallRecord } from '../../src/recording/schema';

/**
 * Heartbeat.checkpoint's arithmetic, on a clock the test moves: a window's busy time is
 * its length less the loop's idle time in it; over the threshold it is a stall that
 * began that long before the checkpoint.
 */
function beating(thresholdMs = 50, intervalMs = 10) {
  const clock = { now: 1_000, idle: 200 };
  const stalls: StallRecord[] = [];
  const delays: number[] = [];
  const state = new HeartbeatState(createHeartbeatBuffer());
  const heartbeat = new Heartbeat(state, intervalMs, thresholdMs, (s) => stalls.push(s), () => {}, (ms) => delays.push(ms), {
    nowMs: () => clock.now,
    idleMs: () => clock.idle,
  });
  /** Moves the clock by `busyMs` of work and `idleMs` of waiting in epoll, then closes the window. */
  function window(busyMs: number, idleMs: number, inProgressAtExit = false): void {
    clock.now += busyMs + idleMs;
    clock.idle += idleMs;
    heartbeat.checkpoint(inProgressAtExit);
  }
  return { clock, stalls, delays, state, heartbeat, window };
}

describe('Heartbeat.checkpoint', () => {
  it('a window busy for longer than the threshold is a stall, ending now, starting its busy time before', () => {
    const { clock, stalls, window } = beating(50);
    window(120, 5);
    expect(stalls).toHaveLength(1);
    const [stall] = stalls;
    expect(stall!.durationMs).toBe(120);
    expect(stall!.end).toBe(performance.timeOrigin + clock.now);
    expect(stall!.start).toBe(performance.timeOrigin + clock.now - 120);
    expect(stall!.seq).toBe(0);
    expect(stall!.inProgressAtExit).toBe(false);
  });

  it('idle time in the window is not a stall, however long the window', () => {
    const { stalls, window } = beating(50);
    window(10, 500);
    window(49.9, 100);
    expect(stalls).toEqual([]);
  });

  it('busy exactly at the threshold is no stall; just over it is', () => {
    const { stalls, window } = beating(50);
    window(50, 0);
    expect(stalls).toHaveLength(0);
    window(50.01, 0);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]!.seq).toBe(1);
  });

  it('several short tasks between two beats add up (README: "What a stall is")', () => {
    const { stalls, window } = beating(50);
    // 3 tasks of 20 ms with 1 ms of idle between them, all before the next beat ran.
    window(60, 2);
    expect(stalls.map((s) => s.durationMs)).toEqual([60]);
  });

  it('each window publishes the next beat, and a checkpoint at exit marks its stall in progress', () => {
    const { stalls, state, window } = beating(50);
    window(5, 5);
    window(5, 5);
    expect(state.read().seq).toBe(2);
    window(80, 0, true);
    expect(stalls[0]).toMatchObject({ seq: 2, inProgressAtExit: true, durationMs: 80 });
  });

  it('reopenWindow leaves out the time before it: the agent\'s own start is no stall of the program', () => {
    const { clock, stalls, heartbeat, window } = beating(50);
    clock.now += 70; // the agent starting its probes and the watchdog
    heartbeat.reopenWindow();
    window(10, 0);
    expect(stalls).toEqual([]);
    clock.now += 70;
    window(0, 0);
    expect(stalls.map((s) => s.durationMs)).toEqual([70]);
  });

  it('records each beat\'s lateness past its interval as the delay, early beats as 0', () => {
    const { delays, heartbeat, window } = beating(50, 10);
    window(2, 8); // on time
    window(30, 0); // 20 ms late
    window(1, 4); // early
    expect(delays).toEqual([0, 20, 0]);
    const summary = heartbeat.delaySummary()!;
    // perf_hooks histograms keep 3 significant digits.
    expect(summary.maxMs).toBeCloseTo(20, 1);
    expect(summary.minMs).toBeLessThan(0.001);
  });
});

describe('Heartbeat beats', () => {
  it("the agent's own work after a beat is not in the next window: a stall starts where the program's task did", () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const clock = { now: 1_000, idle: 200 };
      const stalls: StallRecord[] = [];
      // After each beat the agent writes its records: 6 ms of its own work (seen in CI on a loaded machine).
      const agentWork = () => (clock.now += 6);
      const heartbeat = new Heartbeat(new HeartbeatState(createHeartbeatBuffer()), 10, 50, (s) => stalls.push(s), agentWork, undefined, {
        nowMs: () => clock.now,
        idleMs: () => clock.idle,
      });
      heartbeat.start();
      vi.advanceTimersByTime(10); // a beat, then the agent's 6 ms
      // The loop waits 3 ms in epoll, then the program's timer runs 80 ms.
      clock.idle += 3;
      clock.now += 3;
      const taskStart = clock.now;
      clock.now += 80;
      vi.advanceTimersByTime(10); // the beat after it
      heartbeat.stop();
      expect(stalls).toHaveLength(1);
      expect(stalls[0]!.start).toBe(performance.timeOrigin + taskStart);
      expect(stalls[0]!.durationMs).toBe(80);
    } finally {
      vi.useRealTimers();
    }
  });
});
