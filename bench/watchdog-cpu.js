#!/usr/bin/env node
'use strict';
// What loopwatch's watchdog thread itself spends, by the kernel's count of that thread's
// time on a CPU (/proc/<pid>/task/<tid>/schedstat), while a server is under load: the
// one part of the agent's cost that can be read off directly, without the concurrent
// pairs' ratios. Two builds of the agent, each preloaded into a server of the same
// workload, run at once: both servers pinned to CPU 1, each loaded by its own
// autocannon on CPU 0 for the same seconds; sides swap every round. Each round also
// pairs the base build with itself (A/A): how far the same thread's CPU moves between
// two processes under the same load.
//
//   node bench/watchdog-cpu.js <base dist/> <changed dist/> [rounds] [workload file]
//
// Per configuration it prints, as medians over the rounds: the watchdog thread's CPU in
// ms per second of load, its wake-ups a second (voluntary context switches), the
// libuv pool threads' CPU (the watchdog's probe tasks run there), and the whole
// process's CPU per request. Which thread is the watchdog: Node.js 24 names it
// (`loopwatch-watch`, the first 15 characters of the worker's name); Node.js 20 and 22
// name none of theirs, and there it is the thread created right after Node.js's own
// (main, the delayed-task scheduler, 4 platform workers, the signal/inspector thread):
// the eighth in order of creation, as the agent starts it before anything else.
// libuv's pool threads are the ones named `libuv-worker` (Node.js 22 and later) or, on
// Node.js 20, those created after the watchdog (the workload starts no threads of its own).
// Linux only. Needs bench/node_modules (autocannon): `cd bench && npm ci`.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { median } = require('./lib/stats');

const [base, changed, roundsArg, workloadArg] = process.argv.slice(2);
if (!base || !changed) {
  console.error('usage: node bench/watchdog-cpu.js <base dist/> <changed dist/> [rounds] [workload file]');
  process.exit(2);
}
const ROUNDS = Number(roundsArg ?? 6);
const WORKLOAD = path.resolve(workloadArg ?? path.join(__dirname, 'workloads', 'http-server.js'));
const AUTOCANNON = path.join(__dirname, 'node_modules', 'autocannon', 'autocannon.js');
const LOAD_SECONDS = 8;
const WATCHDOG_NAME = 'loopwatch-watch';
const NODE_OWN_THREADS = 7;

function preloadOf(dist) {
  const file = path.resolve(dist, 'agent', 'preload.js');
  if (!fs.existsSync(file)) throw new Error(`no ${file}: build that tree first`);
  return file;
}

/** Every thread of a process: name, ns on a CPU, voluntary context switches. */
function threads(pid) {
  const out = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b)) {
    try {
      const dir = `/proc/${pid}/task/${tid}`;
      const name = fs.readFileSync(`${dir}/comm`, 'utf8').trim();
      const onCpuNs = Number(fs.readFileSync(`${dir}/schedstat`, 'utf8').split(' ')[0]);
      const wakeups = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`${dir}/status`, 'utf8'))[1]);
      out.set(tid, { name, onCpuNs, wakeups });
    } catch {
      // The thread ended while being read.
    }
  }
  return out;
}

function watchdogTid(list) {
  const tids = [...list.keys()];
  const named = tids.find((tid) => list.get(tid).name === WATCHDOG_NAME);
  return named ?? tids[NODE_OWN_THREADS];
}

function startServer(preload, port) {
  const rec = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'lw-wdcpu-'));
  const child = spawn('taskset', ['-c', '1', process.execPath, '--require', preload, WORKLOAD], {
    env: { ...process.env, PORT: String(port), LOOPWATCH_RECORDING_DIR: rec },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('listening')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code} before listening`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { child, rec, listening, exited };
}

function load(port) {
  return new Promise((resolve, reject) => {
    const ac = spawn('taskset', ['-c', '0', process.execPath, AUTOCANNON, '-c', '10', '-d', String(LOAD_SECONDS), '-j', `http://127.0.0.1:${port}/api/users?limit=20`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let json = '';
    ac.stdout.on('data', (d) => (json += d));
    ac.on('exit', (code) => (code === 0 ? resolve(JSON.parse(json).requests.total) : reject(new Error(`autocannon exited ${code}`))));
  });
}

