'use strict';
// Component 2: a heartbeat alone: one unref'd setInterval (BENCH_HEARTBEAT_MS, 10 by
// default) that records its lateness in a perf_hooks histogram, as the agent's does.
// (The agent's beat also reads libuv's idle time and publishes to shared memory; the
// `agent-heartbeat` component runs the agent's own class.)
const { createHistogram } = require('node:perf_hooks');
const { isMainThread, envNumber } = require('./lib');

if (isMainThread) {
  const intervalMs = envNumber('BENCH_HEARTBEAT_MS', 10);
  const histogram = createHistogram();
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    histogram.record(Math.max(1, Math.round((now - last - intervalMs) * 1e6)));
    last = now;
  }, intervalMs).unref();
}
