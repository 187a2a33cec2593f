'use strict';
// The workloads of the overhead benchmark. `kind` says how a run is driven and
// measured (see overhead.js); `program(ctx)` is what comes after `node`.
const path = require('node:path');

const W = path.join(__dirname, '..', 'workloads');

// What each kind measures. better: which way is good; compare: how a configuration is
// set against bare node (a ratio, or an added amount for startup time and memory).
const RSS = [
  { key: 'rssMb', label: 'peak RSS, program', unit: 'MB', better: 'lower', compare: 'difference' },
  { key: 'allRssMb', label: 'peak RSS, all processes', unit: 'MB', better: 'lower', compare: 'difference' },
];
const METRICS = {
  http: [
    { key: 'rps', label: 'requests/s', unit: '', better: 'higher', compare: 'ratio' },
    { key: 'p50', label: 'p50 latency', unit: 'ms', better: 'lower', compare: 'ratio' },
    { key: 'p99', label: 'p99 latency', unit: 'ms', better: 'lower', compare: 'ratio' },
    ...RSS,
  ],
  timed: [
    { key: 'workMs', label: 'work time', unit: 'ms', better: 'lower', compare: 'ratio' },
    { key: 'wallMs', label: 'wall time', unit: 'ms', better: 'lower', compare: 'ratio' },
    ...RSS,
  ],
  startup: [
    { key: 'wallMs', label: 'start to exit', unit: 'ms', better: 'lower', compare: 'difference' },
    ...RSS,
  ],
};

const WORKLOADS = [
  {
    id: 'http',
    kind: 'http',
    title: 'HTTP JSON API (node:http) under autocannon',
    program: () => [path.join(W, 'http-server.js')],
  },
  {
    id: 'async',
    kind: 'timed',
    title: 'async/await-heavy (150,000 orders, ~1 million awaits)',
    program: () => [path.join(W, 'async-heavy.js'), '150000'],
  },
  {
    id: 'cpu-sliced',
    kind: 'timed',
    title: 'CPU-bound, in ~8 ms slices (no stall)',
    program: () => [path.join(W, 'cpu-bound.js'), '150', 'sliced'],
  },
  {
    id: 'cpu-blocking',
    kind: 'timed',
    title: 'CPU-bound, one synchronous run (one long stall)',
    program: () => [path.join(W, 'cpu-bound.js'), '150', 'blocking'],
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
  },
];

module.exports = { WORKLOADS, METRICS };