/** Both servers at once, each under its own load; what each one's threads spent. */
async function pair(preloads, round) {
  const ports = [4600 + 2 * round, 4601 + 2 * round];
  const servers = preloads.map((p, i) => startServer(p, ports[i]));
  try {
    await Promise.all(servers.map((s) => s.listening));
    await new Promise((r) => setTimeout(r, 500));
    const before = servers.map((s) => threads(s.child.pid));
    const requests = await Promise.all(ports.map(load));
    const after = servers.map((s) => threads(s.child.pid));
    return servers.map((s, i) => {
      const tid = watchdogTid(after[i]);
      const spent = (t) => (after[i].get(t).onCpuNs - (before[i].get(t)?.onCpuNs ?? 0)) / 1e6;
      const all = [...after[i].keys()];
      // libuv's pool: named on Node.js 22 and later; on 20, the threads created after the watchdog.
      const named = all.filter((t) => after[i].get(t).name === 'libuv-worker');
      const pool = named.length > 0 ? named : all.filter((t) => t > tid);
      return {
        watchdogMsPerS: spent(tid) / LOAD_SECONDS,
        watchdogWakeupsPerS: (after[i].get(tid).wakeups - (before[i].get(tid)?.wakeups ?? 0)) / LOAD_SECONDS,
        poolMsPerS: pool.reduce((sum, t) => sum + spent(t), 0) / LOAD_SECONDS,
        cpuUsPerRequest: (all.reduce((sum, t) => sum + spent(t), 0) * 1000) / requests[i],
      };
    });
  } finally {
    for (const s of servers) s.child.kill('SIGINT');
    await Promise.all(servers.map((s) => s.exited));
    for (const s of servers) fs.rmSync(s.rec, { recursive: true, force: true });
  }
}

async function main() {
  const configs = { 'base (A/A, first)': [], 'base (A/A, second)': [], base: [], changed: [] };
  const [b, c] = [preloadOf(base), preloadOf(changed)];
  for (let round = 0; round < ROUNDS; round++) {
    const swap = round % 2 === 1;
    const aa = await pair([b, b], 2 * round);
    configs['base (A/A, first)'].push(aa[0]);
    configs['base (A/A, second)'].push(aa[1]);
    const bc = await pair(swap ? [c, b] : [b, c], 2 * round + 1);
    configs.base.push(swap ? bc[1] : bc[0]);
    configs.changed.push(swap ? bc[0] : bc[1]);
    console.log(`round ${round + 1}/${ROUNDS}: watchdog ms/s base ${configs.base.at(-1).watchdogMsPerS.toFixed(1)}, changed ${configs.changed.at(-1).watchdogMsPerS.toFixed(1)}`);
  }
  console.log(`\n${path.basename(WORKLOAD)}, ${ROUNDS} rounds of ${LOAD_SECONDS} s, Node.js ${process.version}; medians [min, max]`);
  console.log('| configuration | watchdog thread, ms of CPU a second | its wake-ups a second | pool threads, ms a second | process, µs of CPU a request |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [name, runs] of Object.entries(configs)) {
    const cell = (key, digits) => {
      const v = runs.map((r) => r[key]);
      return `${median(v).toFixed(digits)} [${Math.min(...v).toFixed(digits)}, ${Math.max(...v).toFixed(digits)}]`;
    };
    console.log(`| ${name} | ${cell('watchdogMsPerS', 1)} | ${cell('watchdogWakeupsPerS', 0)} | ${cell('poolMsPerS', 1)} | ${cell('cpuUsPerRequest', 0)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
