'use strict';
// Component 3: an idle worker thread, started as the agent starts its watchdog
// (execArgv: [], an empty environment, unref'd). It does nothing but stay alive: one
// timer far in the future keeps its loop open.
const { Worker } = require('node:worker_threads');
const { isMainThread } = require('./lib');

if (isMainThread) {
  const worker = new Worker('setInterval(() => {}, 2 ** 30);', { eval: true, execArgv: [], env: {} });
  worker.unref();
}
