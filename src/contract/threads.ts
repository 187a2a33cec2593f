import type { PoolQueue } from '../recording/schema';

/**
 * How an agent in a worker thread joins its process's watchdog: a BroadcastChannel the
 * watchdog listens on, one per process. A worker thread's agent announces its heartbeat
 * (shared memory) and recording file when it starts, and says goodbye when it ends.
 *
 * The worker thread's agent only sends: it opens a channel for each message and closes
 * it at once, and never listens. On Node.js 22 and later, every message a BroadcastChannel
 * receives is dispatched as a MessageEvent of undici's, which loads undici into the
 * receiving thread: 30 to 45 ms of that thread's event loop at its first message (measured
 * on a 2-core machine, Node.js 24: a worker thread that only ran its own timers stalled
 * for that long, once, under loopwatch and never without it). The watchdog may start
 * after a worker thread has announced itself (a worker the main module starts at once),
 * so the thread announces itself again, less and less often, until the watchdog marks it
 * watched in its heartbeat's shared memory (HeartbeatState.markWatched).
 */
export function threadsChannelName(pid: number): string {
  return `loopwatch:threads:${pid}`;
}

export type ThreadMessage =
  | {
      type: 'watch';
      threadId: number;
      /** The name it was given (`new Worker(file, { name })`), where Node tells it (22 and later). */
      name: string | null;
      /** Its HeartbeatState. */
      heartbeat: SharedArrayBuffer;
      /** performance.timeOrigin of that thread: each thread has its own clock origin. */
      timeOrigin: number;
      /** Its kernel thread id (Linux), for where a stall's time went; null elsewhere. */
      tid: number | null;
      /** Where the watchdog appends that thread's blocked and sample records; null when nothing is recorded. */
      recordingFile: string | null;
    }
  | { type: 'unwatch'; threadId: number }
  /** A worker thread's program used these queues of libuv's threadpool, which is the process's (PoolUseState). */
  | { type: 'poolUsed'; queues: PoolQueue[] };
