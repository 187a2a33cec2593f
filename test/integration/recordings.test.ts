import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RECORDING_VERSION, RUN_MANIFEST_FILE, type RunManifest } from '../../src/recording/schema';
import type { Report } from '../../src/report/schema';
import { BIN, FIXTURES, ROOT, runCli } from './run-cli';

/**
 * A recording's data is never lost and never faked: what cannot be read is said (in
 * the report's warnings, or refused with a code), never reported as an all-clear.
 */
const root = mkdtempSync(join(tmpdir(), 'loopwatch-recordings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let made = 0;
const newDir = (name: string) => join(root, `${name}-${(made += 1)}`);

/** A kept recording of a real run of crypto-pbkdf2.js: its directory and its one process file. */
function keptRecording(): { dir: string; file: string; run: ReturnType<typeof runCli> } {
  const dir = newDir('kept');
  const run = runCli(['run', '--quiet', '--recording', dir, 'fixtures/crypto-pbkdf2.js']);
  expect(run.status).toBe(0);
  const [name] = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  return { dir, file: join(dir, name!), run };
}

function cli(args: string[], cwd = ROOT) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '' } });
}

function jsonReport(args: string[]): { status: number | null; stderr: string; report: Report | undefined } {
  const out = join(newDir('report'), 'report.json');
  mkdirSync(join(out, '..'));
  const result = cli([...args, '--json', out]);
  return { status: result.status, stderr: result.stderr, report: existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Report) : undefined };
}

describe('a kept recording gives the report its run gave', () => {
  it('run writes run.json, and report uses it: the same command, duration, exit status, everything', () => {
    const dir = newDir('same');
    // Through a shell: the command as run is sh's, which no process record can tell.
    const run = runCli(['run', '--recording', dir, '--', 'sh', '-c', `node ${join(FIXTURES, 'exit-code.js')}`]);
    expect(run.status).toBe(3);
    const manifest = JSON.parse(readFileSync(join(dir, RUN_MANIFEST_FILE), 'utf8')) as RunManifest;
    expect(manifest).toMatchObject({ type: 'run', recordingVersion: RECORDING_VERSION, exitCode: 3, signal: null, thresholdMs: 50, cwd: ROOT });
    expect(manifest.command[0]).toMatch(/\/sh$/);
    expect(manifest.durationMs).toBeGreaterThan(0);
    const again = jsonReport(['report', dir]);
    expect(again.status).toBe(0);
    expect(again.report).toEqual(run.report);
    expect(again.report!.command).toEqual(manifest.command);
    expect(again.report!.exitCode).toBe(3);
  });

  it('a run.json whose run never ended (loopwatch was stopped): the processes\' own facts, and a warning', () => {
    const { dir, run } = keptRecording();
    const manifestFile = join(dir, RUN_MANIFEST_FILE);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as RunManifest;
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, durationMs: null, exitCode: null }));
    const again = jsonReport(['report', dir]);
    expect(again.status).toBe(0);
    expect(again.report!.command).toEqual(run.report!.command);
    expect(again.report!.stalls).toEqual(run.report!.stalls);
    expect(again.report!.warnings).toEqual([`${manifestFile}: the run never ended (loopwatch was stopped before its command ended?): its duration and exit status are what its processes wrote`]);
  });

  it('a recording without run.json (loopwatch/register writes none) is still read, from its processes', () => {
    const { dir, run } = keptRecording();
    rmSync(join(dir, RUN_MANIFEST_FILE));
    const again = jsonReport(['report', dir]);
    expect(again.status).toBe(0);
    expect(again.report!.stalls).toEqual(run.report!.stalls);
    expect(again.report!.warnings).toEqual([]);
  });
});

