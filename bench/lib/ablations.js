'use strict';
// Where the agent's cost goes: bare `--require` preloads that each do one thing the
// agent does (bench/preload/ablation/), measured like any configuration, in concurrent
// pairs against bare node (see overhead.js), on the workloads marked `ablations`.
// `component` groups them in the results; `gcCounts` says the preload writes how many
// collections it saw (gc-count.json), so that its cost can be put per collection.
const fs = require('node:fs');
const path = require('node:path');
const { BENCH, ROOT } = require('./setup');

const P = path.join(BENCH, 'preload', 'ablation');
const AGENT_RECORDING = 'LOOPWATCH_RECORDING_DIR';

function mkdir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A configuration that preloads one component file, with its settings as environment variables. */
function component(id, label, group, file, env = {}, extra = {}) {
  return {
    id,
    label,
    component: group,
    nodeOptions: () => ['--require', path.join(P, file)],
    env: (run) => ({ ...env, BENCH_COMPONENT_DIR: mkdir(path.join(run.dir, 'component')) }),
    ...extra,
  };
}

const ABLATIONS = [
  component('c-empty', 'empty preload (control)', 'control', 'empty.js'),
  component('c-gc', 'GC observer (the agent\'s GcProbe)', 'GC observer', 'gc-observer.js', {}, { gcCounts: true }),
  component('c-gc-empty', 'GC observer, empty callback', 'GC alternatives', 'gc-observer-empty.js'),
  component('c-gc-duty', 'GC observer on 1 s in 10', 'GC alternatives', 'gc-duty-cycle.js'),
  component('c-gcprof-1s', 'v8.GCProfiler, restarted every 1 s', 'GC alternatives', 'gc-profiler.js', { BENCH_GC_PROFILER_MS: '1000' }),
  component('c-gcprof-10s', 'v8.GCProfiler, restarted every 10 s', 'GC alternatives', 'gc-profiler.js', { BENCH_GC_PROFILER_MS: '10000' }),
  component('c-gc-trace-events', 'trace_events, V8\'s \'v8\' category', 'GC alternatives', 'gc-trace-events.js'),
  component('c-hb10', 'heartbeat 10 ms (interval + histogram)', 'heartbeat', 'heartbeat.js', { BENCH_HEARTBEAT_MS: '10' }),
  component('c-hb20', 'heartbeat 20 ms', 'heartbeat', 'heartbeat.js', { BENCH_HEARTBEAT_MS: '20' }),
  component('c-hb50', 'heartbeat 50 ms', 'heartbeat', 'heartbeat.js', { BENCH_HEARTBEAT_MS: '50' }),
  component('c-agent-hb10', 'the agent\'s Heartbeat class, 10 ms', 'heartbeat', 'agent-heartbeat.js', { BENCH_HEARTBEAT_MS: '10' }),
  component('c-worker', 'idle worker thread', 'watchdog', 'idle-worker.js'),
  component('c-watchdog', 'worker: 25 ms check', 'watchdog', 'watchdog-steady.js'),
  component('c-watchdog-pool', 'worker: 25 ms check + fstat and dns.lookup every 100 ms', 'watchdog', 'watchdog-steady.js', { BENCH_POOL_PROBES: '1' }),
  component('c-sync', 'sync-API probes', 'probes', 'sync-probes.js'),
  component('c-pool-work', 'threadpool-work tracking', 'probes', 'pool-work.js'),
  {
    // The whole agent, measured without its GC observer (see the preload).
    id: 'c-agent-no-gc',
    label: 'agent without its GC observer',
    component: 'agent variants',
    nodeOptions: () => ['--require', path.join(P, 'agent-without-gc.js')],
    env: (run) => ({ [AGENT_RECORDING]: mkdir(path.join(run.dir, 'rec')) }),
  },
  {
    // The agent's own setting (LOOPWATCH_HEARTBEAT_MS): a slower heartbeat.
    id: 'c-agent-hb50',
    label: 'agent, heartbeat 50 ms',
    component: 'agent variants',
    nodeOptions: () => ['--require', path.join(ROOT, 'dist', 'agent', 'preload.js')],
    env: (run) => ({ [AGENT_RECORDING]: mkdir(path.join(run.dir, 'rec')), LOOPWATCH_HEARTBEAT_MS: '50' }),
  },
];

module.exports = { ABLATIONS };
