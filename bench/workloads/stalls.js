'use strict';
// Workload for bench/memory.js: STALLS stalls of STALL_MS ms each (default 500 of 30),
// 5 ms apart, then a second of idling; with STALLS=0, two seconds of idling. The busy
// loop is bounded by its own clock.
const count = Number(process.env.STALLS || 0);
const stallMs = Number(process.env.STALL_MS || 30);

function spin(ms) {
  const end = Date.now() + ms;
  // eslint-disable-next-line no-empty -- a busy wait, bounded by its own clock
  while (Date.now() < end) {}
}

let done = 0;
function next() {
  if (done >= count) {
    setTimeout(() => {}, count === 0 ? 2000 : 1000);
    return;
  }
  done += 1;
  spin(stallMs);
  setTimeout(next, 5);
}
setTimeout(next, 100);
