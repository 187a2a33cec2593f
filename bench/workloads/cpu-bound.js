'use strict';
// Workload 3: CPU-bound JavaScript. Builds records, sorts them, aggregates them and
// hashes strings in plain JavaScript: no I/O, no awaits.
// Two shapes, chosen by argv[3]:
// - `sliced`: the work is cut into ~5 ms slices run with setImmediate, as a
//   well-behaved program does; the event loop never stalls.
// - `blocking`: the same work in one synchronous run: the event loop is blocked for
//   its whole duration, so a stall detector sees one long stall (and samples it).
const { report } = require('./lib/report');

const ROUNDS = Number(process.argv[2] ?? 60);
const SHAPE = process.argv[3] ?? 'sliced';

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// One round: ~15-20 ms of work. Each round's result feeds a checksum so nothing is optimised away.
function round(seed) {
  const records = [];
  for (let i = 0; i < 20_000; i++) {
    const n = (seed * 7919 + i * 104_729) % 1_000_003;
    records.push({ key: `k${n % 5000}`, value: n % 997 });
  }
  records.sort((a, b) => a.value - b.value || (a.key < b.key ? -1 : 1));
  const sums = new Map();
  for (const r of records) sums.set(r.key, (sums.get(r.key) ?? 0) + r.value);
  let checksum = 0;
  for (const [key, sum] of sums) checksum = (checksum + fnv1a(key + sum)) >>> 0;
  return checksum;
}

const t0 = performance.now();
let checksum = 0;

function done() {
  report({ workMs: performance.now() - t0, rounds: ROUNDS, shape: SHAPE, checksum });
}

if (SHAPE === 'blocking') {
  for (let r = 0; r < ROUNDS; r++) checksum ^= round(r);
  done();
} else {
  let r = 0;
  (function slice() {
    checksum ^= round(r++);
    if (r < ROUNDS) setImmediate(slice);
    else done();
  })();
}