describe('what is not a recording, or cannot be read, is refused (exit 2), never an all-clear', () => {
  it('a recording whose process record is damaged: report and check say which file and why', () => {
    const { dir, file } = keptRecording();
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, 20) + text.slice(text.indexOf('\n')));
    for (const args of [['report', dir], ['check', dir, '--fail-on-stall', '1000']]) {
      const result = cli(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(
        `loopwatch: ${file}: a watched process whose data cannot be read: its first line, where the process record belongs, is not JSON (damaged) [ERR_LOOPWATCH_RECORDING_UNREADABLE]\n`,
      );
      expect(result.stdout).toBe('');
    }
  });

  it('an empty directory, and a directory that is not a recording', () => {
    const empty = newDir('empty');
    mkdirSync(empty);
    const notes = newDir('notes');
    mkdirSync(notes);
    writeFileSync(join(notes, 'notes.txt'), 'hello\n');
    const events = newDir('events');
    mkdirSync(events);
    writeFileSync(join(events, 'events.jsonl'), '{"event":"click"}\n');
    const cases: Array<[string, RegExp]> = [
      [empty, /^loopwatch: .*empty-\d+ is empty: not a loopwatch recording \(loopwatch run --recording <dir> makes one\) \[ERR_LOOPWATCH_NOT_A_RECORDING\]\n$/],
      [notes, /^loopwatch: .*notes-\d+ is not a loopwatch recording: it has neither run\.json nor process files \(<pid>-<id>\.jsonl\) \[ERR_LOOPWATCH_NOT_A_RECORDING\]\n$/],
      [events, /^loopwatch: .*events-\d+ is not a loopwatch recording: it has no run\.json, and none of its \.jsonl files begins with a loopwatch process record \[ERR_LOOPWATCH_NOT_A_RECORDING\]\n$/],
    ];
    for (const [dir, message] of cases) {
      for (const args of [['report', dir], ['check', dir, '--fail-on-stall', '1000']]) {
        const result = cli(args);
        expect(result.status).toBe(2);
        expect(result.stderr).toMatch(message);
      }
    }
  });
});

