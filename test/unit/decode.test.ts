import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caught } from './caught';
import { decodeProcessFile, readRecording, unreadableFilesError, type ProcessRecording } from '../../src/recording/decode';
import { RECORDING_VERSION, RUN_MANIFEST_FILE, type ProcessRecord, type RunManifest } from '../../src/recording/schema';
import * as records from './records';

function processRecord(pid: number, startedAt: number, extra: Partial<ProcessRecord> = {}): ProcessRecord {
  return records.processRecord(pid, startedAt, { argv: ['/usr/bin/node', '/app/a.js'], nodeVersion: 'v20.20.2', ...extra });
}

const lines = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

const STALL = { type: 'stall', seq: 1, start: 1100, end: 1400, durationMs: 300, inProgressAtExit: false, phase: 'run' };
const SAMPLE = { type: 'sample', seq: 1, requestedAt: 1200, at: 1390, frames: [{ file: '/app/a.js', line: 1, column: 1, function: 'f' }] };
const BLOCKED = { type: 'blocked', seq: 1, since: 1100, at: 1200 };
const EXIT = records.exitRecord(2000, 1000);

/** The process a file decodes to; fails the test when it has none. */
function decoded(file: string, text: string): ProcessRecording {
  const result = decodeProcessFile(file, text);
  expect(result.problem).toBeUndefined();
  return result.recording!;
}


describe('decodeProcessFile', () => {
  it('groups records by kind, in file order', () => {
    const p = decoded('/rec/1.jsonl', lines(processRecord(1, 1000), BLOCKED, SAMPLE, STALL, EXIT));
    expect(p.file).toBe('/rec/1.jsonl');
    expect(p.process.pid).toBe(1);
    expect(p.blocked).toEqual([BLOCKED]);
    expect(p.samples).toEqual([SAMPLE]);
    expect(p.stalls).toEqual([STALL]);
    expect(p.exit).toEqual(EXIT);
    expect(p.lastSeenAt).toBe(2000);
    expect(p.unreadableLines).toBe(0);
  });

  it('counts a truncated last line as unreadable and keeps the rest', () => {
    const text = lines(processRecord(1, 1000), BLOCKED, SAMPLE) + JSON.stringify(STALL).slice(0, 30);
    const p = decoded('/rec/1.jsonl', text);
    expect(p.unreadableLines).toBe(1);
    expect(p.blocked).toHaveLength(1);
    expect(p.samples).toHaveLength(1);
    expect(p.stalls).toEqual([]);
    expect(p.exit).toBeUndefined();
    expect(p.lastSeenAt).toBe(1390);
  });

  it('lastSeenAt is the latest time of any record, the start when there is nothing else', () => {
    expect(decoded('f', lines(processRecord(1, 1000))).lastSeenAt).toBe(1000);
    expect(decoded('f', lines(processRecord(1, 1000), STALL, BLOCKED)).lastSeenAt).toBe(1400);
  });

  it('throws RECORDING_VERSION for a version it does not know', () => {
    const err = caught(() => decodeProcessFile('/rec/1.jsonl', lines(processRecord(1, 1000, { recordingVersion: RECORDING_VERSION + 1 }), STALL)));
    expect(err.code).toBe('RECORDING_VERSION');
    expect(err.message).toContain('/rec/1.jsonl');
  });

  it('skips unknown record types', () => {
    const result = decodeProcessFile('f', lines(processRecord(1, 1000), { type: 'future-thing', at: 99999 }, STALL));
    expect(result.warnings).toEqual([]);
    const p = result.recording!;
    expect(p.stalls).toEqual([STALL]);
    expect(p.samples).toEqual([]);
    expect(p.blocked).toEqual([]);
    expect(p.lastSeenAt).toBe(1400);
    expect(p.unreadableLines).toBe(0);
  });

  it('says why a file has no process record: a process whose data cannot be read', () => {
    const problem = (text: string) => {
      const result = decodeProcessFile('f', text);
      expect(result.recording).toBeUndefined();
      return result.problem;
    };
    expect(problem(lines(STALL, SAMPLE))).toBe("its first line is a stall record, not the process record");
    expect(problem('')).toMatch(/^it is empty/);
    expect(problem('\n\n')).toMatch(/^it is empty/);
    // Cut off as it was written (no newline after it), or damaged in the middle of the file.
    expect(problem('{"type":"proc')).toMatch(/^its first line, the process record, is cut off/);
    expect(problem('{"type":"proc\n' + lines(STALL))).toBe('its first line, where the process record belongs, is not JSON (damaged)');
    expect(problem('\xff\xfe\n' + lines(STALL))).toBe('its first line, where the process record belongs, is not JSON (damaged)');
    const { pid: _pid, ...withoutPid } = processRecord(1, 1000);
    expect(problem(lines(withoutPid, STALL))).toBe("its process record is damaged: no 'pid' (a number)");
    expect(problem(lines({ ...processRecord(1, 1000), argv: ['node', 7] }))).toBe("its process record is damaged: 'argv[1]' is not a string");
  });

  it('keeps records written before the process record', () => {
    const p = decoded('f', lines(BLOCKED, processRecord(1, 1000), STALL));
    expect(p.blocked).toEqual([BLOCKED]);
    expect(p.stalls).toEqual([STALL]);
  });

  it('ignores blank lines', () => {
    const p = decoded('f', '\n' + lines(processRecord(1, 1000)) + '\n\n' + lines(STALL));
    expect(p.stalls).toHaveLength(1);
    expect(p.unreadableLines).toBe(0);
  });
});

