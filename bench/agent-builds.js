'use strict';
// Two builds of the agent against each other, with the concurrent method (README,
// "Method"): for a change inside the agent whose cost is too small for the full bench's
// bare-against-loopwatch figures to show. Each round runs an A/A pair (the base build
// against itself) and a pair of the changed build against the base one, both programs
// started at once on one core; compared is each program's CPU time (all its threads).
//
//   node bench/agent-builds.js <base dist/> <changed dist/> [rounds] [workload args...]
//
// e.g. the sampling of short sync calls: `git archive <base> src tsconfig.json
// package.json | tar -x -C /tmp/base`, a node_modules link, `npx tsc -p .` there; the same
// for the change; then `node bench/agent-builds.js /tmp/base/dist /tmp/change/dist 20`.
const fs = require('node:fs');
const path = require('node:path');
// lib/concurrent.js's runPrograms, without the peers' modules it loads (this needs no npm ci in bench/).
const { invocation, newRunDir, processStats, removeAllRunDirs, removeRunDir } = require('./lib/invocation');
const { benchLine, pinned, start } = require('./lib/processes');
const { median } = require('./lib/stats');

const SERVER_CPU = 1;

const [base, changed, roundsArg, ...workloadArgs] = process.argv.slice(2);
if (!base || !changed) {
  console.error('usage: node bench/agent-builds.js <base dist/> <changed dist/> [rounds] [workload args...]');
  process.exit(2);
}
const ROUNDS = Number(roundsArg ?? 15);
const workload = {
  id: 'small-sync',
  kind: 'batch',
  program: () => [path.join(__dirname, 'workloads', 'small-sync.js'), ...(workloadArgs.length > 0 ? workloadArgs : ['40000'])],
};

function agentBuild(id, dist) {
  const preload = path.resolve(dist, 'agent', 'preload.js');
  if (!fs.existsSync(preload)) throw new Error(`no ${preload}: build that tree first`);
  return {
    id,
    label: `agent from ${dist}`,
    nodeOptions: () => ['--require', preload],
    env: (run) => {
      const dir = path.join(run.dir, 'rec');
      fs.mkdirSync(dir, { recursive: true });
      return { LOOPWATCH_RECORDING_DIR: dir };
    },
  };
}

const BASE = agentBuild('base', base);
const CHANGED = agentBuild('changed', changed);

/** CPU time of the first side over the second's, sides swapped every other round. */
async function pair(a, b, round) {
  const swap = round % 2 === 1;
  const sides = await runPrograms(swap ? [b, a] : [a, b]);
  const [first, second] = swap ? [sides[1], sides[0]] : sides;
  if (!first?.cpuMs || !second?.cpuMs) throw new Error(`a run broke: ${JSON.stringify(sides)}`);
  return { ratio: first.cpuMs / second.cpuMs, cpuMs: [first.cpuMs, second.cpuMs], workMs: [first.workMs, second.workMs] };
}

/** Both programs started at once on SERVER_CPU; each one's CPU time (exit probe) and own work time. */
async function runPrograms(configs) {
  const runs = configs.map((config) => ({ config, runDir: newRunDir('overhead') }));
  try {
    const ends = await Promise.all(
      runs.map(({ config, runDir }) => {
        const { argv, env } = invocation(config, [process.execPath, ...workload.program()], runDir);
        return start(pinned(SERVER_CPU, argv), { env, cwd: runDir.dir, timeoutMs: 120_000 }).done;
      }),
    );
    return runs.map(({ runDir }, i) => {
      const done = ends[i];
      if (done.timedOut || done.code !== 0) return { error: done.timedOut ? 'timed out' : `exit ${done.code ?? done.signal}: ${done.stderr}` };
      return { workMs: benchLine(done.stdout)?.workMs, ...processStats(runDir) };
    });
  } finally {
    for (const { runDir } of runs) removeRunDir(runDir);
  }
}

(async () => {
  const aa = [];
  const ab = [];
  for (let round = 0; round < ROUNDS; round++) {
    const calibration = await pair(BASE, BASE, round);
    const change = await pair(CHANGED, BASE, round);
    aa.push(calibration.ratio);
    ab.push(change.ratio);
    console.log(
      `round ${round + 1}: A/A ${pct(calibration.ratio)}; changed vs base ${pct(change.ratio)} (CPU ${change.cpuMs.map((ms) => ms.toFixed(0)).join(' vs ')} ms)`,
    );
  }
  const spread = Math.max(...aa.map((r) => Math.abs(r - 1)));
  console.log(`A/A: median ${pct(median(aa))}, spread ±${(spread * 100).toFixed(1)} %`);
  const m = median(ab);
  console.log(`changed vs base, CPU time of the program: median ${pct(m)}${Math.abs(m - 1) <= spread ? ' (within A/A)' : ''}, range ${pct(Math.min(...ab))} to ${pct(Math.max(...ab))}`);
})()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(removeAllRunDirs);

function pct(ratio) {
  const d = (ratio - 1) * 100;
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)} %`;
}
