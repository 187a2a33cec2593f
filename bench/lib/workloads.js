'use strict';
// The workloads of the overhead benchmark. `kind` says how a run is driven and
// measured (see overhead.js); `program(ctx)` is what comes after `node`.
const path = require('node:path');

const W = path.join(__dirname, '..', 'workloads');
const ORDERS_URL = '/api/orders/1234?token=42';

// What is compared in a concurrent pair, per kind (see concurrent.js). value(result) is
// one side's figure; compare: 'ratio' (configuration / bare) or 'difference'
// (configuration - bare); better: which way is good. The first metric of a kind is its
// headline.
const RSS = { key: 'rssMb', label: 'peak RSS, program', unit: 'MB', better: 'lower', compare: 'difference' };
const ALL_RSS = { key: 'allRssMb', label: 'peak RSS, all processes', unit: 'MB', better: 'lower', compare: 'difference' };
const PAIR_METRICS = {
  http: [
    { key: 'requests', label: 'requests served', unit: '', better: 'higher', compare: 'ratio' },
    { key: 'cpuPerRequest', label: 'CPU per request', unit: 'µs', better: 'lower', compare: 'ratio', value: (r) => (r.servingCpuMs * 1000) / r.servedRequests },
    { key: 'p99', label: 'p99 latency', unit: 'ms', better: 'lower', compare: 'ratio' },
    RSS,
  ],
  timed: [
    { key: 'cpuMs', label: 'CPU time, program', unit: 'ms', better: 'lower', compare: 'ratio' },
    { key: 'allCpuMs', label: 'CPU time, all processes', unit: 'ms', better: 'lower', compare: 'ratio' },
    RSS,
  ],
  startup: [
    { key: 'cpuMs', label: 'CPU added, program', unit: 'ms', better: 'lower', compare: 'difference' },
    { key: 'allCpuMs', label: 'CPU added, all processes', unit: 'ms', better: 'lower', compare: 'difference' },
    RSS,
    ALL_RSS,
  ],
};
// Startup alone on a free core (one run after another, unpinned): what is added.
const ALONE_METRICS = [
  { key: 'cpuMs', label: 'CPU added, program', unit: 'ms', better: 'lower', compare: 'difference' },
  { key: 'allCpuMs', label: 'CPU added, all processes', unit: 'ms', better: 'lower', compare: 'difference' },
  { key: 'wallMs', label: 'start to exit added', unit: 'ms', better: 'lower', compare: 'difference' },
];
// The one sequential run per configuration: absolute figures only.
const SEQUENTIAL_METRICS = {
  http: [
    { key: 'rps', label: 'requests/s', unit: '' },
    { key: 'meanLatency', label: 'mean latency', unit: 'ms' },
    { key: 'p99', label: 'p99 latency', unit: 'ms' },
    { key: 'cpuPerRequest', label: 'CPU per request', unit: 'µs', value: (r) => (r.servingCpuMs * 1000) / r.servedRequests },
  ],
  timed: [
    { key: 'workMs', label: 'work time', unit: 'ms' },
    { key: 'wallMs', label: 'wall time', unit: 'ms' },
    { key: 'cpuMs', label: 'CPU time, program', unit: 'ms' },
  ],
  startup: [
    { key: 'wallMs', label: 'start to exit', unit: 'ms' },
    { key: 'cpuMs', label: 'CPU time, program', unit: 'ms' },
  ],
};

/** A metric's figure in one run's result (NaN when the run gave none). */
function figureOf(metric, result) {
  if (!result || result.error || result.timedOut) return NaN;
  const v = metric.value ? metric.value(result) : result[metric.key];
  return Number.isFinite(v) ? v : NaN;
}

// ablations: the component preloads (lib/ablations.js) are measured on this workload too
// (true: all of them; a list: those of these groups); ablationsOnly: not a workload of
// the configurations, only of the components.
const WORKLOADS = [
  {
    id: 'http',
    kind: 'http',
    title: 'HTTP JSON API (node:http)',
    program: () => [path.join(W, 'http-server.js')],
    urlPath: '/api/users?limit=20&offset=100&role=user',
  },
  {
    id: 'async-http',
    kind: 'http',
    title: 'async JSON API, 20 awaits + sha1 a request (node:http)',
    program: () => [path.join(W, 'async-http.js')],
    urlPath: ORDERS_URL,
    ablations: true,
  },
  {
    id: 'async-express',
    kind: 'http',
    title: 'async JSON API (express 5)',
    program: () => [path.join(W, 'async-express.js')],
    urlPath: ORDERS_URL,
  },
  {
    id: 'async-fastify',
    kind: 'http',
    title: 'async JSON API (fastify 5)',
    program: () => [path.join(W, 'async-fastify.js')],
    urlPath: ORDERS_URL,
  },
  {
    id: 'async',
    kind: 'timed',
    title: 'batch: async/await-heavy (150,000 orders, ~1 million awaits)',
    program: () => [path.join(W, 'async-heavy.js'), '150000'],
    ablations: true,
  },
  {
    id: 'cpu-sliced',
    kind: 'timed',
    title: 'batch: CPU-bound, in ~8 ms slices (no stall)',
    program: () => [path.join(W, 'cpu-bound.js'), '150', 'sliced'],
    ablations: true,
  },
  {
    id: 'cpu-blocking',
    kind: 'timed',
    title: 'batch: CPU-bound, one synchronous run (one long stall)',
    program: () => [path.join(W, 'cpu-bound.js'), '150', 'blocking'],
  },
  {
    id: 'gc-churn',
    kind: 'timed',
    title: 'batch: short-lived garbage only, yielding every 10 rounds (hundreds of scavenges)',
    program: () => [path.join(W, 'gc-churn.js'), '20000'],
    ablations: ['control', 'GC observer', 'GC alternatives'],
    ablationsOnly: true,
  },
  {
    id: 'startup-empty',
    kind: 'startup',
    title: 'startup: node -e 0',
    program: () => ['-e', '0'],
  },
  {
    id: 'startup-modules',
    kind: 'startup',
    title: 'startup: a program requiring 300 modules',
    program: (ctx) => [ctx.manyModulesMain],
    ablations: ['control', 'GC observer', 'heartbeat', 'watchdog', 'probes', 'agent variants'],
  },
];

module.exports = { WORKLOADS, PAIR_METRICS, ALONE_METRICS, SEQUENTIAL_METRICS, figureOf };