describe('decodeProcessFile: records not of their shape', () => {
  it('skips a record that is valid JSON but not of its type, says where, and keeps the rest', () => {
    const text = lines(processRecord(1, 1000), { type: 'stall' }, BLOCKED, SAMPLE, STALL, EXIT);
    const result = decodeProcessFile('/rec/1.jsonl', text);
    const p = result.recording!;
    expect(p.stalls).toEqual([STALL]);
    expect(p.samples).toEqual([SAMPLE]);
    expect(p.exit).toEqual(EXIT);
    expect(result.warnings).toEqual(["/rec/1.jsonl:2: skipped a stall record: no 'seq' (a number)"]);
  });

  it('one warning a file however many: the count, the first lines, what the first was', () => {
    const { frames: _frames, ...withoutFrames } = SAMPLE;
    const text = lines(
      processRecord(1, 1000),
      STALL,
      { type: 'exit' },
      withoutFrames,
      { ...SAMPLE, frames: [{ ...SAMPLE.frames[0], line: '7' }] },
      { ...STALL, phase: 'later' },
      { seq: 1 },
      { ...SAMPLE, requestedAt: null },
      processRecord(2, 1000),
      EXIT,
    );
    const result = decodeProcessFile('/rec/1.jsonl', text);
    expect(result.recording!.stalls).toEqual([STALL]);
    expect(result.recording!.samples).toEqual([]);
    expect(result.recording!.process.pid).toBe(1);
    expect(result.recording!.exit).toEqual(EXIT);
    expect(result.warnings).toEqual([
      "/rec/1.jsonl:3: skipped 7 records not of their type's shape (lines 3, 4, 5, 6, 7, ...); the first, an exit record: no 'at' (a number)",
    ]);
  });

  it('names the field that is wrong, however deep', () => {
    const say = (record: unknown) => decodeProcessFile('f', lines(processRecord(1, 1000), record)).warnings[0];
    const { frames: _frames, ...withoutFrames } = SAMPLE;
    expect(say(withoutFrames)).toBe("f:2: skipped a sample record: no 'frames' (an array)");
    expect(say({ ...SAMPLE, frames: [SAMPLE.frames[0], { ...SAMPLE.frames[0], line: '7' }] })).toBe(
      "f:2: skipped a sample record: 'frames[1].line' is not a number or null",
    );
    expect(say({ ...SAMPLE, frames: [{ ...SAMPLE.frames[0], generated: { file: 3, line: 1, column: 1 } }] })).toBe(
      "f:2: skipped a sample record: 'frames[0].generated.file' is not a string",
    );
    expect(say({ ...STALL, phase: 'later' })).toBe("f:2: skipped a stall record: 'phase' is not \"startup\" or \"run\"");
    expect(say({ ...EXIT, gc: { ...EXIT.gc, byKind: { minor: { count: 1 } } } })).toBe("f:2: skipped an exit record: no 'gc.byKind.minor.totalMs' (a number)");
    // JSON's 1e999 is Infinity: no time of a recording.
    expect(decodeProcessFile('f', lines(processRecord(1, 1000)) + '{"type":"blocked","seq":1,"since":1e999,"at":2}\n').warnings[0]).toBe(
      "f:2: skipped a blocked record: 'since' is not a number",
    );
    expect(say({ type: 7 })).toBe("f:2: skipped a record without a 'type'");
  });

  it('takes every record the agent writes, optional fields included', () => {
    const all = [
      BLOCKED,
      { ...SAMPLE, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, spanStart: 1100 },
      { ...SAMPLE, frames: [{ file: null, line: null, column: null, function: null }, { ...SAMPLE.frames[0], generated: { file: '/app/a.ts', line: null, column: null } }] },
      STALL,
      { type: 'syncCall', operation: 'fs.readFileSync', category: 'fs', start: 1500, durationMs: 2, phase: 'run', frames: [], target: '/etc/hosts' },
      { type: 'poolWork', operation: 'dns.lookup', category: 'dns', start: 1500, end: 1600, inProgressAtExit: false, frames: [] },
      { type: 'poolWait', queue: 'dns', start: 1500, after: null, end: 1600, inProgressAtExit: true },
      { type: 'gc', start: 1700, durationMs: 1.5, kind: 'major' },
      { type: 'thread', threadId: 2, name: null, startedAt: 1800, watched: false },
      { ...EXIT, type: 'totals' },
      records.exitRecord(2000, 1000, { eventLoopDelay: null, threadpoolQueueWait: { work: { count: 1, p50Ms: 1, p99Ms: 1, maxMs: 1 }, dns: null } }),
    ];
    const result = decodeProcessFile('f', lines(processRecord(1, 1000), ...all));
    expect(result.warnings).toEqual([]);
    const p = result.recording!;
    expect(p.samples).toHaveLength(2);
    expect([p.syncCalls.length, p.poolWork.length, p.poolWaits.length, p.gcPauses.length, p.threads.length]).toEqual([1, 1, 1, 1, 1]);
    expect(p.totals).toBeDefined();
  });
});

