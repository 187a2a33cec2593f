import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/schema';
import type { CpuProfile } from '../../src/report/to-cpuprofile';
import { BIN, FIXTURES, readMarkers } from './run-cli';

const workDir = mkdtempSync(join(tmpdir(), 'loopwatch-formats-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Runs the real CLI in `cwd`. */
function loopwatch(args: string[], cwd: string) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', input: '', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
}

function freshDir(name: string): string {
  const dir = join(workDir, name);
  mkdirSync(dir);
  return dir;
}

describe('--html', () => {
  it('alone never takes the script as its file: the script runs, the report goes to loopwatch-report.html', () => {
    const cwd = freshDir('bare');
    const result = loopwatch(['run', '--html', join(FIXTURES, 'echo.js'), '3', '--html'], cwd);
    expect(result.status).toBe(3);
    // echo.js prints its arguments: the `--html` after the script is the program's.
    expect(result.stdout).toContain('args: ["3","--html"]');
    expect(readdirSync(cwd)).toEqual(['loopwatch-report.html']);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`loopwatch: HTML report: ${join(cwd, 'loopwatch-report.html')}`);
    expect(readFileSync(join(cwd, 'loopwatch-report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('=FILE names the file, relative to the working directory', () => {
    const cwd = freshDir('named');
    const result = loopwatch(['run', '-q', '--html=out.html', '--', process.execPath, join(FIXTURES, 'quiet.js')], cwd);
    expect(result.status).toBe(0);
    expect(readdirSync(cwd)).toEqual(['out.html']);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['a file in a missing directory', ['--html=no-such-dir/r.html'], /^loopwatch: --html no-such-dir\/r\.html: directory .*no-such-dir does not exist \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
    ['a directory', ['--html=.'], /^loopwatch: --html \.: is a directory \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
    ['a --cpuprofile-dir that is a file', ['--cpuprofile-dir', 'a-file'], /^loopwatch: --cpuprofile-dir a-file: is not a directory \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
  ];
  usage.forEach(([what, args, message], i) => {
    it(`refuses ${what} before anything runs, with status 2`, () => {
      const cwd = freshDir(`usage-${i}`);
      writeFileSync(join(cwd, 'a-file'), '');
      const marker = join(cwd, 'ran');
      const result = loopwatch(['run', ...args, '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`], cwd);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(existsSync(marker)).toBe(false);
    });
  });
});

describe('--cpuprofile-dir', () => {
  it('writes each sampled stall as a .cpuprofile whose heaviest node is the blocking function', () => {
    const cwd = freshDir('profiles');
    const result = loopwatch(['run', '-q', '--json', 'report.json', '--cpuprofile-dir', 'profiles', join(FIXTURES, 'busy-loop.js')], cwd);
    expect(result.stderr).toMatch(/^loopwatch: 1 CPU profile/);
    expect(result.status).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'report.json'), 'utf8')) as Report;
    const sampled = report.stalls.filter((s) => s.profile);
    const files = readdirSync(join(cwd, 'profiles')).sort();
    expect(files).toHaveLength(sampled.length);
    expect(files.every((f) => /^stall-\d+-pid\d+\.cpuprofile$/.test(f))).toBe(true);

    const [marker] = readMarkers(join(FIXTURES, 'busy-loop.js'));
    const spinStall = report.stalls.findIndex((s) => s.operation === 'spin');
    const width = String(report.stalls.length).length;
    const file = `stall-${String(spinStall + 1).padStart(width, '0')}-pid${report.stalls[spinStall]!.pid}.cpuprofile`;
    const profile = JSON.parse(readFileSync(join(cwd, 'profiles', file), 'utf8')) as CpuProfile;

    // What DevTools and speedscope read.
    expect(profile.nodes[0]!.callFrame.functionName).toBe('(root)');
    const ids = new Set(profile.nodes.map((n) => n.id));
    for (const node of profile.nodes) {
      expect(Object.keys(node.callFrame).sort()).toEqual(['columnNumber', 'functionName', 'lineNumber', 'scriptId', 'url']);
      for (const child of node.children) expect(ids.has(child)).toBe(true);
    }
    expect(profile.samples.length).toBe(profile.timeDeltas.length);
    expect(profile.samples.every((id) => ids.has(id))).toBe(true);
    expect(profile.timeDeltas.every((d) => Number.isInteger(d) && d >= 0)).toBe(true);
    expect(profile.startTime).toBe(Math.round(report.stalls[spinStall]!.start * 1000));
    expect(profile.endTime).toBe(profile.startTime + profile.timeDeltas.reduce((a, b) => a + b, 0));

    // A sample lasts until the next one. Time in Node's internals and in native code (the
    // global `performance` getter and now(), on Node.js 22 and later) counts toward the
    // program's function that called them, as the user reads a profile: that function is
    // spin(), at its loop line, and it holds most of the sampled time. (The time before
    // the first sample, the threshold and more on a loaded machine, is in no node.)
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0)));
    const parentOf = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children) parentOf.set(child, node.id);
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const programFrame = (id: number): number | undefined => {
      for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
        if (byId.get(at)!.callFrame.url.startsWith('file:')) return at;
      }
      return undefined;
    };
    // By function and line: a profile has a node per call frame position, and the samples
    // in spin()'s loop fall at more than one column of that line (the loop's test, the
    // now() call in it), each its own node.
    const byProgramLine = new Map<string, { id: number; us: number }>();
    for (const [id, us] of self) {
      const frame = programFrame(id);
      if (frame === undefined) continue;
      const { functionName, url, lineNumber } = byId.get(frame)!.callFrame;
      const key = JSON.stringify([functionName, url, lineNumber]);
      const entry = byProgramLine.get(key) ?? { id: frame, us: 0 };
      entry.us += us;
      byProgramLine.set(key, entry);
    }
    const { id: heaviest, us: heaviestUs } = [...byProgramLine.values()].sort((a, b) => b.us - a.us)[0]!;
    const { callFrame } = byId.get(heaviest)!;
    expect(callFrame).toMatchObject({ functionName: 'spin', url: pathToFileURL(marker!.file).href, lineNumber: marker!.line - 1 });
    const sampledUs = profile.timeDeltas.slice(1).reduce((a, b) => a + b, 0);
    expect(sampledUs).toBeGreaterThan(0);
    expect(heaviestUs / sampledUs).toBeGreaterThan(0.5);
  });
});

describe('loopwatch report', () => {
  it('renders a saved JSON report in every format: text, JSON, HTML, profiles', () => {
    const cwd = freshDir('saved');
    const first = loopwatch(['run', '-q', '--json', 'first.json', join(FIXTURES, 'crypto-pbkdf2.js')], cwd);
    expect(first.status).toBe(0);
    const again = loopwatch(['report', 'first.json', '--json', 'again.json', '--html=again.html', '--cpuprofile-dir', 'profiles'], cwd);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/^loopwatch: 1 stall, [\d.]+ ms blocked/);
    expect(again.stderr).toContain('crypto.pbkdf2Sync (crypto): 1 stall');
    expect(again.stderr).toContain(`loopwatch: HTML report: ${join(cwd, 'again.html')}`);
    expect(JSON.parse(readFileSync(join(cwd, 'again.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(cwd, 'first.json'), 'utf8')));
    expect(readFileSync(join(cwd, 'again.html'), 'utf8')).toContain('crypto.pbkdf2Sync');
    expect(readdirSync(join(cwd, 'profiles'))).toHaveLength(1);
  });

  it('renders a kept recording as HTML, a bare --html after the directory included', () => {
    const cwd = freshDir('recording');
    expect(loopwatch(['run', '-q', '--recording', 'rec', join(FIXTURES, 'crypto-pbkdf2.js')], cwd).status).toBe(0);
    const result = loopwatch(['report', '-q', 'rec', '--html'], cwd);
    expect(result.status).toBe(0);
    expect(readFileSync(join(cwd, 'loopwatch-report.html'), 'utf8')).toContain('crypto.pbkdf2Sync');
  });

  it('refuses a file that is not a loopwatch report, with status 2', () => {
    const cwd = freshDir('not-a-report');
    writeFileSync(join(cwd, 'other.json'), '{"name": "not loopwatch"}');
    const result = loopwatch(['report', 'other.json'], cwd);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `loopwatch: ${join(cwd, 'other.json')}: not a loopwatch JSON report (the top level must have required property 'schemaVersion') [ERR_LOOPWATCH_REPORT_UNREADABLE]\n`,
    );
  });
});
