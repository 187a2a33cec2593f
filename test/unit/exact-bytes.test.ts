import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { environBytes, environmentItems, execStep, operandBytes, readOwnBytes } from '../../src/cli/exact-bytes';

const bytes = (latin1: string) => Buffer.from(latin1, 'latin1');
const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'argv-bytes.js');

describe('operandBytes', () => {
  const own = { argv: [bytes('/usr/bin/node'), bytes('loopwatch'), bytes('run'), bytes('app.js'), bytes('a\xff')], environ: [] };

  it('the last of the process\'s own arguments, when they decode to the operands', () => {
    expect(operandBytes(['app.js', 'a\ufffd'], own)).toEqual([bytes('app.js'), bytes('a\xff')]);
  });

  it('undefined when they do not: the arguments were not this process\'s', () => {
    expect(operandBytes(['other.js', 'a\ufffd'], own)).toBeUndefined();
    expect(operandBytes(Array.from({ length: 9 }, () => 'x'), own)).toBeUndefined();
  });
});

describe('environBytes and environmentItems', () => {
  const own = { argv: [], environ: [bytes('HOME=/root'), bytes('BYTES=\xff\xfe'), bytes('N\xffME=1'), bytes('no-equals-\xff')] };

  it('keeps the entries that are not UTF-8, by their name as Node decoded it', () => {
    expect([...environBytes(own).entries()]).toEqual([
      ['BYTES', bytes('BYTES=\xff\xfe')],
      ['N\ufffdME', bytes('N\xffME=1')],
    ]);
  });

  it('a variable passed on unchanged keeps its bytes; one loopwatch sets is its own', () => {
    const raw = environBytes(own);
    expect(environmentItems({ HOME: '/root', BYTES: '\ufffd\ufffd', 'N\ufffdME': '1', NEW: 'x' }, raw)).toEqual([
      'HOME=/root',
      bytes('BYTES=\xff\xfe'),
      bytes('N\xffME=1'),
      'NEW=x',
    ]);
    expect(environmentItems({ BYTES: 'changed' }, raw)).toEqual(['BYTES=changed']);
  });
});

describe('execStep', () => {
  /** Runs the step, as run.ts spawns it (an empty environment: everything is in its arguments). */
  function runStep(step: { file: string; args: string[] }) {
    return spawnSync(step.file, step.args, { env: {}, encoding: 'buffer' });
  }

  it('starts the command with its arguments and environment byte for byte: newlines, quotes, format characters', () => {
    const args = [bytes('a\xff\n'), 'plain', bytes("'%s\\\x01\xfe\n\n"), '', 'é'];
    const step = execStep([process.execPath, FIXTURE, ...args], [`PATH=${process.env.PATH}`, bytes('LOOPWATCH_TEST_BYTES=\xff\n%')])!;
    const result = runStep(step);
    expect(result.stderr.toString()).toBe('');
    expect(JSON.parse(result.stdout.toString())).toEqual({
      args: args.map((a) => Buffer.from(a as never).toString('hex')),
      env: bytes('\xff\n%').toString('hex'),
    });
  });

  it('the environment is exactly the one given: the shell adds nothing (PWD) and drops nothing (names that are not identifiers)', () => {
    const environment = ['lw.odd-name=1', bytes('A=\xff'), 'B=2'];
    const result = runStep(execStep(['/usr/bin/env'], environment)!);
    expect(result.stdout).toEqual(bytes('lw.odd-name=1\nA=\xff\nB=2\n'));
  });

  it('passes UTF-8 items as arguments of the shell, and only the others through printf', () => {
    const step = execStep(['/bin/echo', 'é', bytes('\xff')], ['A=1'])!;
    expect(step.file).toBe('/bin/sh');
    expect(step.args[1]).toBe(`v4=$(printf '\\377x') && v4=\${v4%x} && exec /usr/bin/env -i "\${1}" "\${2}" "\${3}" "$v4"`);
    expect(step.args.slice(2)).toEqual(['loopwatch', 'A=1', '/bin/echo', 'é', '']);
    expect(runStep(step).stdout).toEqual(bytes('\xc3\xa9 \xff\n'));
  });

  it('cannot start a command whose name holds = (env would take it for a variable)', () => {
    expect(execStep(['/opt/a=b/node', bytes('\xff')], [])).toBeUndefined();
  });
});

describe('readOwnBytes', () => {
  it('reads this process\'s arguments and environment as the kernel holds them', () => {
    const own = readOwnBytes()!;
    expect(own.argv.map((a) => a.toString()).slice(-process.argv.length + 1)).toEqual(process.argv.slice(1).map(String));
    expect(own.environ.some((e) => e.toString().startsWith('PATH='))).toBe(true);
  });
});
