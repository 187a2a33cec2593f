import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LoopwatchError } from '../errors';
import { isKnownType, manifestMisfit, recordMisfit } from './shapes';
import {
  PROCESS_FILE_NAME,
  READABLE_RECORDING_VERSIONS,
  RECORDING_VERSION,
  RUN_MANIFEST_FILE,
  type RunManifest,
  type BlockedRecord,
  type ExitRecord,
  type GcRecord,
  type PausedRecord,
  type PoolWaitRecord,
  type PoolWorkRecord,
  type ProcessRecord,
  type RecordingRecord,
  type SampleRecord,
  type StallRecord,
  type SyncCallRecord,
  type StartupRecord,
  type SyncSampleRecord,
  type ThreadEndRecord,
  type ThreadTimeRecord,
  type ThreadRecord,
  type TotalsRecord,
  type UnsampledRecord,
} from './schema';

/** Everything one process recorded, grouped by kind, in file order. */
export interface ProcessRecording {
  file: string;
  process: ProcessRecord;
  stalls: StallRecord[];
  samples: SampleRecord[];
  blocked: BlockedRecord[];
  /** Where the thread's time went in its stalls (Linux), by the stall's seq. */
  threadTimes: ThreadTimeRecord[];
  /** Stretches of its stalls it spent paused in a debugger. */
  paused: PausedRecord[];
  /** Stalls the watchdog saw but did not sample, and why. */
  unsampled: UnsampledRecord[];
  syncCalls: SyncCallRecord[];
  /** Calls under the sync-I/O threshold after startup, sampled per interval. */
  syncSamples: SyncSampleRecord[];
  /** What the time before the first turn of the event loop went to (main threads). */
  startup?: StartupRecord;
  poolWork: PoolWorkRecord[];
  poolWaits: PoolWaitRecord[];
  gcPauses: GcRecord[];
  /** Worker threads it started (a main thread's recording), watched or not. */
  threads: ThreadRecord[];
  /** Those that ended while it ran. */
  threadEnds: ThreadEndRecord[];
  /** Missing when the process was killed before its exit handlers ran, or the thread terminated. */
  exit?: ExitRecord;
  /**
   * A worker thread's recording without an exit record: when its main thread saw it end
   * (worker.terminate()), or the process's exit, whichever came first; else unknown.
   */
  endedAt?: number;
  /** The last running figures it wrote (what a killed process still tells). */
  totals?: TotalsRecord;
  /** Time of the last record of any kind: how far the process is known to have run. */
  lastSeenAt: number;
  /** Lines that could not be read (a process killed mid-write leaves a partial last line). */
  unreadableLines: number;
}

/**
 * A process file without a readable process record: a process that was watched and
 * whose data cannot be read (its records cannot be told apart from another process's).
 */
export interface UnreadableFile {
  file: string;
  /** Why, for a person: "its first line, the process record, is cut off". */
  problem: string;
}

export interface Recording {
  dir: string;
  processes: ProcessRecording[];
}

/** `this loopwatch reads versions 2 and 3`: what to say of a recording of another version. */
const READS = `this loopwatch reads ${READABLE_RECORDING_VERSIONS.length === 1 ? 'version' : 'versions'} ${READABLE_RECORDING_VERSIONS.join(' and ')} (it writes ${RECORDING_VERSION})`;

/** A recording as read from its directory: with its run.json, and what could not be read. */
export interface DecodedRecording extends Recording {
  /** run.json, when `loopwatch run` made the recording. */
  manifest?: RunManifest;
  unreadableFiles: UnreadableFile[];
  /**
   * What a reader of its report should know about the recording itself: records skipped
   * for their shape and lines that could not be read, at most one warning of each a file.
   */
  warnings: string[];
}

/**
 * Reads a recording directory: run.json if `loopwatch run` wrote one, and every process
 * file. Throws RECORDING_UNREADABLE for a directory it cannot read or a damaged run.json,
 * NOT_A_RECORDING for one that is not a recording (empty, or neither run.json nor a process
 * file), RECORDING_VERSION for another version's. A process file without a readable
 * process record is listed in `unreadableFiles`: each command decides what that means.
 */
