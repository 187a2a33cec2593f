'use strict';
// Workload for the sampling of short sync calls: batch "requests", each making three
// sync fs calls far under loopwatch's 1 ms threshold (a readFileSync of a small file, a
// statSync, an existsSync, from two lines), yielding to the event loop after each, as a
// server does between requests. Every call is one the agent counts, and after startup
// samples (SYNC_SAMPLE_INTERVAL_MS intervals per operation).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { report } = require('./lib/report');

const REQUESTS = Number(process.argv[2] ?? 40_000);
const file = path.join(os.tmpdir(), `loopwatch-bench-small-sync-${process.pid}.json`);
fs.writeFileSync(file, JSON.stringify({ greeting: 'hello', n: 42 }));
let keep = 0;

function handle() {
  keep ^= fs.readFileSync(file).length;
  if (fs.existsSync(file)) keep ^= fs.statSync(file).size;
}

const t0 = performance.now();
let r = 0;
(function next() {
  handle();
  if (++r < REQUESTS) setImmediate(next);
  else {
    fs.rmSync(file, { force: true });
    report({ workMs: performance.now() - t0, requests: REQUESTS, keep });
  }
})();
