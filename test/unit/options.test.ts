import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseThreshold, resolveTarget, withPreload } from '../../src/cli/options';
import { checkOutputFile } from '../../src/cli/outputs';
import { LoopwatchError } from '../../src/errors';
import { caught } from './caught';


const root = mkdtempSync(join(tmpdir(), 'loopwatch-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('parseThreshold', () => {
  it('takes a positive number of milliseconds', () => {
    expect(parseThreshold('50')).toBe(50);
    expect(parseThreshold('2.5')).toBe(2.5);
    expect(parseThreshold(' 100 ')).toBe(100);
  });

  it.each(['0', '-1', 'abc', '', '   ', 'Infinity', 'NaN', '50ms'])('refuses %j with USAGE', (value) => {
    const err = caught(() => parseThreshold(value));
    expect(err.code).toBe('USAGE');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('--threshold');
  });
});

describe('withPreload', () => {
  it('sets --require alone when there are no NODE_OPTIONS', () => {
    expect(withPreload(undefined, '/opt/lw/preload.js')).toBe('--require "/opt/lw/preload.js"');
    expect(withPreload('', '/opt/lw/preload.js')).toBe('--require "/opt/lw/preload.js"');
    expect(withPreload('   ', '/opt/lw/preload.js')).toBe('--require "/opt/lw/preload.js"');
  });

  it('appends to existing NODE_OPTIONS', () => {
    expect(withPreload('--max-old-space-size=512', '/opt/lw/preload.js')).toBe('--max-old-space-size=512 --require "/opt/lw/preload.js"');
  });

  it('quotes paths with spaces and escapes quotes and backslashes', () => {
    expect(withPreload(undefined, '/my dir/preload.js')).toBe('--require "/my dir/preload.js"');
    expect(withPreload(undefined, '/a"b/preload.js')).toBe('--require "/a\\"b/preload.js"');
    expect(withPreload(undefined, '/a\\b/preload.js')).toBe('--require "/a\\\\b/preload.js"');
  });

  it('gives NODE_OPTIONS that Node itself reads back to the same path', () => {
    const dir = join(root, 'pre load "quoted" dir');
    mkdirSync(dir);
    const preload = join(dir, 'preload.js');
    writeFileSync(preload, 'globalThis.__loopwatchTestPreloaded = __filename;\n');
    const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(globalThis.__loopwatchTestPreloaded))'], {
      env: { ...process.env, NODE_OPTIONS: withPreload('--no-warnings', preload) },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(preload);
  });
});