describe('decodeProcessFile: lines that cannot be read', () => {
  it('a stall cut in half mid-file and garbage appended: one warning with the count and the first line', () => {
    const half = JSON.stringify(STALL).slice(0, 25);
    const text = lines(processRecord(1, 1000), BLOCKED) + half + '\n' + lines(SAMPLE, EXIT) + '\xff\xfe garbage';
    const result = decodeProcessFile('/rec/1.jsonl', text);
    expect(result.recording!.unreadableLines).toBe(2);
    expect(result.recording!.samples).toEqual([SAMPLE]);
    expect(result.recording!.exit).toEqual(EXIT);
    expect(result.warnings).toEqual(['/rec/1.jsonl:3: 2 unreadable lines (not JSON records) dropped (lines 3, 6)']);
  });

  it('a partial last line, as a process killed mid-write leaves: said gently, still counted', () => {
    const text = lines(processRecord(1, 1000), BLOCKED, SAMPLE) + JSON.stringify(STALL).slice(0, 30);
    const result = decodeProcessFile('/rec/1.jsonl', text);
    expect(result.recording!.unreadableLines).toBe(1);
    expect(result.warnings).toEqual(['/rec/1.jsonl:4: its last line is cut off, as when the process is killed while writing it: 1 record lost']);
  });

  it('a partial last line after other unreadable lines: one warning that says both', () => {
    const text = lines(processRecord(1, 1000)) + 'oops\n' + lines(BLOCKED) + JSON.stringify(STALL).slice(0, 30);
    expect(decodeProcessFile('f', text).warnings).toEqual([
      'f:2: 2 unreadable lines (not JSON records) dropped (lines 2, 4); the last is cut off, as when the process is killed while writing it',
    ]);
  });

  it('a JSON value that is not an object is not a record', () => {
    const result = decodeProcessFile('f', lines(processRecord(1, 1000), 42, 'stall', [STALL], null, STALL));
    expect(result.recording!.stalls).toEqual([STALL]);
    expect(result.warnings).toEqual(['f:2: 4 unreadable lines (not JSON records) dropped (lines 2, 3, 4, 5)']);
  });

  it('a clean file has no warnings', () => {
    expect(decodeProcessFile('f', lines(processRecord(1, 1000), BLOCKED, SAMPLE, STALL, EXIT)).warnings).toEqual([]);
  });
});

