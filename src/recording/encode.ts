import * as fs from 'node:fs';
import { originalOf } from '../contract/own-code';
import type { RecordingRecord } from './schema';

// The functions as Node.js has them, whether this module loads before the agent's probes
// replace them or after (another copy of loopwatch's agent watching this one's process):
// loopwatch's own writes are never the program's sync I/O.
const closeSync = originalOf(fs.closeSync);
const openSync = originalOf(fs.openSync);
const writeSync = originalOf(fs.writeSync);

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

  close(): void {
    closeSync(this.fd);
  }

  /** Several records in one write. */
  writeAll(records: RecordingRecord[]): void {
    if (records.length > 0) writeSync(this.fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}
