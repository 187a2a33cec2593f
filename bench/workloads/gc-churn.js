'use strict';
// Workload for the GC components: short-lived garbage and nothing else, so that young-
// generation collections (scavenges) come hundreds of times a second, as in a busy server,
// and what observing each one costs stands out. Each round builds and drops a few thousand
// small objects and strings, the shape of a request's garbage; every 10 rounds it yields
// to the event loop (setImmediate), as a server does between requests: Node delivers 'gc'
// entries to observers from the loop, so a program that never yields never pays for that.
const { report } = require('./lib/report');

const ROUNDS = Number(process.argv[2] ?? 20_000);
let keep = 0;

function round(r) {
  const items = [];
  for (let i = 0; i < 200; i++) items.push({ id: r * 200 + i, name: `item-${i}`, tags: [r, i, 'x'] });
  keep ^= JSON.stringify(items).length;
}

const t0 = performance.now();
let r = 0;
(function slice() {
  for (const end = Math.min(ROUNDS, r + 10); r < end; r++) round(r);
  if (r < ROUNDS) setImmediate(slice);
  else report({ workMs: performance.now() - t0, rounds: ROUNDS, keep });
})();
