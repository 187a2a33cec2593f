'use strict';
// Preloaded (NODE_OPTIONS --require) into every Node.js process of every benchmark
// run, whatever the configuration, so that all pay the same for it: at exit, appends
// one JSON line to the file named by BENCH_PROBE_FILE with the process's
// - peak resident set size (process.resourceUsage().maxRSS), and
// - CPU time (process.cpuUsage(), user + system),
// both of the whole process: all its threads, so a tool's worker thread (loopwatch's
// watchdog) is counted. Wrappers (the loopwatch CLI, clinic) write their own line, so
// the bench can tell the program's process from the tool's extra processes.
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

const file = process.env.BENCH_PROBE_FILE;
if (file && isMainThread) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    const line = {
      pid: process.pid,
      ppid: process.ppid,
      argv: process.argv.slice(0, 3),
      maxRssKb: process.resourceUsage().maxRSS,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
    };
    fs.appendFileSync(file, JSON.stringify(line) + '\n');
  });
}
