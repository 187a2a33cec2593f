'use strict';
// Component 4: a worker doing what the watchdog does while the loop is free
// (src/watchdog/watchdog.ts, pool-probe.ts): every 25 ms (the watchdog's detectAfterMs at
// the default threshold) read the main thread's beat from shared memory and compare it
// with the clock; with BENCH_POOL_PROBES=1 also, every 100 ms (POOL_PROBE_INTERVAL_MS),
// one fs.fstat and one dns.lookup('2130706433') timed from submission to callback, which
// also starts libuv's threadpool in a program that never uses it. The main thread beats
// nothing here: the check reads a value that never changes, as on a free loop it reads a
// fresh one.
const { Worker } = require('node:worker_threads');
const { isMainThread } = require('./lib');

const WORKER = `
const { workerData } = require('node:worker_threads');
const { fstat, openSync } = require('node:fs');
const { lookup } = require('node:dns');
const beat = new BigInt64Array(workerData.buffer);
let seen = 0;
function check() {
  const ageMs = performance.now() - Number(Atomics.load(beat, 1)) / 1000;
  if (ageMs > 1e12) seen++; // never true: keeps the read
  setTimeout(check, 25);
}
check();
if (workerData.poolProbes) {
  const fd = openSync(workerData.file, 'a');
  const pending = { work: false, dns: false };
  const timed = (queue, task) => {
    if (pending[queue]) return;
    pending[queue] = true;
    const start = performance.now();
    task(() => { pending[queue] = false; seen += performance.now() - start > 1e12 ? 1 : 0; });
  };
  setInterval(() => {
    timed('work', (done) => fstat(fd, done));
    timed('dns', (done) => lookup('2130706433', { family: 4 }, done));
  }, 100);
}
`;

if (isMainThread) {
  const buffer = new SharedArrayBuffer(4 * 8);
  const file = require('node:path').join(process.env.BENCH_COMPONENT_DIR ?? require('node:os').tmpdir(), `probe-${process.pid}`);
  const poolProbes = process.env.BENCH_POOL_PROBES === '1';
  const worker = new Worker(WORKER, { eval: true, execArgv: [], env: {}, workerData: { buffer, file, poolProbes } });
  worker.unref();
}
