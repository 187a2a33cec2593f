import type { StallFinding } from '../attribution/attribute';
import type { RecordingRecord } from '../recording/schema';

/**
 * Messages between the agent (main thread) and its watchdog thread, beside their shared
 * memory. Only in live mode do records travel: the main thread sends what it measured
 * (stalls, probed calls, GC pauses, threadpool work), the watchdog answers with each
 * stall attributed.
 */
export type ToWatchdog =
  | { type: 'records'; records: RecordingRecord[] }
  /** A worker thread of the program ended: its heartbeat stops without its agent saying goodbye (worker.terminate()). */
  | { type: 'threadEnded'; threadId: number }
  /** Stop: detach, stop every timer, and let the thread end. */
  | { type: 'stop' };

export type FromWatchdog =
  | { type: 'stall'; stall: StallFinding }
  /** Findings the watchdog could not make (an error in attribution), said once each for NODE_DEBUG. */
  | { type: 'problem'; message: string };
