'use strict';
// GC alternative: the observer connected for 1 s out of every 10 s (observe / disconnect
// from an unref'd timer). Node installs its GC callbacks when the first 'gc' observer
// connects and removes them when the last disconnects, so in between a collection costs
// nothing. Loses: every pause in the 9 s of 10 it is off.
const { PerformanceObserver } = require('node:perf_hooks');
const { isMainThread, envNumber } = require('./lib');

if (isMainThread) {
  const onMs = envNumber('BENCH_GC_ON_MS', 1000);
  const periodMs = envNumber('BENCH_GC_PERIOD_MS', 10_000);
  // Reads its entries, as a real user would.
  const observer = new PerformanceObserver((list) => list.getEntries());
  const cycle = () => {
    observer.observe({ type: 'gc' });
    setTimeout(() => observer.disconnect(), onMs).unref();
  };
  cycle();
  setInterval(cycle, periodMs).unref();
}