describe('records that cannot be read are said, and the rest is reported', () => {
  it('valid JSON of the wrong shape ({"type":"stall"}, an exit without figures, a sample without frames): skipped, with file and line', () => {
    const { dir, file, run } = keptRecording();
    const lines = readFileSync(file, 'utf8').split('\n').length;
    appendFileSync(file, '{"type":"stall"}\n{"type":"exit"}\n{"type":"sample","seq":1,"requestedAt":1,"at":2}\n');
    const again = jsonReport(['report', dir]);
    expect(again.status).toBe(0);
    expect(again.report!.stalls).toEqual(run.report!.stalls);
    expect(again.report!.processes).toEqual(run.report!.processes);
    expect(again.report!.warnings).toEqual([`${file}:${lines}: skipped 3 records not of their type's shape (lines ${lines}, ${lines + 1}, ${lines + 2}); the first, a stall record: no 'seq' (a number)`]);
    // Every format has them: the text report prints them.
    const text = cli(['report', dir]);
    expect(text.stderr).toContain(`warning: ${file}:${lines}: skipped 3 records`);
  });

  it('a stall cut in half mid-file and garbage bytes appended: one warning with the count and the first line', () => {
    const { dir, file } = keptRecording();
    const lines = readFileSync(file, 'utf8').split('\n');
    const stallAt = lines.findIndex((l) => l.startsWith('{"type":"stall"'));
    lines[stallAt] = lines[stallAt]!.slice(0, 40);
    writeFileSync(file, lines.join('\n'));
    appendFileSync(file, Buffer.from([0xff, 0xfe, 0x00, 0x41]));
    const again = jsonReport(['report', dir]);
    expect(again.status).toBe(0);
    expect(again.report!.warnings).toEqual([`${file}:${stallAt + 1}: 2 unreadable lines (not JSON records) dropped (lines ${stallAt + 1}, ${lines.length})`]);
    // The stall's samples and probed call are still there; the stall record itself is lost.
    // (The fixture's truth recorder makes a short fs.writeSync of its own after startup.)
    const program = again.report!.syncIo.callSites.filter((c) => !c.callSite?.file?.endsWith('/fixtures/lib/truth.js'));
    expect(program.map((c) => c.operation)).toEqual(['crypto.pbkdf2Sync']);
  });

  it('a partial last line, as a process killed mid-write leaves: said gently, still counted', () => {
    const { dir, file } = keptRecording();
    const lines = readFileSync(file, 'utf8').split('\n').length;
    appendFileSync(file, '{"type":"blocked","seq":9,"si');
    const again = jsonReport(['report', dir]);
    expect(again.report!.warnings).toEqual([`${file}:${lines}: its last line is cut off, as when the process is killed while writing it: 1 record lost`]);
  });

  it('run says a process file whose data cannot be read, names it, keeps the recording, and exits 4', () => {
    const dir = newDir('run-unreadable');
    const script = `node ${join(FIXTURES, 'crypto-pbkdf2.js')} && printf '\\377\\376 garbage' > "$LOOPWATCH_RECORDING_DIR/999-damaged.jsonl"`;
    const run = runCli(['run', '--recording', dir, '--', 'sh', '-c', script]);
    const damaged = join(dir, '999-damaged.jsonl');
    expect(run.status).toBe(4);
    expect(run.stderr).toContain(`loopwatch: ${damaged}: a watched process whose data cannot be read: its first line, where the process record belongs, is not JSON (damaged) [ERR_LOOPWATCH_RECORDING_UNREADABLE]\n`);
    // The others are reported, and the report says what it lacks.
    expect(run.report!.processes).toHaveLength(1);
    expect(run.report!.stalls.filter((s) => s.phase === 'run').map((s) => s.operation)).toEqual(['crypto.pbkdf2Sync']);
    expect(run.report!.warnings).toEqual([
      `${damaged}: a watched process whose data cannot be read: its first line, where the process record belongs, is not JSON (damaged); it is not in this report`,
    ]);
    expect(run.stderr).toContain(`warning: ${damaged}: a watched process whose data cannot be read`);
  });

  it('run keeps a temporary recording it could not read all of, and says where', () => {
    const script = `node ${join(FIXTURES, 'quiet.js')} && : > "$LOOPWATCH_RECORDING_DIR/999-empty.jsonl"`;
    const run = runCli(['run', '--quiet', '--', 'sh', '-c', script]);
    expect(run.status).toBe(4);
    const kept = /loopwatch: the recording is kept in (\S+)\n/.exec(run.stderr);
    expect(kept).not.toBeNull();
    expect(readdirSync(kept![1]!)).toContain('999-empty.jsonl');
    expect(run.stderr).toContain('999-empty.jsonl: a watched process whose data cannot be read: it is empty');
    rmSync(kept![1]!, { recursive: true, force: true });
  });

  it('a run whose agent wrote no bad line has no warnings', () => {
    const { run } = keptRecording();
    expect(run.report!.warnings).toEqual([]);
  });
});

describe('a --recording directory holds one run', () => {
  it('a non-empty one is refused before anything runs', () => {
    const { dir } = keptRecording();
    const before = readdirSync(dir).sort();
    const marker = join(newDir('marker'), 'ran');
    const result = cli(['run', '--recording', dir, '--', 'sh', '-c', `touch ${marker}; node -e 0`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^loopwatch: --recording .*: is not empty \(2 entries; a recording of an earlier run\?\): a run records into a new or empty directory, never mixed with another; give another, or remove this one \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/);
    expect(existsSync(marker)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('an empty one is used', () => {
    const dir = newDir('empty-kept');
    mkdirSync(dir);
    const run = runCli(['run', '--quiet', '--recording', dir, 'fixtures/quiet.js']);
    expect(run.status).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    expect(readdirSync(dir)).toContain(RUN_MANIFEST_FILE);
  });
});
