#!/usr/bin/env node
'use strict';
// A part of `npm run bench`, for measuring one change: the concurrent pairs of the
// workloads and configurations named, with their A/A pairs, and nothing else (no
// sequential runs, components, profile or detection). It writes no RESULTS.md; it prints
// each workload's pair table, and keeps every pair's raw numbers in the --out file.
//
//   node bench/pairs.js --workloads async,cpu-sliced,startup-empty --configs loopwatch,agent --reps 5
//
// --targets also prints the A/A calibration and loopwatch's targets for what was run
// (with --detection, after running loopwatch on the fixtures once, for the first-sample
// target); --from <file> prints them from an --out file of an earlier run instead.
//
// With BENCH_BASE_ROOT=<a checkout of loopwatch, built>, the configurations `base-loopwatch`,
// `base-agent` and `base-register` run that checkout's CLI, agent and production mode:
// paired with bare node in the same rounds as the current ones, so a change is measured
// against what it changes.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const setup = require('./lib/setup');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main() {
  setup.ensureDependencies();
  setup.ensureBuilt();
  const { CONFIGS, NODE } = require('./lib/configs');
  const { ABLATIONS } = require('./lib/ablations');
  const { WORKLOADS } = require('./lib/workloads');
  const { runWorkload } = require('./lib/overhead');
  const results = require('./lib/results');
  const { generate } = require('./workloads/many-modules');

  const from = arg('from');
  if (from) {
    await targets(JSON.parse(fs.readFileSync(from, 'utf8')), CONFIGS);
    return;
  }
  const reps = Number(arg('reps', '5'));
  const workloadIds = arg('workloads', 'async,cpu-sliced,startup-empty').split(',');
  const configIds = arg('configs', 'loopwatch,agent').split(',');
  const all = [...CONFIGS, ...ABLATIONS, ...baseConfigs(NODE)];
  const unknown = configIds.filter((id) => !all.some((c) => c.id === id));
  if (unknown.length) throw new Error(`unknown configurations: ${unknown.join(', ')} (known: ${all.map((c) => c.id).join(', ')})`);
  const configs = [all.find((c) => c.id === 'bare'), ...configIds.map((id) => all.find((c) => c.id === id))];
  const options = {
    mode: 'pairs', pairReps: { http: reps, timed: reps, startup: reps }, aloneReps: reps,
    httpSeconds: Number(arg('seconds', '4')), warmupSeconds: 1, connections: 10, limitMs: 60_000,
  };
  modulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-bench-modules-'));
  const ctx = { manyModulesMain: generate(modulesDir) };
  const raw = {};
  console.log(`bench pairs: ${reps} rounds; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const id of workloadIds) {
    const workload = WORKLOADS.find((w) => w.id === id);
    if (!workload) throw new Error(`unknown workload ${id} (known: ${WORKLOADS.map((w) => w.id).join(', ')})`);
    const applicable = configs.filter((c) => !c.only || c.only.includes(workload.kind));
    raw[id] = await runWorkload(workload, applicable, options, ctx, { sequential: false, reps });
    console.log(`\n## ${workload.title}\n\n${results.pairTable(raw[id], all)}\n`);
  }
  const out = arg('out');
  if (out) fs.writeFileSync(out, JSON.stringify(raw, null, 2) + '\n');
  if (process.argv.includes('--targets')) await targets(raw, all);
}

/** The A/A calibration and the targets of the configurations that have them, for the workloads run (and the fixtures, with --detection). */
async function targets(raw, configs) {
  const results = require('./lib/results');
  let detection;
  if (process.argv.includes('--detection')) {
    const { runDetection } = require('./lib/detection');
    detection = await runDetection(configs.filter((c) => c.id === 'loopwatch'), { detectionReps: 1 });
  }
  console.log(`\n## Calibration: A/A pairs\n\n${results.calibrationTable(results.calibration(raw))}`);
  console.log(`\n## Targets\n\n${results.targetsTable(results.checkTargets(raw, detection, configs))}\n`);
}

/** The configurations of another checkout (BENCH_BASE_ROOT), for before-and-after pairs. */
function baseConfigs(NODE) {
  const root = process.env.BENCH_BASE_ROOT;
  if (!root) return [];
  const mkdir = (dir) => (fs.mkdirSync(dir, { recursive: true }), dir);
  return [
    {
      id: 'base-loopwatch',
      label: `loopwatch at ${root}`,
      command: (nodeArgv, run) => [NODE, path.join(root, 'bin', 'loopwatch.js'), 'run', '--quiet', '--json', path.join(run.dir, 'r.json'), '--', ...nodeArgv],
    },
    {
      id: 'base-agent',
      label: `agent only at ${root}`,
      nodeOptions: () => ['--require', path.join(root, 'dist', 'agent', 'preload.js')],
      env: (run) => ({ LOOPWATCH_RECORDING_DIR: mkdir(path.join(run.dir, 'rec')) }),
    },
    {
      id: 'base-register',
      label: `loopwatch/register at ${root}`,
      nodeOptions: () => ['--require', path.join(root, 'dist', 'agent', 'register.js')],
    },
  ];
}

let modulesDir;
process.on('exit', () => {
  require('./lib/processes').killAll();
  require('./lib/invocation').removeAllRunDirs();
  if (modulesDir) fs.rmSync(modulesDir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

main().catch((err) => {
  console.error(`bench pairs: broke: ${err.stack}`);
  process.exitCode = 1;
});