export function readRecording(dir: string): DecodedRecording {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : `cannot read it (${code ?? (err as Error).message})`;
    throw new LoopwatchError('RECORDING_UNREADABLE', `recording ${dir}: ${why}`);
  }
  const hasManifest = names.includes(RUN_MANIFEST_FILE);
  const fileNames = names.filter((name) => name.endsWith('.jsonl'));
  if (!hasManifest && names.length === 0) {
    throw new LoopwatchError('NOT_A_RECORDING', `${dir} is empty: not a loopwatch recording (loopwatch run --recording <dir> makes one)`);
  }
  if (!hasManifest && fileNames.length === 0) {
    throw new LoopwatchError('NOT_A_RECORDING', `${dir} is not a loopwatch recording: it has neither ${RUN_MANIFEST_FILE} nor process files (<pid>-<id>.jsonl)`);
  }
  const recording: DecodedRecording = { dir, processes: [], unreadableFiles: [], warnings: [] };
  if (hasManifest) recording.manifest = readManifest(join(dir, RUN_MANIFEST_FILE));
  for (const name of fileNames) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      recording.unreadableFiles.push({ file, problem: `it cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      continue;
    }
    const decoded = decodeProcessFile(file, text);
    if (decoded.recording) {
      recording.processes.push(decoded.recording);
      recording.warnings.push(...decoded.warnings);
    } else {
      recording.unreadableFiles.push({ file, problem: decoded.problem! });
    }
  }
  if (!hasManifest && recording.processes.length === 0 && !fileNames.some((name) => PROCESS_FILE_NAME.test(name))) {
    throw new LoopwatchError(
      'NOT_A_RECORDING',
      `${dir} is not a loopwatch recording: it has no ${RUN_MANIFEST_FILE}, and none of its .jsonl files begins with a loopwatch process record`,
    );
  }
  recording.processes.sort((a, b) => a.process.startedAt - b.process.startedAt);
  endThreads(recording.processes);
  return recording;
}

/** RECORDING_UNREADABLE naming the process files whose data cannot be read, if there are any. */
export function unreadableFilesError(recording: DecodedRecording): LoopwatchError | undefined {
  const [first, ...more] = recording.unreadableFiles;
  if (!first) return undefined;
  const others = more.length === 0 ? '' : `; and ${more.length} more: ${more.map((u) => basename(u.file)).join(', ')}`;
  return new LoopwatchError('RECORDING_UNREADABLE', `${first.file}: a watched process whose data cannot be read: ${first.problem}${others}`);
}

function readManifest(file: string): RunManifest {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LoopwatchError('RECORDING_UNREADABLE', `${file} cannot be read (${printableError(err)}); remove it to report on the processes' files alone`);
  }
  const version = (value as { recordingVersion?: unknown } | null)?.recordingVersion;
  if (typeof version === 'number' && !READABLE_RECORDING_VERSIONS.includes(version)) {
    throw new LoopwatchError('RECORDING_VERSION', `${file} is recording version ${version}; ${READS}`);
  }
  const wrong = manifestMisfit(value);
  if (wrong) throw new LoopwatchError('RECORDING_UNREADABLE', `${file} is not a loopwatch run manifest (${wrong}); remove it to report on the processes' files alone`);
  return value as RunManifest;
}

