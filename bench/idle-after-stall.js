#!/usr/bin/env node
'use strict';
// How long the event loop waits in epoll after a long callback before it runs a timer
// that is already overdue: a 10 ms interval (as loopwatch's heartbeat) beside a timer
// that blocks for 80 ms, six times. Prints, for each, the gap from the callback's end to
// the interval's next run and the idle time libuv counted in that gap. That idle time is
// inside the heartbeat's window but after the stall, which is why a stall's recorded
// start can fall inside its blocking call (src/attribution/attribute.ts,
// startingWithItsCalls). `node bench/idle-after-stall.js`

let afterEnd;
let idleAtEnd;
const gaps = [];
setInterval(() => {
  if (afterEnd === undefined) return;
  gaps.push({ gapMs: +(performance.now() - afterEnd).toFixed(2), idleInGapMs: +(performance.nodeTiming.idleTime - idleAtEnd).toFixed(2) });
  afterEnd = undefined;
  if (gaps.length === 6) {
    console.log(process.version, JSON.stringify(gaps));
    process.exit(0);
  }
}, 10);

function stall() {
  setTimeout(() => {
    const t0 = performance.now();
    while (performance.now() - t0 < 80);
    afterEnd = performance.now();
    idleAtEnd = performance.nodeTiming.idleTime;
    stall();
  }, 3 + Math.random() * 7);
}
stall();
