'use strict';
// The whole agent but its GC probe: a 'gc' observe() is turned into a no-op, then the
// agent's own preload runs (LOOPWATCH_RECORDING_DIR set by the configuration). What the
// agent would cost without observing collections, measured, not added up. observe() is
// put back once the agent has started (it starts synchronously), so the program's own
// observers are untouched.
const path = require('node:path');
const { PerformanceObserver } = require('node:perf_hooks');
const { DIST } = require('./lib');

const observe = PerformanceObserver.prototype.observe;
PerformanceObserver.prototype.observe = function (options) {
  if (options?.type === 'gc' || options?.entryTypes?.includes?.('gc')) return undefined;
  return observe.call(this, options);
};
try {
  require(path.join(DIST, 'agent', 'preload.js'));
} finally {
  PerformanceObserver.prototype.observe = observe;
}
