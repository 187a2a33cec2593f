'use strict';
// Turns (configuration, program, run) into the command line and environment to start.
// Every run of every configuration gets the RSS probe preloaded, so all pay the same
// for it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const RSS_PROBE = path.join(__dirname, 'rss-probe.js');

function quoteNodeOption(value) {
  return /[\s"\\]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value;
}

/**
 * { argv, env } for running `node ...program` under config.
 * purpose: 'overhead' | 'detection'; extraEnv: the workload's or fixture's own variables.
 */
function invocation(config, nodeArgv, run, extraEnv = {}) {
  const nodeOptions = ['--require', RSS_PROBE, ...(config.nodeOptions?.(run) ?? [])].map(quoteNodeOption).join(' ');
  const env = {
    ...process.env,
    ...extraEnv,
    ...(config.env?.(run) ?? {}),
    NODE_OPTIONS: process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ${nodeOptions}` : nodeOptions,
    BENCH_RSS_FILE: path.join(run.dir, 'rss.jsonl'),
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
 * Peak RSS from the probe's lines: the program's own process (the one that started
 * no other: wrappers are its ancestors) and the sum over all processes of the run.
 */
function peakRss(run) {
  const file = path.join(run.dir, 'rss.jsonl');
  if (!fs.existsSync(file)) return { programMb: NaN, allMb: NaN };
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const parents = new Set(lines.map((l) => l.ppid));
  const leaves = lines.filter((l) => !parents.has(l.pid));
  const mb = (kb) => kb / 1024;
  return {
    programMb: leaves.length === 1 ? mb(leaves[0].maxRssKb) : NaN,
    allMb: mb(lines.reduce((sum, l) => sum + l.maxRssKb, 0)),
  };
}

module.exports = { invocation, newRunDir, removeRunDir, removeAllRunDirs, peakRss };
