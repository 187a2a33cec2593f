import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caught } from './caught';
import { decodeProcessFile, readRecording } from '../../src/recording/decode';
import { RECORDING_VERSION, type ProcessRecord } from '../../src/recording/schema';
import * as records from './records';

function processRecord(pid: number, startedAt: number, extra: Partial<ProcessRecord> = {}): ProcessRecord {
  return records.processRecord(pid, startedAt, { argv: ['/usr/bin/node', '/app/a.js'], nodeVersion: 'v20.20.2', ...extra });
}

const lines = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

const STALL = { type: 'stall', seq: 1, start: 1100, end: 1400, durationMs: 300, inProgressAtExit: false, phase: 'run' };
const SAMPLE = { type: 'sample', seq: 1, requestedAt: 1200, at: 1390, frames: [{ file: '/app/a.js', line: 1, column: 1, function: 'f' }] };
const BLOCKED = { type: 'blocked', seq: 1, since: 1100, at: 1200 };
const EXIT = { type: 'exit', at: 2000, durationMs: 1000, exitCode: 0, eventLoopDelay: null, utilization: 0.5 };


describe('decodeProcessFile', () => {
  it('groups records by kind, in file order', () => {
    const p = decodeProcessFile('/rec/1.jsonl', lines(processRecord(1, 1000), BLOCKED, SAMPLE, STALL, EXIT))!;
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
    const p = decodeProcessFile('/rec/1.jsonl', text)!;
    expect(p.unreadableLines).toBe(1);
    expect(p.blocked).toHaveLength(1);
    expect(p.samples).toHaveLength(1);
    expect(p.stalls).toEqual([]);
    expect(p.exit).toBeUndefined();
    expect(p.lastSeenAt).toBe(1390);
  });

  it('lastSeenAt is the latest time of any record, the start when there is nothing else', () => {
    expect(decodeProcessFile('f', lines(processRecord(1, 1000)))!.lastSeenAt).toBe(1000);
    expect(decodeProcessFile('f', lines(processRecord(1, 1000), STALL, BLOCKED))!.lastSeenAt).toBe(1400);
  });

  it('throws RECORDING_VERSION for a version it does not know', () => {
    const err = caught(() => decodeProcessFile('/rec/1.jsonl', lines(processRecord(1, 1000, { recordingVersion: RECORDING_VERSION + 1 }), STALL)));
    expect(err.code).toBe('RECORDING_VERSION');
    expect(err.message).toContain('/rec/1.jsonl');
  });

  it('skips unknown record types', () => {
    const p = decodeProcessFile('f', lines(processRecord(1, 1000), { type: 'future-thing', at: 99999 }, STALL))!;
    expect(p.stalls).toEqual([STALL]);
    expect(p.samples).toEqual([]);
    expect(p.blocked).toEqual([]);
    expect(p.lastSeenAt).toBe(1400);
    expect(p.unreadableLines).toBe(0);
  });

  it('returns undefined without a process record', () => {
    expect(decodeProcessFile('f', lines(STALL, SAMPLE))).toBeUndefined();
    expect(decodeProcessFile('f', '')).toBeUndefined();
    expect(decodeProcessFile('f', '{"type":"proc')).toBeUndefined();
  });

  it('keeps records written before the process record', () => {
    const p = decodeProcessFile('f', lines(BLOCKED, processRecord(1, 1000), STALL))!;
    expect(p.blocked).toEqual([BLOCKED]);
    expect(p.stalls).toEqual([STALL]);
  });

  it('ignores blank lines', () => {
    const p = decodeProcessFile('f', '\n' + lines(processRecord(1, 1000)) + '\n\n' + lines(STALL))!;
    expect(p.stalls).toHaveLength(1);
    expect(p.unreadableLines).toBe(0);
  });
});

describe('readRecording', () => {
  const root = mkdtempSync(join(tmpdir(), 'loopwatch-decode-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads every .jsonl file and sorts processes by startedAt', () => {
    const dir = join(root, 'rec');
    mkdirSync(dir);
    // File names sort the other way round from start times.
    writeFileSync(join(dir, '100-aaaa.jsonl'), lines(processRecord(100, 5000), STALL));
    writeFileSync(join(dir, '200-bbbb.jsonl'), lines(processRecord(200, 1000)));
    writeFileSync(join(dir, 'notes.txt'), 'not a recording');
    writeFileSync(join(dir, '300-cccc.jsonl'), lines(STALL)); // no process record: nothing to report
    const recording = readRecording(dir);
    expect(recording.dir).toBe(dir);
    expect(recording.processes.map((p) => p.process.pid)).toEqual([200, 100]);
    expect(recording.processes[1]!.file).toBe(join(dir, '100-aaaa.jsonl'));
    expect(recording.processes[1]!.stalls).toHaveLength(1);
  });

  it('an empty directory is an empty recording', () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    expect(readRecording(dir)).toEqual({ dir, processes: [] });
  });

  it('throws RECORDING_UNREADABLE for a missing directory', () => {
    const missing = join(root, 'does-not-exist');
    const err = caught(() => readRecording(missing));
    expect(err.code).toBe('RECORDING_UNREADABLE');
    expect(err.message).toContain(missing);
  });

  it('throws RECORDING_VERSION when one file is from another version', () => {
    const dir = join(root, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, '1-a.jsonl'), lines(processRecord(1, 1000)));
    writeFileSync(join(dir, '2-b.jsonl'), lines(processRecord(2, 1000, { recordingVersion: 99 })));
    expect(caught(() => readRecording(dir)).code).toBe('RECORDING_VERSION');
  });
});
