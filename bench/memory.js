#!/usr/bin/env node
'use strict';
// What loopwatch costs in memory: the program's resident set size, bare and under
// `loopwatch run`, idle and with N stalls. Configurations alternate run by run, the
// growth is each watched run's figure minus the bare run next to it, and the table
// gives medians. Not a test: it never fails on a number.
//
//   node bench/memory.js                    # 5 runs each of 0 and 500 stalls of 30 ms (about 4 minutes)
//   node bench/memory.js --runs 3 --stalls 0,200,1000 --stall-ms 30 --threshold 20
//   LOOPWATCH_MAX_SAMPLES_PER_SECOND=5 node bench/memory.js ...   # passed to the agent
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'loopwatch.js');
const WORKLOAD = path.join(__dirname, 'workloads', 'stalls.js');
const PROBE = path.join(__dirname, 'lib', 'memory-probe.js');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}
const runs = Number(option('runs', '5'));
const stallCounts = option('stalls', '0,500').split(',').map(Number);
const stallMs = Number(option('stall-ms', '30'));
const threshold = Number(option('threshold', '20'));

if (!fs.existsSync(path.join(ROOT, 'dist', 'agent', 'preload.js'))) {
  console.error('bench/memory.js: build loopwatch first (npm run build)');
  process.exit(1);
}

function once(watched, stalls) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-memory-'));
  const file = path.join(dir, 'memory.jsonl');
  const env = { ...process.env, BENCH_MEMORY_FILE: file, STALLS: String(stalls), STALL_MS: String(stallMs), NODE_OPTIONS: `--require ${PROBE}` };
  const command = watched ? [BIN, 'run', '-q', '--threshold', String(threshold), '--', process.execPath, WORKLOAD] : [WORKLOAD];
  const result = spawnSync(process.execPath, command, { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  try {
    if (result.status !== 0) throw new Error(`${watched ? 'watched' : 'bare'} run exited with ${result.status ?? result.signal}`);
    return JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n')[0]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const mb = (kb) => (kb / 1024).toFixed(1);
console.log(`Node.js ${process.version}, ${os.cpus().length} CPUs, ${runs} runs each, stalls of ${stallMs} ms at --threshold ${threshold}` +
  (process.env.LOOPWATCH_MAX_SAMPLES_PER_SECOND ? `, LOOPWATCH_MAX_SAMPLES_PER_SECOND=${process.env.LOOPWATCH_MAX_SAMPLES_PER_SECOND}` : ''));
console.log('| stalls | bare peak RSS | watched peak RSS | growth (median of pairs) | growth, min..max | watched main-thread heap (bare) |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const stalls of stallCounts) {
  const pairs = [];
  for (let i = 0; i < runs; i++) {
    // Alternated: bare runs first in even pairs, watched in odd ones.
    const bareFirst = i % 2 === 0;
    const a = once(!bareFirst, stalls);
    const b = once(bareFirst, stalls);
    const [bare, watched] = bareFirst ? [a, b] : [b, a];
    pairs.push({ bare, watched, growthKb: watched.maxRssKb - bare.maxRssKb });
    process.stderr.write(`  ${stalls} stalls, pair ${i + 1}: bare ${mb(bare.maxRssKb)} MB, watched ${mb(watched.maxRssKb)} MB\n`);
  }
  const growth = pairs.map((p) => p.growthKb);
  console.log(
    `| ${stalls} | ${mb(median(pairs.map((p) => p.bare.maxRssKb)))} MB | ${mb(median(pairs.map((p) => p.watched.maxRssKb)))} MB | ${median(growth) >= 0 ? '+' : ''}${mb(median(growth))} MB | ` +
      `${mb(Math.min(...growth))}..${mb(Math.max(...growth))} MB | ${mb(median(pairs.map((p) => p.watched.heapTotalKb)))} MB (${mb(median(pairs.map((p) => p.bare.heapTotalKb)))} MB) |`,
  );
}