function printableError(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** Sets when each worker thread that wrote no exit record ended, from its main thread's recording. */
export function endThreads(processes: ProcessRecording[]): void {
  for (const thread of processes) {
    const threadId = threadIdOf(thread);
    if (threadId === 0 || thread.exit) continue;
    const main = processes.find((p) => threadIdOf(p) === 0 && p.process.pid === thread.process.pid && p.process.startedAt <= thread.process.startedAt);
    if (!main) continue;
    const ends = [main.threadEnds.find((e) => e.threadId === threadId)?.at, main.exit?.at].filter((at) => at !== undefined);
    if (ends.length > 0) thread.endedAt = Math.min(...ends);
  }
}

/** The thread a recording file is of: 0 for a process's main thread. */
export function threadIdOf(p: ProcessRecording): number {
  return p.process.threadId ?? 0;
}

/** A process's recording before any record but its process record. */
export function newProcessRecording(file: string, process: ProcessRecord): ProcessRecording {
  return {
    file,
    process,
    stalls: [],
    samples: [],
    blocked: [],
    threadTimes: [],
    paused: [],
    unsampled: [],
    syncCalls: [],
    syncSamples: [],
    poolWork: [],
    poolWaits: [],
    gcPauses: [],
    threads: [],
    threadEnds: [],
    lastSeenAt: process.startedAt,
    unreadableLines: 0,
  };
}

export interface DecodedFile {
  /** Undefined when the file has no readable process record; `problem` says why. */
  recording?: ProcessRecording;
  problem?: string;
  /** Lines that could not be read and records skipped for their shape: one warning of each at most. */
  warnings: string[];
}

/** Line numbers listed in a warning, at most. */
const LINES_LISTED = 5;

/** Lines of one kind of problem in a file: how many, the first few, and what the first was. */
class LineProblems {
  count = 0;
  readonly lines: number[] = [];
  first = '';

  add(line: number, what = ''): void {
    if (this.count === 0) this.first = what;
    this.count += 1;
    if (this.lines.length < LINES_LISTED) this.lines.push(line);
  }

  /** `12, 15, 20` (`, ...` after the first few). */
  listed(): string {
    return this.lines.join(', ') + (this.count > this.lines.length ? ', ...' : '');
  }
}

/** What the first line says of a file that turns out to have no process record. */
const FIRST_LINE = {
  cut: 'its first line, the process record, is cut off (the process was killed as it started, or the disk is full?)',
  notJson: 'its first line, where the process record belongs, is not JSON (damaged)',
  empty: 'it is empty (the process was killed as it started, or the disk is full?)',
  other: (type: string) => `its first line is ${aRecord(type)}, not the process record`,
};

/** `a stall record`, `an exit record`. */
function aRecord(type: string): string {
  return `${/^[aeiou]/i.test(type) ? 'an' : 'a'} ${type} record`;
}

/**
 * Decodes one process file. A line that is not JSON is dropped, a record not of its
 * type's shape is skipped, records of unknown types are passed over (a newer agent's,
 * same version: readers stay forward compatible); the first two are said, once per file.
 */
export function decodeProcessFile(file: string, text: string): DecodedFile {
  let current: ProcessRecording | undefined;
  const pendingBeforeHeader: RecordingRecord[] = [];
  const unreadable = new LineProblems();
  const misfits = new LineProblems();
  let lastLineCut = false;
  /** What the first line was, when it was not a process record. */
  let firstLine: string | undefined;
  const lines = text.split('\n');
  // A file whose text does not end with a newline has a last line that was never finished.
  const unfinished = text.endsWith('\n') ? -1 : lines.length - 1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const first = firstLine === undefined && current === undefined && pendingBeforeHeader.length === 0 && unreadable.count + misfits.count === 0;
    const record = parseRecord(line);
    if (record === undefined) {
      // A process killed while writing a record leaves the start of one: `{"type":"sa`.
      const cut = i === unfinished && line.startsWith('{');
      lastLineCut ||= cut;
      unreadable.add(i + 1);
      if (first) firstLine = cut ? FIRST_LINE.cut : FIRST_LINE.notJson;
      continue;
    }
    const type = record.type;
    if (typeof type !== 'string') {
      misfits.add(i + 1, "a record without a 'type'");
      if (first) firstLine = "its first line is not a process record (it has no 'type')";
      continue;
    }
    if (!isKnownType(type)) {
      if (first) firstLine = FIRST_LINE.other(type);
      continue;
    }
    if (type === 'process' && typeof record.recordingVersion === 'number' && !READABLE_RECORDING_VERSIONS.includes(record.recordingVersion)) {
      throw new LoopwatchError('RECORDING_VERSION', `${file} is recording version ${record.recordingVersion}; ${READS}`);
    }
    const wrong = recordMisfit(record as { type: typeof type } & Record<string, unknown>);
    if (wrong || (type === 'process' && current)) {
      misfits.add(i + 1, wrong ? `${aRecord(type)}: ${wrong}` : 'a second process record');
      if (first) firstLine = type === 'process' ? `its process record is damaged: ${wrong}` : FIRST_LINE.other(type);
      continue;
    }
    if (type === 'process') {
      current = newProcessRecording(file, record as unknown as ProcessRecord);
      for (const early of pendingBeforeHeader) add(current, early);
      continue;
    }
    if (first) firstLine = FIRST_LINE.other(type);
    if (current) add(current, record as unknown as RecordingRecord);
    else pendingBeforeHeader.push(record as unknown as RecordingRecord);
  }
  if (!current) return { problem: firstLine ?? FIRST_LINE.empty, warnings: [] };
  current.unreadableLines = unreadable.count;
  const warnings: string[] = [];
  if (unreadable.count > 0) warnings.push(unreadableWarning(file, unreadable, lastLineCut));
  if (misfits.count > 0) warnings.push(misfitWarning(file, misfits));
  return { recording: current, warnings };
}

