import { Command, Option } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spellOutBareFlags } from '../../src/cli/options';
import { checkOutputDir, checkRecordingDir } from '../../src/cli/outputs';
import { readReportInput } from '../../src/cli/report';
import { caught } from './caught';

const root = mkdtempSync(join(tmpdir(), 'loopwatch-report-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A program with loopwatch's shape: `run` passes everything after its first operand through. */
function program(): Command {
  const p = new Command('loopwatch').enablePositionalOptions();
  p.command('run')
    .argument('<target...>')
    .option('-t, --threshold <ms>')
    .option('--json <file>')
    .option('-q, --quiet')
    .addOption(new Option('--html [file]'))
    .passThroughOptions();
  p.command('report').argument('<path>').option('--json <file>').addOption(new Option('--html [file]'));
  return p;
}

const spell = (...args: string[]) => spellOutBareFlags(['node', 'loopwatch', ...args], program(), ['--html'], ['run']).slice(2);

describe('spellOutBareFlags', () => {
  it('gives a bare --html an empty value, so that it never takes the script', () => {
    expect(spell('run', '--html', 'app.js', 'arg')).toEqual(['run', '--html=', 'app.js', 'arg']);
  });

  it('leaves --html=FILE as it is', () => {
    expect(spell('run', '--html=out.html', 'app.js')).toEqual(['run', '--html=out.html', 'app.js']);
  });

  it('leaves the program’s own arguments alone, after the first operand or after --', () => {
    expect(spell('run', 'app.js', '--html')).toEqual(['run', 'app.js', '--html']);
    expect(spell('run', '--', 'node', 'app.js', '--html')).toEqual(['run', '--', 'node', 'app.js', '--html']);
    expect(spell('run', '--html', '--', 'npm', 'test', '--html')).toEqual(['run', '--html=', '--', 'npm', 'test', '--html']);
  });

  it('skips the values of options that take one', () => {
    expect(spell('run', '--json', 'r.json', '--html', 'app.js')).toEqual(['run', '--json', 'r.json', '--html=', 'app.js']);
    expect(spell('run', '-t', '20', '--html', 'app.js')).toEqual(['run', '-t', '20', '--html=', 'app.js']);
    expect(spell('run', '-qt', '20', '--html', 'app.js')).toEqual(['run', '-qt', '20', '--html=', 'app.js']);
    // A value named like the flag is the value (commander takes it so, too).
    expect(spell('run', '--json', '--html', 'app.js')).toEqual(['run', '--json', '--html', 'app.js']);
  });

  it('reads options after the operand for report, whose operand is not a command', () => {
    expect(spell('report', 'rec-dir', '--html')).toEqual(['report', 'rec-dir', '--html=']);
    expect(spell('report', '--html', 'rec-dir')).toEqual(['report', '--html=', 'rec-dir']);
  });

  it('changes nothing without a subcommand', () => {
    expect(spell('--html')).toEqual(['--html']);
  });
});

describe('checkOutputDir', () => {
  it('takes an existing directory, or a new one whose parent exists', () => {
    expect(checkOutputDir('--cpuprofile-dir', '.', root)).toBe(root);
    expect(checkOutputDir('--cpuprofile-dir', 'profiles', root)).toBe(join(root, 'profiles'));
  });

  it('refuses a file, or a directory whose parent is missing, with OUTPUT_UNWRITABLE (exit 2)', () => {
    writeFileSync(join(root, 'a-file'), '');
    expect(caught(() => checkOutputDir('--cpuprofile-dir', 'a-file', root)).message).toBe('--cpuprofile-dir a-file: is not a directory');
    const err = caught(() => checkOutputDir('--cpuprofile-dir', 'missing/profiles', root));
    expect(err.code).toBe('OUTPUT_UNWRITABLE');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(join(root, 'missing'));
  });
});

describe('checkOutputDir and checkRecordingDir: what could never be made is said now', () => {
  it('a directory under /proc (where a recursive mkdir never returns) → OUTPUT_UNWRITABLE', () => {
    expect(caught(() => checkOutputDir('--cpuprofile-dir', '/proc/loopwatch-x', root)).message).toBe('--cpuprofile-dir /proc/loopwatch-x: cannot make it (ENOENT)');
    expect(caught(() => checkRecordingDir('--recording', '/proc/loopwatch-x', root)).code).toBe('OUTPUT_UNWRITABLE');
  });

  it('checkOutputDir leaves nothing behind; checkRecordingDir makes the directory it takes', () => {
    checkOutputDir('--cpuprofile-dir', 'not-yet', root);
    expect(existsSync(join(root, 'not-yet'))).toBe(false);
    expect(checkRecordingDir('--recording', 'rec-new', root)).toEqual({ path: join(root, 'rec-new'), made: true });
    expect(existsSync(join(root, 'rec-new'))).toBe(true);
    // Empty: taken as it is.
    expect(checkRecordingDir('--recording', 'rec-new', root)).toEqual({ path: join(root, 'rec-new'), made: false });
  });

  it('checkRecordingDir refuses a directory that holds anything: one recording is one run', () => {
    mkdirSync(join(root, 'rec-used'));
    writeFileSync(join(root, 'rec-used', 'run.json'), '{}');
    const err = caught(() => checkRecordingDir('--recording', 'rec-used', root));
    expect(err.code).toBe('OUTPUT_UNWRITABLE');
    expect(err.message).toMatch(/^--recording rec-used: is not empty \(1 entry; a recording of an earlier run\?\)/);
    writeFileSync(join(root, 'rec-file'), '');
    expect(caught(() => checkRecordingDir('--recording', 'rec-file', root)).message).toBe('--recording rec-file: is not a directory');
  });
});

describe('readReportInput', () => {
  const minimal = {
    schemaVersion: 2,
    tool: { name: 'loopwatch', version: '0.1.0' },
    thresholdMs: 50,
    processes: [],
    stalls: [],
    callSites: [],
    syncIo: { thresholdMs: 1, callSites: [], belowThreshold: [], totals: { count: 0, totalMs: 0 } },
    totals: {},
  };
  const saved = (name: string, value: unknown) => {
    const file = join(root, name);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };

  it('reads a version 2 report written before profiles, as one without them', () => {
    const report = readReportInput(saved('old.json', minimal), '0.1.0');
    expect(report.frames).toEqual([]);
    expect(report.gcPauses).toEqual([]);
    expect(report.limits.omittedStacks).toBe(0);
  });

  it('refuses what is not JSON, not a loopwatch report, or another version', () => {
    expect(caught(() => readReportInput(saved('broken.json', '{'), '0.1.0')).code).toBe('REPORT_UNREADABLE');
    expect(caught(() => readReportInput(saved('other.json', { stalls: [] }), '0.1.0')).message).toMatch(/other\.json: not a loopwatch JSON report/);
    expect(caught(() => readReportInput(saved('v3.json', { ...minimal, schemaVersion: 3 }), '0.1.0')).message).toMatch(
      /v3\.json: not a loopwatch JSON report \(schema version 3; this loopwatch reads version 2\)/,
    );
  });
});
