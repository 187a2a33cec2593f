import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, runCli } from './run-cli';

describe('loopwatch run leaves the program alone', () => {
  it('passes arguments, stdin, stdout, stderr and the exit status through unchanged', () => {
    const input = 'hello\nworld\n';
    const bare = spawnSync(process.execPath, [join(FIXTURES, 'echo.js'), '3', '--port', '80'], { input, encoding: 'utf8' });
    const watched = spawnSync(process.execPath, [BIN, 'run', '--quiet', 'fixtures/echo.js', '3', '--port', '80'], {
      cwd: ROOT,
      input,
      encoding: 'utf8',
    });
    expect(bare.status).toBe(3);
    expect(watched.status).toBe(3);
    expect(watched.stdout).toBe(bare.stdout);
    expect(watched.stdout).toContain('args: ["3","--port","80"]');
    expect(watched.stderr).toBe(bare.stderr);
  });

  it('reports a program that blocks nowhere as such', () => {
    const run = runCli(['run', 'fixtures/quiet.js']);
    expect(run.status).toBe(0);
    expect(run.report!.stalls.filter((s) => s.phase === 'run')).toEqual([]);
    expect(run.stderr).toContain('no stalls over 50 ms');
    expect(run.stderr.split('\n').every((line) => line.length <= 80)).toBe(true);
    const [main] = run.report!.processes;
    expect(main!.endedBy).toBe('exit');
    expect(main!.eventLoopDelay!.maxMs).toBeLessThan(50);
    expect(main!.utilization).toBeGreaterThan(0);
  });

  it('exits with the program exit status', () => {
    const run = runCli(['run', 'fixtures/exit-code.js']);
    expect(run.status).toBe(3);
    expect(run.report!.exitCode).toBe(3);
  });

  it('runs a command after -- with the agent in its node processes', () => {
    const run = runCli(['run', '--', 'node', 'fixtures/crypto-pbkdf2.js']);
    expect(run.status).toBe(0);
    const stalls = run.report!.stalls.filter((s) => s.phase === 'run');
    expect(stalls.map((s) => s.operation)).toEqual(['crypto.pbkdf2Sync']);
    expect(run.report!.command[0]).toMatch(/node$/);
  });

  it('starts the agent once per process: worker threads get none, child processes get their own', () => {
    const workers = runCli(['run', 'fixtures/worker-threads.js']);
    expect(workers.report!.processes).toHaveLength(1);
    const children = runCli(['run', 'fixtures/child-node.js']);
    const pids = children.report!.processes.map((p) => p.pid);
    expect(new Set(pids).size).toBe(2);
    expect(children.report!.processes[1]!.ppid).toBe(children.report!.processes[0]!.pid);
  });

  it('keeps the stall of a process killed with SIGKILL in the middle of it', () => {
    const run = runCli(['run', 'fixtures/killed-in-stall.js']);
    expect(run.status).toBe(128 + 9);
    const report = run.report!;
    expect(report.signal).toBe('SIGKILL');
    expect(report.processes[0]!.endedBy).toBe('killed');
    const [stall] = report.stalls.filter((s) => s.phase === 'run');
    expect(stall!.inProgressAtExit).toBe(true);
    expect(stall!.operation).toBe('spin');
    expect(stall!.callSite!.file).toBe(join(FIXTURES, 'killed-in-stall.js'));
    expect(stall!.callSite!.line).toBe(9);
    // The shell kills it about 300 ms into the stall; what was seen until then is kept.
    expect(stall!.durationMs).toBeGreaterThan(200);
    expect(stall!.durationMs).toBeLessThan(2_000);
    expect(run.stderr).toContain('killed by SIGKILL');
  });

  it('forwards SIGTERM to the program and exits as it did', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--quiet', '--', 'node', '-e', 'setTimeout(() => {}, 20000)'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    child.kill('SIGTERM');
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(status).toBe(128 + 15);
  });
});

describe('usage errors exit 2 with one line, before anything runs', () => {
  const cases: Array<[string[], RegExp]> = [
    [['run', '--bogus', 'fixtures/echo.js'], /^loopwatch: unknown option '--bogus'\n$/],
    [['run', 'no-such-script.js'], /^loopwatch: script not found: no-such-script\.js/],
    [['run', '--threshold', 'abc', 'fixtures/echo.js'], /^loopwatch: --threshold takes a positive number of milliseconds, not 'abc'\n$/],
    [['run', '--threshold', '0', 'fixtures/echo.js'], /^loopwatch: --threshold takes a positive number/],
    [['run', '--', 'no-such-command-xyz'], /^loopwatch: command not found: no-such-command-xyz\n$/],
    [['run', '--json', '/no/such/dir/r.json', 'fixtures/echo.js'], /^loopwatch: --json \/no\/such\/dir\/r\.json: directory/],
    [['frobnicate'], /^loopwatch: unknown command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), () => {
      const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', input: '' });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    });
  }

  it('prints help and version with status 0', () => {
    const help = spawnSync(process.execPath, [BIN, 'run', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--threshold <ms>');
    const version = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describe('loopwatch report', () => {
  it('rebuilds the same report from a kept recording', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopwatch-recording-'));
    const run = runCli(['run', '--recording', dir, 'fixtures/crypto-pbkdf2.js']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
    const again = runCli(['report', dir, '--json', join(dir, 'again.json')], { json: false });
    expect(again.status).toBe(0);
    const rebuilt = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8'));
    expect(rebuilt.stalls).toEqual(run.report!.stalls);
    expect(rebuilt.callSites).toEqual(run.report!.callSites);
  });
});
