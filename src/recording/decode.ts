import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoopwatchError } from '../errors';
import {
  RECORDING_VERSION,
  type BlockedRecord,
  type ExitRecord,
  type GcRecord,
  type PoolWaitRecord,
  type PoolWorkRecord,
  type ProcessRecord,
  type RecordingRecord,
  type SampleRecord,
  type StallRecord,
  type SyncCallRecord,
} from './schema';

/** Everything one process recorded, grouped by kind, in file order. */
export interface ProcessRecording {
  file: string;
  process: ProcessRecord;
  stalls: StallRecord[];
  samples: SampleRecord[];
  blocked: BlockedRecord[];
  syncCalls: SyncCallRecord[];
  poolWork: PoolWorkRecord[];
  poolWaits: PoolWaitRecord[];
  gcPauses: GcRecord[];
  /** Missing when the process was killed before its exit handlers ran. */
  exit?: ExitRecord;
  /** Time of the last record of any kind: how far the process is known to have run. */
  lastSeenAt: number;
  /** Lines that could not be read (a process killed mid-write leaves a partial last line). */
  unreadableLines: number;
}

export interface Recording {
  dir: string;
  processes: ProcessRecording[];
}

/** Reads a recording directory written by the agent. */
export function readRecording(dir: string): Recording {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.jsonl')).sort();
  } catch (err) {
    throw new LoopwatchError('RECORDING_UNREADABLE', `cannot read recording directory ${dir}: ${(err as Error).message}`);
  }
  const processes: ProcessRecording[] = [];
  for (const name of names) {
    const decoded = decodeProcessFile(join(dir, name), readFileSync(join(dir, name), 'utf8'));
    if (decoded) processes.push(decoded);
  }
  processes.sort((a, b) => a.process.startedAt - b.process.startedAt);
  return { dir, processes };
}

/** A process's recording before any record but its process record. */
export function newProcessRecording(file: string, process: ProcessRecord): ProcessRecording {
  return {
    file,
    process,
    stalls: [],
    samples: [],
    blocked: [],
    syncCalls: [],
    poolWork: [],
    poolWaits: [],
    gcPauses: [],
    lastSeenAt: process.startedAt,
    unreadableLines: 0,
  };
}

/** Decodes one process file; undefined when it holds no process record (nothing to report). */
export function decodeProcessFile(file: string, text: string): ProcessRecording | undefined {
  let current: ProcessRecording | undefined;
  let unreadableLines = 0;
  const pendingBeforeHeader: RecordingRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let record: RecordingRecord;
    try {
      record = JSON.parse(line) as RecordingRecord;
    } catch {
      unreadableLines += 1;
      continue;
    }
    if (typeof record !== 'object' || record === null) {
      unreadableLines += 1;
      continue;
    }
    if (record.type === 'process') {
      if (record.recordingVersion !== RECORDING_VERSION) {
        throw new LoopwatchError(
          'RECORDING_VERSION',
          `${file} is recording version ${record.recordingVersion}; this loopwatch reads version ${RECORDING_VERSION}`,
        );
      }
      current = newProcessRecording(file, record);
      for (const early of pendingBeforeHeader) add(current, early);
      continue;
    }
    if (current) add(current, record);
    else pendingBeforeHeader.push(record);
  }
  if (current) current.unreadableLines = unreadableLines;
  return current;
}

function add(into: ProcessRecording, record: RecordingRecord): void {
  switch (record.type) {
    case 'stall':
      into.stalls.push(record);
      break;
    case 'sample':
      into.samples.push(record);
      break;
    case 'blocked':
      into.blocked.push(record);
      break;
    case 'syncCall':
      into.syncCalls.push(record);
      break;
    case 'poolWork':
      into.poolWork.push(record);
      break;
    case 'poolWait':
      into.poolWaits.push(record);
      break;
    case 'gc':
      into.gcPauses.push(record);
      break;
    case 'exit':
      into.exit = record;
      break;
    default:
      // Unknown record types of the same version are skipped: readers stay forward compatible.
      return;
  }
  into.lastSeenAt = Math.max(into.lastSeenAt, endOf(record));
}

/** The last moment a record speaks of: how far its process is known to have run. */
function endOf(record: Exclude<RecordingRecord, { type: 'process' }>): number {
  switch (record.type) {
    case 'sample':
    case 'blocked':
    case 'exit':
      return record.at;
    case 'syncCall':
    case 'gc':
      return record.start + record.durationMs;
    default:
      return record.end;
  }
}
