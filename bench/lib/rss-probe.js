'use strict';
// Preloaded (NODE_OPTIONS --require) into every Node.js process of every benchmark
// run, whatever the configuration: at exit, appends the process's peak resident set
// size to the file named by BENCH_RSS_FILE. process.resourceUsage().maxRSS is the
// whole process's peak (all its threads, so a tool's worker thread is counted), and
// wrappers (the loopwatch CLI, clinic) report their own line, so the bench can tell
// the program's process from the tool's extra processes.
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

const file = process.env.BENCH_RSS_FILE;
if (file && isMainThread) {
  process.on('exit', () => {
    const line = { pid: process.pid, ppid: process.ppid, argv: process.argv.slice(0, 3), maxRssKb: process.resourceUsage().maxRSS };
    fs.appendFileSync(file, JSON.stringify(line) + '\n');
  });
}