describe('resolveTarget', () => {
  const scripts = join(root, 'scripts');
  mkdirSync(scripts);
  writeFileSync(join(scripts, 'app.js'), '');

  it('runs an existing script with this Node.js, by absolute path, with its arguments', () => {
    expect(resolveTarget(['app.js', '--port', '8080'], false, scripts, {})).toEqual([process.execPath, join(scripts, 'app.js'), '--port', '8080']);
    expect(resolveTarget([join(scripts, 'app.js')], false, '/', {})).toEqual([process.execPath, join(scripts, 'app.js')]);
  });

  it('script not found → SCRIPT_NOT_FOUND', () => {
    const err = caught(() => resolveTarget(['missing.js'], false, scripts, {}));
    expect(err.code).toBe('SCRIPT_NOT_FOUND');
    expect(err.message).toContain('missing.js');
  });

  it('a directory is not a script', () => {
    expect(caught(() => resolveTarget(['.'], false, scripts, {})).code).toBe('SCRIPT_NOT_FOUND');
  });

  it('nothing to run → USAGE', () => {
    expect(caught(() => resolveTarget([], false, scripts, {})).code).toBe('USAGE');
    expect(caught(() => resolveTarget([], true, scripts, {})).code).toBe('USAGE');
  });

  it('command mode finds sh on PATH', () => {
    const target = resolveTarget(['sh', '-c', 'true'], true, scripts, { PATH: process.env.PATH });
    expect(target[0]).toMatch(/\/sh$/);
    expect(existsSync(target[0]!)).toBe(true);
    expect(target.slice(1)).toEqual(['-c', 'true']);
  });

  it('command mode searches PATH in order, skipping empty entries and directories', () => {
    const first = join(root, 'bin1');
    const second = join(root, 'bin2');
    mkdirSync(join(first, 'tool'), { recursive: true }); // a directory named like the command
    mkdirSync(second);
    writeFileSync(join(second, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    expect(resolveTarget(['tool'], true, scripts, { PATH: ['', first, second].join(':') })).toEqual([join(second, 'tool')]);
  });

  it('command mode resolves a relative path with a slash against cwd', () => {
    writeFileSync(join(scripts, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    expect(resolveTarget(['./run.sh', 'a'], true, scripts, { PATH: '' })).toEqual([join(scripts, 'run.sh'), 'a']);
  });

  it('a file that is not executable → COMMAND_NOT_EXECUTABLE, given as a path or found on PATH; a directory too, given as a path', () => {
    const dir = join(root, 'bin-noexec');
    mkdirSync(dir);
    writeFileSync(join(dir, 'plain'), '#!/bin/sh\n', { mode: 0o644 });
    const given = caught(() => resolveTarget([join(dir, 'plain')], true, scripts, {}));
    expect(given.code).toBe('COMMAND_NOT_EXECUTABLE');
    expect(given.message).toBe(`${join(dir, 'plain')} is not executable (no execute permission): chmod +x it, or name its interpreter first (loopwatch run -- sh ${join(dir, 'plain')})`);
    expect(caught(() => resolveTarget(['plain'], true, scripts, { PATH: dir })).code).toBe('COMMAND_NOT_EXECUTABLE');
    expect(caught(() => resolveTarget([dir], true, scripts, {})).message).toBe(`${dir} is a directory, not a command`);
    // An executable one later on PATH is the command, as for a shell.
    const later = join(root, 'bin-later');
    mkdirSync(later);
    writeFileSync(join(later, 'plain'), '#!/bin/sh\n', { mode: 0o755 });
    expect(resolveTarget(['plain'], true, scripts, { PATH: `${dir}:${later}` })).toEqual([join(later, 'plain')]);
  });

  it('a name that is not UTF-8 is looked for by its bytes', () => {
    const name = Buffer.from('tool-\xff', 'latin1');
    const dir = join(root, 'bin-bytes');
    mkdirSync(dir);
    writeFileSync(Buffer.concat([Buffer.from(dir + '/'), name]), '#!/bin/sh\n', { mode: 0o755 });
    const decoded = name.toString('utf8');
    expect(caught(() => resolveTarget([decoded], true, scripts, { PATH: dir })).code).toBe('COMMAND_NOT_FOUND');
    expect(resolveTarget([decoded, 'a'], true, scripts, { PATH: dir }, name)).toEqual([join(dir, decoded), 'a']);
    writeFileSync(Buffer.concat([Buffer.from(scripts + '/'), name]), '');
    expect(resolveTarget([decoded], false, scripts, {}, name)).toEqual([process.execPath, join(scripts, decoded)]);
  });

  it('unknown command → COMMAND_NOT_FOUND', () => {
    const err = caught(() => resolveTarget(['loopwatch-no-such-command-xyz'], true, scripts, { PATH: process.env.PATH }));
    expect(err.code).toBe('COMMAND_NOT_FOUND');
    expect(caught(() => resolveTarget(['sh'], true, scripts, {})).code).toBe('COMMAND_NOT_FOUND');
    expect(caught(() => resolveTarget(['./nope.sh'], true, scripts, {})).code).toBe('COMMAND_NOT_FOUND');
  });
});

describe('checkOutputFile', () => {
  it('resolves the file against cwd when its directory exists', () => {
    expect(checkOutputFile('--json', 'report.json', root)).toBe(join(root, 'report.json'));
    expect(checkOutputFile('--json', '/tmp/report.json', root)).toBe(resolve('/tmp/report.json'));
  });

  it('missing directory → OUTPUT_UNWRITABLE (exit 2)', () => {
    const err = caught(() => checkOutputFile('--json', 'no-such-dir/report.json', root));
    expect(err.code).toBe('OUTPUT_UNWRITABLE');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('--json');
    expect(err.message).toContain(join(root, 'no-such-dir'));
  });

  it('a file where the directory should be → OUTPUT_UNWRITABLE', () => {
    writeFileSync(join(root, 'plain-file'), '');
    expect(caught(() => checkOutputFile('--json', 'plain-file/report.json', root)).code).toBe('OUTPUT_UNWRITABLE');
  });

  it('a directory as the output file → OUTPUT_UNWRITABLE', () => {
    mkdirSync(join(root, 'out-dir'));
    expect(caught(() => checkOutputFile('--json', 'out-dir', root)).code).toBe('OUTPUT_UNWRITABLE');
  });

  it('a place that cannot be written, though its directory exists → OUTPUT_UNWRITABLE, and leaves nothing behind', () => {
    const err = caught(() => checkOutputFile('--json', '/proc/loopwatch-report.json', root));
    expect(err.code).toBe('OUTPUT_UNWRITABLE');
    expect(err.message).toContain('cannot write it');
    expect(checkOutputFile('--json', 'fresh.json', root)).toBe(join(root, 'fresh.json'));
    expect(existsSync(join(root, 'fresh.json'))).toBe(false);
  });
});

describe('resolveTarget skips files a shell could not execute', () => {
  it('takes the first executable file of that name on PATH', () => {
    const base = mkdtempSync(join(tmpdir(), 'loopwatch-path-'));
    const [a, b] = [join(base, 'a'), join(base, 'b')];
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, 'tool'), '#!/bin/sh\n', { mode: 0o644 });
    writeFileSync(join(b, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    try {
      expect(resolveTarget(['tool', '-v'], true, base, { PATH: `${a}:${b}` })).toEqual([join(b, 'tool'), '-v']);
      expect(() => resolveTarget(['./a'], true, base, { PATH: '' })).toThrow(LoopwatchError);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
