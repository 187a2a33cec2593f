import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

  it('starts the agent once per process and once per worker thread, child processes get their own', () => {
    const workers = runCli(['run', 'fixtures/worker-threads.js']);
    expect(workers.report!.processes).toHaveLength(1);
    const [main] = workers.report!.processes;
    // Both worker threads are watched, each by its own agent, under the one process.
    // (loopwatch's watchdog is a thread too, the process's first: it is neither watched nor listed.)
    const ids = main!.threads.map((t) => t.threadId);
    expect(ids).toHaveLength(2);
    expect(main!.unwatchedThreads).toEqual([]);
    expect(workers.stderr).toContain(`2 worker threads watched: ${ids.join(', ')}`);
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
    // The shell kills it 600 ms or more into the stall (its sleep, and its own start on a
    // busy machine); what was seen until then is kept. The watchdog writes a blocked
    // thread's record every BLOCKED_RECORD_EVERY_MS (100 ms), its ticks late by up to
    // 100 ms and more on a loaded machine: the last record before the kill is 400 ms
    // in or later. (With a kill at 300 ms and a bound of 200, a run at a load average of
    // 9 kept 195 ms.)
    expect(stall!.durationMs).toBeGreaterThan(400);
    expect(stall!.durationMs).toBeLessThan(2_000);
    expect(run.stderr).toContain('killed by SIGKILL');
  });

  it('forwards SIGTERM to the program and exits as it did', async () => {
    // The program says when it runs (the agent is in by then, and loopwatch's handlers were set before it started).
    const child = spawn(process.execPath, [BIN, 'run', '--quiet', '--', 'node', '-e', 'console.log("ready"); setTimeout(() => {}, 20000)'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise<void>((resolve) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) resolve();
      });
    });
    child.kill('SIGTERM');
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    expect(status).toBe(128 + 15);
  });
});

describe('usage errors exit 2 with one line, before anything runs', () => {
  const cases: Array<[string[], RegExp]> = [
    [['run', '--bogus', 'fixtures/echo.js'], /^loopwatch: unknown option '--bogus' \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['run', 'no-such-script.js'], /^loopwatch: script not found: no-such-script\.js/],
    [['run', '--threshold', 'abc', 'fixtures/echo.js'], /^loopwatch: --threshold takes a positive number of milliseconds, not 'abc' \[ERR_LOOPWATCH_USAGE\]\n$/],
    [['run', '--threshold', '0', 'fixtures/echo.js'], /^loopwatch: --threshold takes a positive number/],
    [['run', '--', 'no-such-command-xyz'], /^loopwatch: command not found: no-such-command-xyz \[ERR_LOOPWATCH_COMMAND_NOT_FOUND\]\n$/],
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
    // Where the report goes, and that the program's exit status is passed through.
    expect(help.stdout).toContain('the text report is printed on stderr when the command has\nended');
    expect(help.stdout).toContain("The exit status is passed through: loopwatch exits with the command's status");
    const version = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describe('loopwatch report', () => {
  it('rebuilds the same report from a kept recording', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopwatch-recording-'));
    try {
      const run = runCli(['run', '--recording', dir, 'fixtures/crypto-pbkdf2.js']);
      expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1);
      const again = runCli(['report', dir, '--json', join(dir, 'again.json')], { json: false });
      expect(again.status).toBe(0);
      const rebuilt = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8'));
      expect(rebuilt.stalls).toEqual(run.report!.stalls);
      expect(rebuilt.callSites).toEqual(run.report!.callSites);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
