/**
 * Memory shared by the main thread and the watchdog thread. BigInt64 slots, always
 * accessed with Atomics, so no value is ever read torn.
 *
 * - SEQ, LAST_BEAT_US: written by the main thread at each beat, read by the watchdog.
 * - SESSION: 1 while the watchdog holds an inspector session on the main thread.
 * - CLOSE: 1 while the main thread is exiting and wants no session attached.
 *
 * Why CLOSE exists: Node prints "Waiting for the debugger to disconnect..." when a
 * process exits with an inspector session attached. The watchdog attaches only while
 * the loop is blocked, and an exit during a stall asks it to detach first (see
 * HeartbeatState.closeSession), so the program's output stays its own.
 */

const SEQ = 0;
/** performance.now() of the main thread at the last beat, in microseconds. */
const LAST_BEAT_US = 1;
const SESSION = 2;
const CLOSE = 3;
const SLOTS = 4;

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
    if (Atomics.load(this.slots, SESSION) === 1n) Atomics.wait(this.slots, SESSION, 1n, timeoutMs);
  }

  /** Main thread: the exit did not happen (an uncaught exception was handled); sessions are allowed again. */
  reopen(): void {
    if (Atomics.load(this.slots, CLOSE) === 1n) Atomics.store(this.slots, CLOSE, 0n);
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

  /** Watchdog: record whether a session is attached, and wake a main thread waiting for the detach. */
  setSessionAttached(attached: boolean): void {
    Atomics.store(this.slots, SESSION, attached ? 1n : 0n);
    Atomics.notify(this.slots, SESSION);
  }
}
