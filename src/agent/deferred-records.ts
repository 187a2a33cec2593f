import type { RecordingRecord } from '../recording/schema';

/**
 * Records that the probes hand over while the program's call is still on the stack,
 * built and written later: formatting a stack and writing a line cost about 80 µs,
 * which the program would otherwise feel inside every recorded call. The heartbeat
 * flushes them (every 10 ms while the loop is free), and so does the exit handler;
 * a process killed outright loses what came since the last beat.
 */
export class DeferredRecords {
  private pending: Array<() => RecordingRecord> = [];

  constructor(private readonly writeAll: (records: RecordingRecord[]) => void) {}

  add(make: () => RecordingRecord): void {
    this.pending.push(make);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const records: RecordingRecord[] = [];
    for (const make of batch) {
      try {
        records.push(make());
      } catch {
        // A record that cannot be built is lost alone.
      }
    }
    this.writeAll(records);
  }
}
