'use strict';
// The configurations the bench compares. Adding one is adding one entry here.
//
// An entry says how to run `node <program...>` under it:
//   command(nodeArgv, run)  the command line (default: nodeArgv itself)
//   nodeOptions(run)        extra NODE_OPTIONS (each value quoted for NODE_OPTIONS)
//   env(run)                extra environment variables
//   stopSignal              what stops a server run through this wrapper (default SIGINT)
//   only                    workload kinds it applies to (default: all)
//   unavailable()           a reason to skip it on this machine, or undefined
//   findings(runDir)        what it reported on a fixture (see findings.js); without
//                           it the configuration is not in the detection benchmark
//   skipFixtures            { 'fixture.js': 'why it makes no sense for this tool' }
//   targets                 loopwatch's targets (issues 4 and 10) are checked against it
// `run` is { dir, purpose }: a fresh temporary directory for this one run, and
// 'overhead' or 'detection'. The component preloads of lib/ablations.js are entries of
// the same shape.
const fs = require('node:fs');
const path = require('node:path');
const { BENCH, ROOT } = require('./setup');
const { loopwatchFindings, blockedAtFindings, doctorFindings } = require('./findings');

const NODE = process.execPath;
const LOOPWATCH = path.join(ROOT, 'bin', 'loopwatch.js');
const AGENT_PRELOAD = path.join(ROOT, 'dist', 'agent', 'preload.js');
const CLINIC = path.join(BENCH, 'node_modules', 'clinic', 'bin.js');
const BLOCKED_AT_PRELOAD = path.join(BENCH, 'preload', 'blocked-at.js');
const PACKAGE_JSON = path.join(ROOT, 'package.json');

/** `loopwatch run` as users run it; detection runs also keep the recording. */
function loopwatchRun(extraFlags) {
  return (nodeArgv, run) => [
    NODE, LOOPWATCH, 'run', ...extraFlags, '--quiet', '--json', path.join(run.dir, 'r.json'),
    ...(run.purpose === 'detection' ? ['--recording', path.join(run.dir, 'rec')] : []),
    '--', ...nodeArgv,
  ];
}

/** The file package.json exports as `loopwatch/<subpath>`, or undefined. */
function exported(subpath) {
  const target = JSON.parse(fs.readFileSync(PACKAGE_JSON, 'utf8')).exports?.[`./${subpath}`];
  return typeof target === 'string' ? path.join(ROOT, target) : undefined;
}

// Peers measure inside the callback that blocks: a process that exits, crashes or is
// killed in the middle of that callback never gets to their measuring code.
const PEER_SKIPS = {
  'exit-in-stall.js': 'process.exit() inside the stall: the end of the callback, where peers measure, never comes',
  'crash-in-stall.js': 'uncaught exception right after the stall: peers only report from callbacks that return',
  'killed-in-stall.js': 'SIGKILL in the middle of the stall: peers only report from callbacks that return',
};

const CONFIGS = [
  {
    id: 'bare',
    label: 'bare node',
  },
  {
    id: 'loopwatch',
    label: 'loopwatch',
    command: loopwatchRun([]),
    findings: loopwatchFindings,
    targets: true,
  },
  {
    // The agent without the CLI: the cost inside the program's own process, since the
    // CLI is a second Node.js process that only waits and reports.
    id: 'agent',
    label: 'loopwatch agent only (preload)',
    nodeOptions: () => ['--require', AGENT_PRELOAD],
    env: (run) => ({ LOOPWATCH_RECORDING_DIR: mkdir(path.join(run.dir, 'rec')) }),
    targets: true,
  },
  {
    // The in-process production mode to come: `node --require loopwatch/register`, no
    // CLI. Skipped until package.json exports ./register; then it runs as it is.
    id: 'register',
    label: 'loopwatch/register (production mode)',
    nodeOptions: () => ['--require', exported('register')],
    unavailable: () => (exported('register') ? undefined : 'package.json does not export loopwatch/register yet'),
    targets: true,
  },
  {
    id: 'doctor',
    label: 'Clinic.js Doctor',
    // Collect only: no analysis or HTML at exit (the detection benchmark runs Doctor's
    // analysis itself, headless). NO_INSIGHT=1, or clinic exits silently without a TTY.
    command: (nodeArgv, run) => [NODE, CLINIC, 'doctor', '--collect-only', '--dest', path.join(run.dir, 'doctor'), '--', ...nodeArgv],
    env: () => ({ NO_INSIGHT: '1' }),
    findings: doctorFindings,
    skipFixtures: PEER_SKIPS,
  },
  {
    id: 'blocked-at',
    label: 'blocked-at',
    nodeOptions: () => ['--require', BLOCKED_AT_PRELOAD],
    env: (run) => (run.purpose === 'detection' ? { BENCH_BLOCKED_AT_OUT: path.join(run.dir, 'blocked-at.jsonl') } : {}),
    findings: blockedAtFindings,
    skipFixtures: PEER_SKIPS,
  },
];

function mkdir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The configurations usable here, printing why any other is skipped. */
function availableConfigs() {
  return CONFIGS.filter((config) => {
    const reason = config.unavailable?.();
    if (reason) console.log(`bench: skipping configuration "${config.label}": ${reason}`);
    return !reason;
  });
}

module.exports = { CONFIGS, availableConfigs, NODE };
