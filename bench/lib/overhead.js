'use strict';
// The overhead benchmark, by the concurrent method (concurrent.js): for every workload,
// rounds of pairs run at the same time on one core: bare node against bare node (the
// A/A pair, which says how far apart two identical runs come out right now), then bare
// node against each configuration. Sides swap from pair to pair, so that neither port
// nor start order favours one configuration. Then ONE sequential run per configuration,
// for the absolute figures (req/s, ms), which move by +-20 % from run to run here and
// are not for comparing. Startup also runs alone, one run after another, unpinned: the
// CPU it adds when a core is free for the agent's watchdog to boot on.
const { loadServers, runPrograms, SERVER_CPU } = require('./concurrent');
const { WORKLOADS } = require('./workloads');

/**
 * Runs every workload under every configuration; then the component preloads on the
 * workloads marked `ablations`. Returns { overhead: { [workloadId]: WorkloadResult },
 * ablations: { [workloadId]: WorkloadResult } }, where a WorkloadResult is
 * { workload, configs: [id], pairs: [{ rep, config, order: [id, id], sides: [result, result], cores }],
 *   sequential: { [configId]: result }, alone?: [{ rep, config, result }] }.
 */
async function runOverhead(configs, ablations, options, ctx, onWorkloadDone) {
  const overhead = {};
  for (const workload of WORKLOADS.filter((w) => !w.ablationsOnly)) {
    const applicable = configs.filter((c) => !c.only || c.only.includes(workload.kind));
    overhead[workload.id] = await runWorkload(workload, applicable, options, ctx, { sequential: true });
    onWorkloadDone(overhead[workload.id], 'overhead');
  }
  const ablationResults = {};
  const bare = configs.find((c) => c.id === 'bare');
  for (const workload of WORKLOADS.filter((w) => w.ablations && options.ablationWorkloads.includes(w.id))) {
    const mine = ablations.filter((a) => (workload.ablations === true || workload.ablations.includes(a.component)) && (!options.ablationIds || options.ablationIds.includes(a.id)));
    ablationResults[workload.id] = await runWorkload(workload, [bare, ...mine], options, ctx, { reps: options.ablationReps });
    onWorkloadDone(ablationResults[workload.id], 'ablations');
  }
  return { overhead, ablations: ablationResults };
}

async function runWorkload(workload, configs, options, ctx, { sequential = false, reps = options.pairReps[workload.kind] } = {}) {
  const bare = configs.find((c) => c.id === 'bare');
  const others = configs.filter((c) => c.id !== 'bare');
  console.log(`\n== ${workload.title}: ${reps} rounds of ${others.length + 1} concurrent pairs (bare/bare, then bare/each)`);
  const result = { workload: { id: workload.id, kind: workload.kind, title: workload.title }, configs: configs.map((c) => c.id), pairs: [], sequential: {} };
  const stopped = new Set();
  for (let rep = 0; rep < reps; rep++) {
    for (const [k, config] of [bare, ...others].entries()) {
      if (stopped.has(config.id)) continue;
      // Alternate sides: bare takes port/start position 0 in one pair, 1 in the next.
      const order = (rep + k) % 2 === 0 ? [bare, config] : [config, bare];
      const pair = await runPair(workload, order, options, ctx);
      result.pairs.push({ rep, config: config.id, order: order.map((c) => c.id), ...pair });
      console.log(`  round ${rep + 1}/${reps}  ${`${order[0].id} | ${order[1].id}`.padEnd(30)} ${describePair(workload, pair)}`);
      if (pair.sides?.some((s) => s.timedOut)) {
        // One run over the limit says enough; the others would only take as long.
        stopped.add(config.id);
        console.log(`  (no more pairs with "${config.label}" on this workload: over the ${options.limitMs / 1000} s limit)`);
      }
    }
  }
  if (workload.kind === 'startup' && sequential) result.alone = await runAlone(workload, bare, others, options, ctx);
  if (sequential) {
    for (const config of configs.filter((c) => !options.sequentialIds || options.sequentialIds.includes(c.id))) {
      if (stopped.has(config.id)) {
        result.sequential[config.id] = { timedOut: true };
        continue;
      }
      const one = await runSequential(workload, config, options, ctx);
      result.sequential[config.id] = one;
      console.log(`  sequential  ${config.id.padEnd(30)} ${describe(workload, one)}`);
    }
  }
  return result;
}

function runPair(workload, order, options, ctx) {
  return workload.kind === 'http' ? loadServers(workload, order, options, ctx, SERVER_CPU) : runPrograms(workload, order, options, ctx, SERVER_CPU);
}

/** One configuration alone: the server pinned to the servers' core, its load generator on the other. */
async function runSequential(workload, config, options, ctx) {
  const run = workload.kind === 'http' ? await loadServers(workload, [config], options, ctx, SERVER_CPU) : await runPrograms(workload, [config], options, ctx, SERVER_CPU);
  return run.error ? { error: run.error } : run.sides[0];
}

/**
 * Startup alone, unpinned, one run after another (bare, each configuration, bare again,
 * per round): on a free core, the agent's watchdog thread boots beside the program
 * instead of taking turns with it. Compared with the mean of the round's two bare runs;
 * the two bare runs against each other are this mode's A/A.
 */
async function runAlone(workload, bare, others, options, ctx) {
  const runs = [];
  for (let rep = 0; rep < options.aloneReps; rep++) {
    for (const [i, config] of [bare, ...others, bare].entries()) {
      const run = await runPrograms(workload, [config], options, ctx, undefined);
      const result = run.error ? { error: run.error } : run.sides[0];
      runs.push({ rep, config: config.id, second: i > 0 && config === bare, result });
    }
  }
  console.log(`  alone: ${runs.length} runs, one after another, unpinned`);
  return runs;
}

function describePair(workload, pair) {
  if (pair.error) return `ERROR ${pair.error}`;
  const cores = pair.cores ? `  cores ${Object.entries(pair.cores).map(([c, l]) => `${c}:${(l * 100).toFixed(0)}%`).join(' ')}` : '';
  return pair.sides.map((s) => describe(workload, s)).join('  ||  ') + cores;
}

function describe(workload, result) {
  if (result.error) return `ERROR ${result.error}`;
  if (result.timedOut) return 'over the time limit, stopped';
  const parts = [];
  if (result.requests !== undefined) {
    parts.push(`${result.requests} req (${result.rps.toFixed(0)}/s), p99 ${result.p99} ms, ${((result.servingCpuMs * 1000) / result.servedRequests).toFixed(1)} µs CPU/req`);
  }
  if (workload.kind !== 'http') parts.push(`CPU ${result.cpuMs.toFixed(0)} ms${result.allCpuMs !== result.cpuMs ? ` (all ${result.allCpuMs.toFixed(0)})` : ''}, wall ${result.wallMs.toFixed(0)} ms`);
  parts.push(`RSS ${result.rssMb.toFixed(1)} MB`);
  if (result.gc) parts.push(`${result.gc.count} GCs`);
  return parts.join(', ');
}

module.exports = { runOverhead, runWorkload };
