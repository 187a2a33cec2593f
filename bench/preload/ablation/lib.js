'use strict';
// Shared by the component preloads: where the compiled agent is, and the guard every
// preload needs (NODE_OPTIONS also loads a preload into every worker thread: each
// component belongs to the main thread, as the agent's parts do).
const path = require('node:path');
const { isMainThread } = require('node:worker_threads');

const DIST = path.resolve(__dirname, '..', '..', '..', 'dist');

/** A number from the environment, else the fallback. */
function envNumber(name, fallback) {
  const n = Number(process.env[name]);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

module.exports = { DIST, isMainThread, envNumber };
