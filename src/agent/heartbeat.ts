import { performance } from 'node:perf_hooks';
import type { DelaySummary, StallRecord } from '../recording/schema';
import type { HeartbeatState } from '../contract/heartbeat-state';
import { DelayHistograms } from './delay-histogram';
import { phaseAt } from './probes/clock';

export type StallListener = (stall: StallRecord) => void;

/** The clocks a heartbeat reads: performance.now(), and the loop's idle time in epoll (ms). */
export interface HeartbeatClock {
  nowMs(): number;
  idleMs(): number;
}

const NODE_CLOCK: HeartbeatClock = { nowMs: () => performance.now(), idleMs: () => idleTimeMs() };

/**
 * The main thread's heartbeat. A single unref'd interval timer does three jobs:
 * - it tells the watchdog thread that the loop is alive (shared memory);
 * - its lateness is the event-loop delay, recorded in perf_hooks histograms, with and
 *   without the beats a stall swallowed (delay-histogram.ts);
 * - when it runs late, it measures the stall that delayed it.
 *
 * How a stall is measured: between two beats the loop is either idle (waiting in
 * epoll, counted by libuv in performance.nodeTiming.idleTime) or busy. The busy time
 * between two beats is the time the loop could not get back to its timers: if it
 * exceeds the threshold, it is a stall that started when the loop last went idle
 * and ended now. This is exact to libuv's clock for a single long task; when several
 * tasks ran between two beats, their busy time adds up (see README, "What a stall is").
 * The agent's own work right after a beat is not in the window.
 */
export class Heartbeat {
  private seq = 0;
  private lastBeatMs: number;
  /** Where the current window's busy time is counted from: after the last beat's own work (onBeat). */
  private windowStartMs: number;
  private windowIdleMs: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly delay: DelayHistograms;

  constructor(
    private readonly state: HeartbeatState,
    private readonly intervalMs: number,
    private readonly thresholdMs: number,
    private readonly onStall: StallListener,
    /** Called after each beat, while the loop is free: work the agent put off until then. */
    private readonly onBeat: () => void = () => {},
    /** Called with each beat's lateness (ms), for a metric (production mode). */
    private readonly onDelay?: (lateMs: number) => void,
    private readonly clock: HeartbeatClock = NODE_CLOCK,
  ) {
    this.delay = new DelayHistograms(intervalMs);
    this.lastBeatMs = clock.nowMs();
    this.windowStartMs = this.lastBeatMs;
    this.windowIdleMs = clock.idleMs();
    this.state.publish(this.seq, this.lastBeatMs);
  }

  start(): void {
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(): void {
    this.checkpoint(false);
    this.onBeat();
    // What the agent did after the beat (its records, its totals) is loopwatch's work:
    // counted in the next window, it would make the program's next stall start earlier
    // and last longer than it did (a stall starts where the window's busy time would
    // have to begin).
    this.windowStartMs = this.clock.nowMs();
    this.windowIdleMs = this.clock.idleMs();
  }

  /**
   * Closes the current window: reports it as a stall when the loop was busy for longer
   * than the threshold, then opens the next one. Called by each beat and at exit.
   */
  checkpoint(inProgressAtExit: boolean): void {
    const nowMs = this.clock.nowMs();
    const idleMs = this.clock.idleMs();
    const busyMs = nowMs - this.windowStartMs - (idleMs - this.windowIdleMs);
    // How late the next beat is (or would have been, at exit).
    const lateMs = nowMs - this.lastBeatMs - this.intervalMs;
    this.delay.record(lateMs);
    this.onDelay?.(Math.max(0, lateMs));
    if (busyMs > this.thresholdMs) {
      const startMs = nowMs - busyMs;
      this.onStall({
        type: 'stall',
        seq: this.seq,
        start: performance.timeOrigin + startMs,
        end: performance.timeOrigin + nowMs,
        durationMs: busyMs,
        inProgressAtExit,
        phase: phaseAt(startMs),
      });
    }
    if (!inProgressAtExit) this.state.reopen();
    this.seq += 1;
    this.lastBeatMs = nowMs;
    this.windowStartMs = nowMs;
    this.windowIdleMs = idleMs;
    this.state.publish(this.seq, nowMs);
  }

  /**
   * Opens the current window again from now, leaving out the time since it opened: the
   * agent's own start (its probes, the watchdog thread: 15 to 70 ms on a loaded 2-core
   * machine) is loopwatch's cost, not a stall of the program's.
   */
  reopenWindow(): void {
    this.lastBeatMs = this.clock.nowMs();
    this.windowStartMs = this.lastBeatMs;
    this.windowIdleMs = this.clock.idleMs();
    this.state.publish(this.seq, this.lastBeatMs);
  }

  delaySummary(): DelaySummary | null {
    return this.delay.summary();
  }
}

/** Total time the loop spent idle in epoll, in ms (0 before the loop first ran). */
function idleTimeMs(): number {
  return performance.nodeTiming.idleTime;
}
