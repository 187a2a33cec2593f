/**
 * Memory shared by the main thread and the watchdog thread. BigInt64 slots, always
 * accessed with Atomics, so no value is ever read torn.
 *
 * - SEQ, LAST_BEAT_US: written by the main thread at each beat, read by the watchdog.
 * - SESSION: 1 while the watchdog holds an inspector session on the main thread, or is
 *   about to connect one.
 * - CLOSE: 1 while the main thread is exiting and wants no session attached.
 * - INSPECTOR_OPEN: 1 while the main thread's inspector listens on a port (`--inspect`,
 *   `--inspect-brk`, `inspector.open()`, SIGUSR1), so that a debugger can be attached:
 *   published by the main thread at each beat, read by the watchdog, which takes no stack
 *   samples then (each evaluated sample would be a script in the debugger's Sources).
 * - WATCHED: a worker thread's only: 1 once the watchdog watches it (it has its `watch`
 *   message), written by the watchdog, read by the thread's agent, which announces itself
 *   again until then (contract/threads.ts: why it never listens for an answer).
 *
 * Why CLOSE exists: Node prints "Waiting for the debugger to disconnect..." when a
 * process exits with an inspector session attached, and aborts the whole process
 * (an assertion in inspector_agent.cc) when a worker calls connectToMainThread()
 * while the main thread is tearing down. The watchdog attaches only while the loop is
 * blocked, and an exit asks it to detach first and waits (HeartbeatState.closeSession).
 *
 * The two sides write their own slot first and read the other's after (Atomics are
 * sequentially consistent): the watchdog claims SESSION, then looks at CLOSE; the main
 * thread sets CLOSE, then looks at SESSION. At least one of them sees the other, so a
 * session is never being connected while the main thread goes on with its exit.
 */

const SEQ = 0;
/** performance.now() of the main thread at the last beat, in microseconds. */
const LAST_BEAT_US = 1;
const SESSION = 2;
const CLOSE = 3;
const INSPECTOR_OPEN = 4;
const WATCHED = 5;
const SLOTS = 6;

export function createHeartbeatBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * BigInt64Array.BYTES_PER_ELEMENT);
}

export class HeartbeatState {
  private readonly slots: BigInt64Array;

  constructor(buffer: SharedArrayBuffer) {
    this.slots = new BigInt64Array(buffer);
  }

  /** Main thread: publish a beat. The time goes first, so a reader that sees the new seq sees its time. */
  publish(seq: number, nowMs: number): void {
    Atomics.store(this.slots, LAST_BEAT_US, BigInt(Math.round(nowMs * 1000)));
    Atomics.store(this.slots, SEQ, BigInt(seq));
  }

  /** Watchdog: the last beat's sequence number and its time in the main thread's performance.now() scale. */
  read(): { seq: number; lastBeatMs: number } {
    const seq = Number(Atomics.load(this.slots, SEQ));
    const lastBeatMs = Number(Atomics.load(this.slots, LAST_BEAT_US)) / 1000;
    return { seq, lastBeatMs };
  }

  /**
   * Main thread, on its way out: asks the watchdog to detach its session and waits
   * (blocking, at most timeoutMs) until it has. Returns at once when none is attached.
   */
  closeSession(timeoutMs: number): void {
    Atomics.store(this.slots, CLOSE, 1n);
    Atomics.notify(this.slots, CLOSE);
    const deadline = performance.now() + timeoutMs;
    // A wait can wake with the slot still 1 (a notify from another store); wait again until the deadline.
    while (Atomics.load(this.slots, SESSION) === 1n) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      Atomics.wait(this.slots, SESSION, 1n, left);
    }
  }

  /** Main thread: the exit did not happen (an uncaught exception was handled); sessions are allowed again. */
  reopen(): void {
    if (Atomics.load(this.slots, CLOSE) === 1n) Atomics.store(this.slots, CLOSE, 0n);
  }

  /** Main thread: whether a debugger can attach to this thread now (its inspector listens on a port). */
  publishInspectorOpen(open: boolean): void {
    const value = open ? 1n : 0n;
    if (Atomics.load(this.slots, INSPECTOR_OPEN) !== value) Atomics.store(this.slots, INSPECTOR_OPEN, value);
  }

  /** Watchdog: the main thread's inspector listened on a port at its last beat. */
  inspectorOpen(): boolean {
    return Atomics.load(this.slots, INSPECTOR_OPEN) === 1n;
  }

  /** Watchdog: it watches this (worker) thread. */
  markWatched(): void {
    if (Atomics.load(this.slots, WATCHED) === 0n) Atomics.store(this.slots, WATCHED, 1n);
  }

  /** A worker thread's agent: whether the watchdog watches it yet. */
  watched(): boolean {
    return Atomics.load(this.slots, WATCHED) === 1n;
  }

  closing(): boolean {
    return Atomics.load(this.slots, CLOSE) === 1n;
  }

  /** Watchdog: resolves when the main thread asks for the session to be closed. */
  async untilCloseRequested(): Promise<void> {
    while (!this.closing()) {
      const waiting = Atomics.waitAsync(this.slots, CLOSE, 0n);
      if (waiting.async) await waiting.value;
    }
  }

  /**
   * Watchdog, before it connects a session: claims the right to, unless the main thread
   * is exiting. On true, connect, and call sessionDetached() once it is gone (or the
   * connection failed).
   */
  claimSession(): boolean {
    Atomics.store(this.slots, SESSION, 1n);
    if (Atomics.load(this.slots, CLOSE) === 0n) return true;
    this.sessionDetached();
    return false;
  }

  /** Watchdog: no session is attached any more; wakes a main thread waiting for the detach. */
  sessionDetached(): void {
    Atomics.store(this.slots, SESSION, 0n);
    Atomics.notify(this.slots, SESSION);
  }
}
