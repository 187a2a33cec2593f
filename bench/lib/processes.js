'use strict';
// Starting and stopping the benchmarked commands.
// Every command runs in its own process group (detached), so that a run that must
// be stopped can be killed with everything it started, and nothing outlives the bench.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

const TASKSET = '/usr/bin/taskset';
const canPin = fs.existsSync(TASKSET);

/** Prefixes argv with `taskset -c <cpu>` when taskset exists (and cpu is given). */
function pinned(cpu, argv) {
  return canPin && cpu !== undefined ? [TASKSET, '-c', String(cpu), ...argv] : argv;
}

const live = new Set();

/**
 * Starts argv; returns { child, done } where done resolves to
 * { code, signal, wallMs, stdout, stderr, timedOut } once the process has exited.
 */
function start(argv, { env, cwd, timeoutMs = 120_000, onStdout } = {}) {
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    if (onStdout) onStdout(stdout);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, 'SIGKILL');
  }, timeoutMs);
  const done = new Promise((resolve, reject) => {
    child.on('error', reject);
    // 'close' waits for the output pipes too, so everything the command wrote is in.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, wallMs: performance.now() - t0, stdout, stderr, timedOut });
    });
  });
  return { child, done };
}

/** Runs argv to its end (see start). */
function run(argv, options) {
  return start(argv, options).done;
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Kills whatever the bench started and is still running (on the bench's own exit). */
function killAll() {
  for (const child of live) killGroup(child, 'SIGKILL');
}

/** Resolves when nothing listens on 127.0.0.1:port (we can bind it ourselves); rejects after timeoutMs. */
async function waitPortFree(port, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await canBind(port))) {
    if (Date.now() > until) throw new Error(`port ${port} is still in use after ${timeoutMs} ms: a previous server did not exit`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canBind(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Busy and total jiffies of each CPU, from /proc/stat (Linux), or null elsewhere. Two
 * readings give how busy each core was in between (coreLoad): the check that the servers'
 * core was the one saturated, not the load generators'.
 */
function cpuTimes() {
  try {
    const out = {};
    for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+) (.*)$/.exec(line);
      if (!m) continue;
      const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2].trim().split(/\s+/).map(Number);
      out[m[1]] = { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
    }
    return out;
  } catch {
    return null;
  }
}

/** { [cpu]: fraction busy } between two cpuTimes() readings. */
function coreLoad(before, after) {
  if (!before || !after) return null;
  return Object.fromEntries(Object.keys(after).map((cpu) => {
    const total = after[cpu].total - before[cpu].total;
    return [cpu, total > 0 ? (after[cpu].busy - before[cpu].busy) / total : NaN];
  }));
}

/** The `BENCH {json}` line a workload printed (see workloads/lib/report.js), or undefined. */
function benchLine(stdout) {
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH '));
  return line ? JSON.parse(line.slice('BENCH '.length)) : undefined;
}

module.exports = { canPin, pinned, start, run, killGroup, killAll, waitPortFree, benchLine, cpuTimes, coreLoad };
