import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT } from './run-cli';

const root = mkdtempSync(join(tmpdir(), 'loopwatch-arguments-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    input: '',
    timeout: options.timeoutMs ?? 30_000,
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '' },
  });
}

/** Runs a shell script (which can make bytes that are not UTF-8, as Node cannot), with `$BIN` and `$NODE` set. */
function sh(script: string, options: { env?: NodeJS.ProcessEnv; stdio?: 'pipe' } = {}) {
  return spawnSync('/bin/sh', ['-c', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', BIN, NODE: process.execPath, ...options.env },
  });
}

describe('every option value is checked before anything runs: exit 2, one line with its code', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, '');
  const full = join(root, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'x'), '');
  const cases: Array<[string[], RegExp]> = [
    // Node's recursive mkdirSync never returns under /proc: this hung at 100 % CPU.
    [['--recording', '/proc/loopwatch-x'], /^loopwatch: --recording \/proc\/loopwatch-x: cannot make it \(ENOENT\) \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
    [['--recording', file], /^loopwatch: --recording .*a-file: is not a directory \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
    [['--recording', join(file, 'x')], /^loopwatch: --recording .*a-file\/x: directory .*a-file does not exist \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
    [['--recording', '/no/such/dir/rec'], /^loopwatch: --recording \/no\/such\/dir\/rec: directory \/no\/such\/dir does not exist \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
    [['--recording', full], /^loopwatch: --recording .*full: is not empty \(1 entry; a recording of an earlier run\?\)/],
    [['--recording', ''], /^loopwatch: --recording takes a value, not '' \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['--cpuprofile-dir', '/proc/loopwatch-x'], /^loopwatch: --cpuprofile-dir \/proc\/loopwatch-x: cannot make it \(ENOENT\) \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
    [['--cpuprofile-dir', ''], /^loopwatch: --cpuprofile-dir takes a value, not '' \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['--json', ''], /^loopwatch: --json takes a value, not '' \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['--json', '/proc/loopwatch-x/r.json'], /^loopwatch: --json \/proc\/loopwatch-x\/r\.json: directory \/proc\/loopwatch-x does not exist \[ERR_LOOPWATCH_OUTPUT_UNWRITABLE\]\n$/],
    [['--config', ''], /^loopwatch: --config takes a value, not '' \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['--sync-io-threshold', 'x'], /^loopwatch: --sync-io-threshold takes a positive number of milliseconds, not 'x' \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['--reporter', 'nope'], /^loopwatch: --reporter nope: unknown reporter 'nope' .* \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['--otlp-protocol', 'grpc'], /^loopwatch: option '--otlp-protocol <protocol>' argument 'grpc' is invalid\. Allowed choices are http\/protobuf, http\/json\. \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['--fail-on-stall', '-5'], /^loopwatch: --fail-on-stall takes a positive number of milliseconds, not '-5' \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['--bogus'], /^loopwatch: unknown option '--bogus' \[ERR_LOOPWATCH_USAGE\]\n$/],
  ];
  for (const [options, message] of cases) {
    it(`run ${options.map((o) => (o === '' ? "''" : o)).join(' ')}`, () => {
      const marker = join(root, `ran-${Math.random().toString(36).slice(2)}`);
      const result = cli(['run', ...options, '--', 'sh', '-c', `touch ${marker}; node -e 0`], { timeoutMs: 10_000 });
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('a directory --recording could make but the run does not use is taken away again', () => {
    const dir = join(root, 'never-made');
    const result = cli(['run', '--recording', dir, '--', join(root, 'no-such-command')]);
    expect(result.status).toBe(2);
    expect(existsSync(dir)).toBe(false);
  });

  it('diff --tolerance and baseline save --out are checked too', () => {
    expect(cli(['diff', 'a.json', 'b.json', '--tolerance', '']).stderr).toBe("loopwatch: --tolerance takes a value, not '' [ERR_LOOPWATCH_USAGE]\n");
    expect(cli(['baseline', 'save', 'a.json', '--out', '']).stderr).toBe("loopwatch: --out takes a value, not '' [ERR_LOOPWATCH_USAGE]\n");
  });
});

describe('the command after --', () => {
  it('a file that is not executable is said to be so, not "not found"', () => {
    const script = join(root, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\nnode -e 0\n');
    chmodSync(script, 0o644);
    const result = cli(['run', '--', script]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `loopwatch: ${script} is not executable (no execute permission): chmod +x it, or name its interpreter first (loopwatch run -- sh ${script}) [ERR_LOOPWATCH_COMMAND_NOT_EXECUTABLE]\n`,
    );
  });

  it('a command found on PATH only as a file that is not executable, or given as a directory', () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'lw-tool'), '#!/bin/sh\n');
    const result = spawnSync(process.execPath, [BIN, 'run', '--', 'lw-tool'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^loopwatch: .*\/bin\/lw-tool is not executable \(no execute permission\).*\[ERR_LOOPWATCH_COMMAND_NOT_EXECUTABLE\]\n$/);
    const dir = cli(['run', '--', root]);
    expect(dir.stderr).toBe(`loopwatch: ${root} is a directory, not a command [ERR_LOOPWATCH_COMMAND_NOT_EXECUTABLE]\n`);
  });

  it('`run --json node -- node argv.js` runs `node argv.js` (node is the value of --json)', () => {
    const cwd = join(root, 'json-node');
    mkdirSync(cwd);
    const result = cli(['run', '--quiet', '--json', 'node', '--', 'node', join(FIXTURES, 'argv-bytes.js'), 'one', 'two'], { cwd });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ args: [Buffer.from('one').toString('hex'), Buffer.from('two').toString('hex')], env: null });
    const report = JSON.parse(readFileSync(join(cwd, 'node'), 'utf8')) as { command: string[] };
    expect(report.command.slice(1)).toEqual([join(FIXTURES, 'argv-bytes.js'), 'one', 'two']);
  });
});

describe('arguments and environment variables that are not UTF-8 reach every process byte for byte', () => {
  it('a script run with node', () => {
    const result = sh(`export LOOPWATCH_TEST_BYTES="$(printf '\\377\\376')"; exec "$NODE" "$BIN" run --quiet fixtures/argv-bytes.js "$(printf 'a\\377')" plain "$(printf '\\303\\251')"`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ args: ['61ff', '706c61696e', 'c3a9'], env: 'fffe' });
  });

  it('a command, and the node it starts: quotes, newlines and format characters too', () => {
    // sh receives them from loopwatch and hands them on to node.
    const result = sh(
      `export LOOPWATCH_TEST_BYTES="$(printf '%%\\\\\\047\\n\\377')"; exec "$NODE" "$BIN" run --quiet -- sh -c 'exec node fixtures/argv-bytes.js "$@"' sh "$(printf '\\376%%s\\\\n')" "$(printf "'\\377\\"")"`,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ args: [Buffer.from('\xfe%s\\n', 'latin1').toString('hex'), Buffer.from('\'\xff"', 'latin1').toString('hex')], env: Buffer.from('%\\\'\n\xff', 'latin1').toString('hex') });
  });

  it('the rest of the environment is as loopwatch gives it: nothing added, a name that is not an identifier kept', () => {
    const result = sh(`exec env -i 'lw.odd-name=1' "LOOPWATCH_TEST_BYTES=$(printf '\\377')" PATH="$PATH" "$NODE" "$BIN" run --quiet -- "$NODE" -e 'console.log(JSON.stringify(Object.keys(process.env).sort()))'`);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(['LOOPWATCH_RECORDING_DIR', 'LOOPWATCH_SYNC_IO_THRESHOLD_MS', 'LOOPWATCH_TEST_BYTES', 'LOOPWATCH_THRESHOLD_MS', 'NODE_OPTIONS', 'PATH', 'lw.odd-name'].sort());
  });

  it('the program keeps its place (a child of loopwatch), its exit status and its signals', async () => {
    // The shell execs loopwatch, and the step execs in place: the program's parent is loopwatch itself.
    const result = sh(`exec "$NODE" "$BIN" run --quiet -- "$NODE" -e 'console.log(process.ppid); process.exitCode = 5' "$(printf '\\377')"`);
    expect(result.status).toBe(5);
    expect(Number(result.stdout)).toBe(result.pid);
    const child = spawn('/bin/sh', ['-c', `exec "$NODE" "$BIN" run --quiet -- "$NODE" -e 'console.log("up"); setTimeout(() => {}, 20000)' "$(printf '\\377')"`], {
      cwd: ROOT,
      env: { ...process.env, BIN, NODE: process.execPath },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // Its readiness signal, not a sleep: the program prints once it runs.
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGTERM');
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(status).toBe(128 + 15);
  });
});
