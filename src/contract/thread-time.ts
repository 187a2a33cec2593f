/**
 * Where a blocked thread's time went, read by the watchdog from Linux's per-thread
 * scheduler statistics (/proc/self/task/<tid>/schedstat: nanoseconds on a CPU,
 * nanoseconds runnable but waiting for one, time slices). A thread blocked in its own
 * JavaScript or a native call is on a CPU; one in a blocking system call (sync I/O,
 * Atomics.wait, a child's exit) is off it and not waiting; one the host did not run
 * (other processes or threads took the cores, a throttled container) waits for a CPU.
 *
 * Each agent tells the watchdog its thread's kernel id, from /proc/thread-self, which
 * Linux 3.17 and later have. Elsewhere the id is null and stalls carry no such split.
 */
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';

/** This thread's kernel thread id (Linux), or null where it cannot be known. */
export function ownKernelThreadId(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    // "<pid>/task/<tid>"
    const tid = Number(/\/task\/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1]);
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

export interface SchedReading {
  /** Nanoseconds this thread has run on a CPU, in all. */
  onCpuNs: number;
  /** Nanoseconds it was runnable but waited for a CPU, in all. */
  runQueueNs: number;
}

/** Reads one thread's schedstat; the file is opened at the first read and kept open. */
export class SchedStat {
  private fd: number | undefined;
  private failed = false;
  private readonly buffer = Buffer.alloc(128);

  constructor(private readonly tid: number | null) {}

  read(): SchedReading | undefined {
    if (this.tid === null || this.failed) return undefined;
    try {
      this.fd ??= openSync(`/proc/self/task/${this.tid}/schedstat`, 'r');
      const n = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
      const [onCpu, runQueue] = this.buffer.toString('latin1', 0, n).trim().split(' ').map(Number);
      if (!Number.isFinite(onCpu) || !Number.isFinite(runQueue)) throw new Error('unexpected schedstat');
      return { onCpuNs: onCpu!, runQueueNs: runQueue! };
    } catch {
      // The thread has ended, or this kernel keeps no schedstat: no split for its stalls.
      this.close();
      this.failed = true;
      return undefined;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
    this.fd = undefined;
  }
}
