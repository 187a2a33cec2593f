'use strict';
// Component 2b: the agent's own heartbeat class (dist/agent/heartbeat.js) at
// BENCH_HEARTBEAT_MS: the unref'd interval, libuv's idle time read at each beat, the
// histogram, the beat published to shared memory. No watchdog reads it.
const path = require('node:path');
const { DIST, isMainThread, envNumber } = require('./lib');

if (isMainThread) {
  const { Heartbeat } = require(path.join(DIST, 'agent', 'heartbeat.js'));
  const { HeartbeatState, createHeartbeatBuffer } = require(path.join(DIST, 'agent', 'heartbeat-state.js'));
  new Heartbeat(new HeartbeatState(createHeartbeatBuffer()), envNumber('BENCH_HEARTBEAT_MS', 10), 50, () => {}).start();
}
