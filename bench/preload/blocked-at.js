'use strict';
// Preload that turns on blocked-at the way its README shows, with loopwatch's
// threshold (50 ms). Each report is appended as one JSON line to the file named by
// BENCH_BLOCKED_AT_OUT (when set), for the detection benchmark; the overhead runs
// leave it unset and pay only for blocked-at's own bookkeeping.
const fs = require('node:fs');
const blocked = require('blocked-at');

const out = process.env.BENCH_BLOCKED_AT_OUT;

blocked((ms, stack, { type }) => {
  if (!out) return;
  fs.appendFileSync(out, JSON.stringify({ pid: process.pid, ms, type, stack }) + '\n');
}, { threshold: 50 });
