'use strict';
// Turns (configuration, program, run) into the command line and environment to start.
// Every run of every configuration gets the exit probe preloaded (lib/exit-probe.js:
// peak RSS and CPU time of every process), so all pay the same for it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const EXIT_PROBE = path.join(__dirname, 'exit-probe.js');

function quoteNodeOption(value) {
  return /[\s"\\]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

/**
 * { argv, env } for running `node ...program` under config.
 * run: { dir, purpose }; extraEnv: the workload's or fixture's own variables.
 */
function invocation(config, nodeArgv, run, extraEnv = {}) {
  const nodeOptions = ['--require', EXIT_PROBE, ...(config.nodeOptions?.(run) ?? [])].map(quoteNodeOption).join(' ');
  const env = {
    ...process.env,
    ...extraEnv,
    ...(config.env?.(run) ?? {}),
    NODE_OPTIONS: process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ${nodeOptions}` : nodeOptions,
    BENCH_PROBE_FILE: path.join(run.dir, 'probe.jsonl'),
  };
  const argv = config.command ? config.command(nodeArgv, run) : nodeArgv;
  return { argv, env };
}

let root;
/** A fresh directory for one run, under the bench's own temporary directory. */
function newRunDir(purpose) {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-bench-'));
  return { dir: fs.mkdtempSync(path.join(root, 'run-')), purpose };
}

function removeRunDir(run) {
  fs.rmSync(run.dir, { recursive: true, force: true });
}

function removeAllRunDirs() {
  if (root) fs.rmSync(root, { recursive: true, force: true });
}

/**
 * From the exit probe's lines: peak RSS (MB) and CPU time (ms) of the program's own
 * process (the one that started no other: wrappers are its ancestors), and summed over
 * all processes of the run.
 */
function processStats(run) {
  const file = path.join(run.dir, 'probe.jsonl');
  const none = { rssMb: NaN, allRssMb: NaN, cpuMs: NaN, allCpuMs: NaN };
  if (!fs.existsSync(file)) return none;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const parents = new Set(lines.map((l) => l.ppid));
  const leaves = lines.filter((l) => !parents.has(l.pid));
  const mb = (kb) => kb / 1024;
  const cpuMs = (l) => (l.cpuUserUs + l.cpuSystemUs) / 1000;
  const sum = (f) => lines.reduce((total, l) => total + f(l), 0);
  if (leaves.length !== 1) return { ...none, allRssMb: mb(sum((l) => l.maxRssKb)), allCpuMs: sum(cpuMs) };
  return { rssMb: mb(leaves[0].maxRssKb), allRssMb: mb(sum((l) => l.maxRssKb)), cpuMs: cpuMs(leaves[0]), allCpuMs: sum(cpuMs) };
}

module.exports = { invocation, newRunDir, removeRunDir, removeAllRunDirs, processStats };
