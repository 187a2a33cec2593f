import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './run-cli';

/**
 * The program's exit status always wins over a stderr loopwatch cannot write to: closed
 * early (`loopwatch run x.js 2>&1 >/dev/null | true`) or full (`2>/dev/full`). The
 * fixtures write nothing to their own stderr (which they inherit: what happens to their
 * writes is the program's business).
 */
// A run whose report cannot be written keeps its recording (in the temporary directory)
// rather than lose it: these runs get a temporary directory of their own, removed after.
const temporary = mkdtempSync(join(tmpdir(), 'loopwatch-broken-stderr-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));
const env = { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', BIN, NODE: process.execPath, TMPDIR: temporary };

/** The exit status of `sh -c script`, run with stderr a pipe whose reader is gone before loopwatch starts. */
function withStderrClosed(script: string): Promise<number | null> {
  const child = spawn('/bin/sh', ['-c', script], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  // The read end closes now, before Node.js has even started in the child: every write
  // to stderr fails with EPIPE.
  child.stderr.destroy();
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe("the program's exit status wins over a broken stderr", () => {
  it('stderr closed early: a program that exits 3', async () => {
    expect(await withStderrClosed('exec "$NODE" "$BIN" run fixtures/exit-code.js')).toBe(3);
  });

  it('stderr closed early: a usage error still exits 2, a program that passes 0', async () => {
    expect(await withStderrClosed('exec "$NODE" "$BIN" run --threshold nope fixtures/exit-code.js')).toBe(2);
    expect(await withStderrClosed('exec "$NODE" "$BIN" run fixtures/quiet.js')).toBe(0);
  });

  it('NODE_DEBUG=loopwatch with stderr closed or full: the agent\'s debug lines are lost, the program\'s status is not', async () => {
    // Loading bcrypt makes the agent say which of its functions it times. That line once
    // went through the program's process.stderr, whose EPIPE ended the program with 1.
    const program = `exec "$NODE" "$BIN" run --quiet -- "$NODE" -e 'require("bcrypt"); setTimeout(() => process.exit(7), 20)'`;
    const debugEnv = { ...env, NODE_DEBUG: 'loopwatch' };
    const child = spawn('/bin/sh', ['-c', program], { cwd: ROOT, env: debugEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.destroy();
    expect(await new Promise((resolve) => child.on('exit', (code) => resolve(code)))).toBe(7);
    expect(spawnSync('/bin/sh', ['-c', `${program} 2>/dev/full`], { cwd: ROOT, env: debugEnv, stdio: 'ignore' }).status).toBe(7);
    // And the line is there when stderr is.
    expect(spawnSync('/bin/sh', ['-c', program], { cwd: ROOT, env: debugEnv, encoding: 'utf8' }).stderr).toMatch(/^LOOPWATCH \d+: native addon bcrypt .*functions timed$/m);
  });

  it('stderr full (2>/dev/full): the program\'s 3, a broken budget\'s 3, a passing program\'s 0', () => {
    const status = (command: string) => spawnSync('/bin/sh', ['-c', `"$NODE" "$BIN" ${command} 2>/dev/full`], { cwd: ROOT, env, stdio: 'ignore' }).status;
    expect(status('run fixtures/exit-code.js')).toBe(3);
    expect(status('run --fail-on-stall 20 fixtures/crypto-pbkdf2.js')).toBe(3);
    expect(status('run fixtures/quiet.js')).toBe(0);
  });

  it('a report file on a full disk (--json /dev/full) is said, and the program\'s status still wins', () => {
    const result = spawnSync('/bin/sh', ['-c', '"$NODE" "$BIN" run --json /dev/full fixtures/exit-code.js'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/^loopwatch: could not write the json report to \/dev\/full: ENOSPC.*\[ERR_LOOPWATCH_REPORT_FAILED\]$/m);
    const kept = /^loopwatch: the recording is kept in (.+)$/m.exec(result.stderr)?.[1];
    expect(kept?.startsWith(temporary)).toBe(true);
    expect(readdirSync(kept!).some((f) => f.endsWith('.jsonl'))).toBe(true);
  });
});
