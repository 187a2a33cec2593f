'use strict';
// Component 6: the threadpool-work tracking alone (dist/agent/probes/pool-work.js through
// dist/agent/probes/install.js with no sync probes): dns.lookup, crypto's async key
// functions, randomBytes and zlib's callback methods keep a start time and a raw stack
// per call. Work held past the threshold (50 ms) is built at exit and dropped.
const path = require('node:path');
const { DIST, isMainThread } = require('./lib');

if (isMainThread) {
  const { PoolWorkTracker } = require(path.join(DIST, 'agent', 'probes', 'pool-work.js'));
  const { installProbes } = require(path.join(DIST, 'agent', 'probes', 'install.js'));
  const pending = [];
  const pool = new PoolWorkTracker({ thresholdMs: 50, record: (make) => pending.push(make) });
  installProbes({ sync: undefined, pool });
  process.on('exit', () => pending.forEach((make) => make()));
}
