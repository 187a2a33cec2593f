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
//   targets                 loopwatch's targets from issue 4 are checked against it
// `run` is { dir, purpose }: a fresh temporary directory for this one run, and
// 'overhead' or 'detection'.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { BENCH, ROOT } = require('./setup');
const { loopwatchFindings, blockedAtFindings, doctorFindings } = require('./findings');

const NODE = process.execPath;
const LOOPWATCH = path.join(ROOT, 'bin', 'loopwatch.js');
const AGENT_PRELOAD = path.join(ROOT, 'dist', 'agent', 'preload.js');
const CLINIC = path.join(BENCH, 'node_modules', 'clinic', 'bin.js');
const BLOCKED_AT_PRELOAD = path.join(BENCH, 'preload', 'blocked-at.js');

/** `loopwatch run` as users run it; detection runs also keep the recording. */
function loopwatchRun(extraFlags) {
  return (nodeArgv, run) => [
    NODE, LOOPWATCH, 'run', ...extraFlags, '--quiet', '--json', path.join(run.dir, 'r.json'),
    ...(run.purpose === 'detection' ? ['--recording', path.join(run.dir, 'rec')] : []),
    '--', ...nodeArgv,
  ];
}

/** Undefined when `loopwatch run --help` lists the flag, else why the entry is skipped. */
function unlessCliLacks(flag) {
  return () => {
    const help = execFileSync(NODE, [LOOPWATCH, 'run', '--help'], { encoding: 'utf8' });
    return help.includes(flag) ? undefined : `\`loopwatch run --help\` does not list ${flag} yet`;
  };
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
    // Ready for the sync-I/O probes (being built in src/): skipped until the CLI has the flag.
    id: 'loopwatch-no-sync-io',
    label: 'loopwatch, sync-I/O probes off',
    command: loopwatchRun(['--no-sync-io']),
    unavailable: unlessCliLacks('--no-sync-io'),
  },
  {
    // The agent without the CLI: the cost inside the program's own process, since the
    // CLI is a second Node.js process that only waits and reports.
    id: 'agent',
    label: 'loopwatch agent only (preload)',
    only: ['startup'],
    nodeOptions: () => ['--require', AGENT_PRELOAD],
    env: (run) => ({ LOOPWATCH_RECORDING_DIR: mkdir(path.join(run.dir, 'rec')) }),
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