function manifest(extra: Partial<RunManifest> = {}): RunManifest {
  return {
    type: 'run',
    recordingVersion: RECORDING_VERSION,
    tool: { name: 'loopwatch', version: '0.1.0' },
    command: ['/usr/bin/npm', 'test'],
    cwd: '/app',
    startedAt: 900,
    thresholdMs: 50,
    syncIoThresholdMs: 1,
    durationMs: 1500,
    exitCode: 0,
    signal: null,
    ...extra,
  };
}

describe('readRecording', () => {
  const root = mkdtempSync(join(tmpdir(), 'loopwatch-decode-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  /** A new directory with these files in it. */
  const dirWith = (files: Record<string, string>) => {
    const dir = join(root, `d${(n += 1)}`);
    mkdirSync(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('reads every .jsonl file and sorts processes by startedAt', () => {
    // File names sort the other way round from start times.
    const dir = dirWith({
      '100-aaaa.jsonl': lines(processRecord(100, 5000), STALL),
      '200-bbbb.jsonl': lines(processRecord(200, 1000)),
      'notes.txt': 'not a recording',
    });
    const recording = readRecording(dir);
    expect(recording.dir).toBe(dir);
    expect(recording.processes.map((p) => p.process.pid)).toEqual([200, 100]);
    expect(recording.processes[1]!.file).toBe(join(dir, '100-aaaa.jsonl'));
    expect(recording.processes[1]!.stalls).toHaveLength(1);
    expect(recording.unreadableFiles).toEqual([]);
    expect(recording.warnings).toEqual([]);
    expect(recording.manifest).toBeUndefined();
  });

  it('reads run.json, the run\'s own facts', () => {
    const dir = dirWith({ [RUN_MANIFEST_FILE]: JSON.stringify(manifest()), '1-a.jsonl': lines(processRecord(1, 1000)) });
    expect(readRecording(dir).manifest).toEqual(manifest());
  });

  it('a run.json and no process file: a recording of a run that watched nothing', () => {
    const dir = dirWith({ [RUN_MANIFEST_FILE]: JSON.stringify(manifest()) });
    expect(readRecording(dir)).toEqual({ dir, manifest: manifest(), processes: [], unreadableFiles: [], warnings: [] });
  });

  it('lists a process file without a readable process record, with why, and reads the others', () => {
    const dir = dirWith({
      '1-a.jsonl': '{"type":"proc\n' + lines(STALL),
      '2-b.jsonl': lines(processRecord(2, 1000), STALL),
      '3-c.jsonl': '',
    });
    const recording = readRecording(dir);
    expect(recording.processes.map((p) => p.process.pid)).toEqual([2]);
    expect(recording.unreadableFiles).toEqual([
      { file: join(dir, '1-a.jsonl'), problem: 'its first line, where the process record belongs, is not JSON (damaged)' },
      { file: join(dir, '3-c.jsonl'), problem: 'it is empty (the process was killed as it started, or the disk is full?)' },
    ]);
    const err = unreadableFilesError(recording)!;
    expect(err.code).toBe('RECORDING_UNREADABLE');
    expect(err.toLine()).toBe(
      `loopwatch: ${join(dir, '1-a.jsonl')}: a watched process whose data cannot be read: its first line, where the process record belongs, is not JSON (damaged); and 1 more: 3-c.jsonl [ERR_LOOPWATCH_RECORDING_UNREADABLE]`,
    );
    expect(unreadableFilesError(readRecording(dirWith({ '2-b.jsonl': lines(processRecord(2, 1000)) })))).toBeUndefined();
  });

  it('a single process file whose first line is damaged is a recording that cannot be read, not an empty one', () => {
    const recording = readRecording(dirWith({ '1-a.jsonl': '{"type":"proc' }));
    expect(recording.processes).toEqual([]);
    expect(recording.unreadableFiles).toHaveLength(1);
  });

  it('gathers each file\'s warnings', () => {
    const dir = dirWith({ '1-a.jsonl': lines(processRecord(1, 1000), { type: 'stall' }) + '{"type"', '2-b.jsonl': lines(processRecord(2, 1000)) });
    expect(readRecording(dir).warnings).toEqual([
      `${join(dir, '1-a.jsonl')}:3: its last line is cut off, as when the process is killed while writing it: 1 record lost`,
      `${join(dir, '1-a.jsonl')}:2: skipped a stall record: no 'seq' (a number)`,
    ]);
  });

  it('NOT_A_RECORDING for an empty directory, and for one that is not a recording', () => {
    const empty = caught(() => readRecording(dirWith({})));
    expect(empty.code).toBe('NOT_A_RECORDING');
    expect(empty.message).toMatch(/is empty: not a loopwatch recording/);
    const notes = caught(() => readRecording(dirWith({ 'notes.txt': 'hello', 'report.json': '{}' })));
    expect(notes.code).toBe('NOT_A_RECORDING');
    expect(notes.message).toMatch(/has neither run\.json nor process files/);
    // JSON Lines of something else, named as the agent never names its files.
    const other = caught(() => readRecording(dirWith({ 'events.jsonl': lines({ event: 'click' }, { event: 'scroll' }) })));
    expect(other.code).toBe('NOT_A_RECORDING');
    expect(other.message).toMatch(/none of its \.jsonl files begins with a loopwatch process record/);
  });

  it('RECORDING_UNREADABLE for a missing directory or a file', () => {
    const missing = join(root, 'does-not-exist');
    const err = caught(() => readRecording(missing));
    expect(err.code).toBe('RECORDING_UNREADABLE');
    expect(err.message).toBe(`recording ${missing}: no such directory`);
    const file = join(dirWith({ 'x.txt': '' }), 'x.txt');
    expect(caught(() => readRecording(file)).message).toBe(`recording ${file}: not a directory`);
  });

  it('RECORDING_UNREADABLE for a damaged run.json, with the way out', () => {
    const process1 = { '1-a.jsonl': lines(processRecord(1, 1000)) };
    const cut = caught(() => readRecording(dirWith({ [RUN_MANIFEST_FILE]: JSON.stringify(manifest()).slice(0, 40), ...process1 })));
    expect(cut.code).toBe('RECORDING_UNREADABLE');
    expect(cut.message).toMatch(/run\.json cannot be read \(.*\); remove it to report on the processes' files alone$/);
    const { command: _command, ...withoutCommand } = manifest();
    const wrong = caught(() => readRecording(dirWith({ [RUN_MANIFEST_FILE]: JSON.stringify(withoutCommand), ...process1 })));
    expect(wrong.message).toMatch(/run\.json is not a loopwatch run manifest \(no 'command' \(an array\)\)/);
  });

  it('throws RECORDING_VERSION when one file, or run.json, is from another version', () => {
    const dir = dirWith({ '1-a.jsonl': lines(processRecord(1, 1000)), '2-b.jsonl': lines(processRecord(2, 1000, { recordingVersion: 99 })) });
    expect(caught(() => readRecording(dir)).code).toBe('RECORDING_VERSION');
    const newer = caught(() => readRecording(dirWith({ [RUN_MANIFEST_FILE]: JSON.stringify(manifest({ recordingVersion: 99 })) })));
    expect(newer.code).toBe('RECORDING_VERSION');
    expect(newer.message).toMatch(/run\.json is recording version 99; this loopwatch reads versions 2 and 3 \(it writes 3\)$/);
  });
});
