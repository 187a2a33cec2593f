import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import type { DelaySummary, StallRecord } from '../recording/schema';
import { HeartbeatState } from './heartbeat-state';

export type StallListener = (stall: StallRecord) => void;

const NS_PER_MS = 1e6;

/**
 * The main thread's heartbeat. A single unref'd interval timer does three jobs:
 * - it tells the watchdog thread that the loop is alive (shared memory);
 * - its lateness is the event-loop delay, recorded in a perf_hooks histogram;
 * - when it runs late, it measures the stall that delayed it.
 *
 * How a stall is measured: between two beats the loop is either idle (waiting in
 * epoll, counted by libuv in performance.nodeTiming.idleTime) or busy. The busy time
 * between two beats is the time the loop could not get back to its timers: if it
 * exceeds the threshold, it is a stall that started when the loop last went idle
 * and ended now. This is exact to libuv's clock for a single long task; when several
 * tasks ran between two beats, their busy time adds up (see README, "What a stall is").
 */
export class Heartbeat {
  private seq = 0;
  private lastBeatMs: number;
  private lastIdleMs: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly delay: RecordableHistogram = createHistogram();

  constructor(
    private readonly state: HeartbeatState,
    private readonly intervalMs: number,
    private readonly thresholdMs: number,
    private readonly onStall: StallListener,
    /** Called after each beat, while the loop is free: work the agent put off until then. */
    private readonly onBeat: () => void = () => {},
  ) {
    this.lastBeatMs = performance.now();
    this.lastIdleMs = idleTimeMs();
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
  }

  /**
   * Closes the current window: reports it as a stall when the loop was busy for longer
   * than the threshold, then opens the next one. Called by each beat and at exit.
   */
  checkpoint(inProgressAtExit: boolean): void {
    const nowMs = performance.now();
    const idleMs = idleTimeMs();
    const busyMs = nowMs - this.lastBeatMs - (idleMs - this.lastIdleMs);
    // How late the next beat is (or would have been, at exit). Histograms take positive
    // integers; a beat that came early counts as 1 ns late.
    const lateMs = nowMs - this.lastBeatMs - this.intervalMs;
    this.delay.record(Math.max(1, Math.round(lateMs * NS_PER_MS)));
    if (busyMs > this.thresholdMs) {
      const startMs = nowMs - busyMs;
      const loopStartMs = performance.nodeTiming.loopStart;
      this.onStall({
        type: 'stall',
        seq: this.seq,
        start: performance.timeOrigin + startMs,
        end: performance.timeOrigin + nowMs,
        durationMs: busyMs,
        inProgressAtExit,
        phase: loopStartMs < 0 || startMs < loopStartMs ? 'startup' : 'run',
      });
    }
    if (!inProgressAtExit) this.state.reopen();
    this.seq += 1;
    this.lastBeatMs = nowMs;
    this.lastIdleMs = idleMs;
    this.state.publish(this.seq, nowMs);
  }

  delaySummary(): DelaySummary | null {
    const h = this.delay;
    if (h.count === 0) return null;
    return {
      minMs: h.min / NS_PER_MS,
      p50Ms: h.percentile(50) / NS_PER_MS,
      p90Ms: h.percentile(90) / NS_PER_MS,
      p99Ms: h.percentile(99) / NS_PER_MS,
      maxMs: h.max / NS_PER_MS,
    };
  }
}

/** Total time the loop spent idle in epoll, in ms (0 before the loop first ran). */
function idleTimeMs(): number {
  return performance.nodeTiming.idleTime;
}