/** A line's record: a JSON object; undefined for a line that is not one. */
function parseRecord(line: string): ({ type?: unknown } & Record<string, unknown>) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function unreadableWarning(file: string, lines: LineProblems, lastLineCut: boolean): string {
  const cut = 'as when the process is killed while writing it';
  const at = `${file}:${lines.lines[0]}`;
  if (lastLineCut && lines.count === 1) return `${at}: its last line is cut off, ${cut}: 1 record lost`;
  const count = `${lines.count} unreadable ${lines.count === 1 ? 'line' : 'lines'} (not JSON records) dropped`;
  const where = lines.count === 1 ? '' : ` (lines ${lines.listed()})`;
  return `${at}: ${count}${where}${lastLineCut ? `; the last is cut off, ${cut}` : ''}`;
}

function misfitWarning(file: string, misfits: LineProblems): string {
  const at = `${file}:${misfits.lines[0]}`;
  if (misfits.count === 1) return `${at}: skipped ${misfits.first}`;
  return `${at}: skipped ${misfits.count} records not of their type's shape (lines ${misfits.listed()}); the first, ${misfits.first}`;
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
    case 'threadTime':
      into.threadTimes.push(record);
      break;
    case 'paused':
      into.paused.push(record);
      break;
    case 'unsampled':
      into.unsampled.push(record);
      break;
    case 'syncCall':
      into.syncCalls.push(record);
      break;
    case 'syncSample':
      into.syncSamples.push(record);
      break;
    case 'startup':
      into.startup = record;
      return;
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
    case 'thread':
      into.threads.push(record);
      return;
    case 'threadEnd':
      into.threadEnds.push(record);
      return;
    case 'totals':
      into.totals = record;
      break;
    default:
      // Unknown record types of the same version are skipped: readers stay forward compatible.
      return;
  }
  into.lastSeenAt = Math.max(into.lastSeenAt, endOf(record));
}

/** The last moment a record speaks of: how far its process is known to have run. */
function endOf(record: Exclude<RecordingRecord, { type: 'process' | 'thread' | 'threadEnd' | 'startup' }>): number {
  switch (record.type) {
    case 'sample':
    case 'blocked':
    case 'unsampled':
    case 'exit':
    case 'totals':
      return record.at;
    case 'threadTime':
    case 'paused':
      return record.to;
    case 'syncCall':
    case 'gc':
      return record.start + record.durationMs;
    default:
      return record.end;
  }
}
