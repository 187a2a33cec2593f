'use strict';
// Preloaded (NODE_OPTIONS --require) into the program's process by bench/memory.js, bare
// and watched alike: at exit, appends one JSON line to BENCH_MEMORY_FILE with the
// process's peak and final resident set size and its main thread's V8 heap. RSS is the
// whole process's (the watchdog thread's isolate is in it); the heap is the main thread's.
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

const file = process.env.BENCH_MEMORY_FILE;
if (file && isMainThread && process.argv[1] && process.argv[1].endsWith('stalls.js')) {
  process.on('exit', () => {
    const m = process.memoryUsage();
    const line = { maxRssKb: process.resourceUsage().maxRSS, rssKb: m.rss / 1024, heapTotalKb: m.heapTotal / 1024, heapUsedKb: m.heapUsed / 1024 };
    fs.appendFileSync(file, JSON.stringify(line) + '\n');
  });
}
