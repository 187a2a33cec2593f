'use strict';
// GC alternative: v8.GCProfiler (Node >= 18.15), restarted every BENCH_GC_PROFILER_MS
// (1000 by default). V8 keeps every collection's record in C++ and hands them over as one
// JSON string at stop(): no JavaScript runs per collection. But each record carries the
// heap's statistics before and after, per space, read at every collection. Loses: a
// collection between a stop() and the next start(); and the records of a stall arrive
// only at the next restart.
const v8 = require('node:v8');
const { isMainThread, envNumber } = require('./lib');

if (isMainThread && typeof v8.GCProfiler === 'function') {
  const everyMs = envNumber('BENCH_GC_PROFILER_MS', 1000);
  let profiler = new v8.GCProfiler();
  profiler.start();
  const restart = () => {
    profiler.stop(); // the records, as a JSON string: a real user would parse them here
    profiler = new v8.GCProfiler();
    profiler.start();
  };
  setInterval(restart, everyMs).unref();
  process.on('exit', () => profiler.stop());
}
