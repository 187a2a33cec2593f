import * as fs from 'node:fs';
import type { RecordingRecord } from './schema';

// Taken before the agent's probes replace fs's sync functions: the agent's own writes
// are not the program's sync I/O.
const { openSync, writeSync } = fs;

/**
 * Appends records to one process's recording file. Used by the agent's main thread
 * and by the watchdog thread, each with its own descriptor: the file is opened with
 * O_APPEND, so every line lands whole at the end, whichever thread writes it.
 * Writes are synchronous on purpose: a record must be on disk before the process can die.
 */
export class RecordingWriter {
  readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(record: RecordingRecord): void {
    writeSync(this.fd, JSON.stringify(record) + '\n');
  }

  /** Several records in one write. */
  writeAll(records: RecordingRecord[]): void {
    if (records.length > 0) writeSync(this.fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}
