'use strict';
// The overhead benchmark: every workload under every configuration, configurations
// alternated run by run (A B C A B C ...) so that a slow minute on a shared machine
// hits all of them alike. The program (and any wrapper around it) is pinned to CPU 0
// and the load generator to CPU 1, when taskset exists.
const path = require('node:path');
const { BENCH } = require('./setup');
const { NODE } = require('./configs');
const { invocation, newRunDir, removeRunDir, peakRss } = require('./invocation');
const { pinned, start, run, waitPortFree, benchLine } = require('./processes');
const { WORKLOADS } = require('./workloads');

const PROGRAM_CPU = 0;
const LOADGEN_CPU = 1;
const PORT = 38_471;
const AUTOCANNON = path.join(BENCH, 'node_modules', 'autocannon', 'autocannon.js');
const URL_PATH = '/api/users?limit=20&offset=100&role=user';

/**
 * Runs all workloads; returns { [workloadId]: { workload, configs: [id], runs: { [configId]: [result] } } }.
 * A result is the run's measurements, or { error } / { timedOut } when it gave none.
 */
async function runOverhead(configs, options, ctx, onWorkloadDone) {
  const results = {};
  for (const workload of WORKLOADS) {
    const applicable = configs.filter((c) => !c.only || c.only.includes(workload.kind));
    results[workload.id] = await runWorkload(workload, applicable, options, ctx);
    onWorkloadDone(results[workload.id]);
  }
  return results;
}

async function runWorkload(workload, configs, options, ctx) {
  const runs = workload.kind === 'startup' ? options.startupRuns : options.runs;
  console.log(`\n== ${workload.title}: ${configs.length} configurations x ${runs} runs, alternated`);
  const byConfig = Object.fromEntries(configs.map((c) => [c.id, []]));
  const stopped = new Set();
  for (let i = 0; i < runs; i++) {
    for (const config of configs) {
      if (stopped.has(config.id)) continue;
      const result = await runOnce(workload, config, options, ctx);
      byConfig[config.id].push(result);
      console.log(`  run ${i + 1}/${runs}  ${config.label.padEnd(32)} ${describe(result)}`);
      if (result.timedOut) {
        // One run over the limit says enough; the others would only take as long.
        stopped.add(config.id);
        console.log(`  (no more runs of "${config.label}" on this workload: over the ${options.limitMs / 1000} s limit)`);
      }
    }
  }
  return { workload: { id: workload.id, kind: workload.kind, title: workload.title }, configs: configs.map((c) => c.id), runs: byConfig };
}

async function runOnce(workload, config, options, ctx) {
  const runDir = newRunDir('overhead');
  try {
    const nodeArgv = [NODE, ...workload.program(ctx)];
    const { argv, env } = invocation(config, nodeArgv, runDir, { PORT: String(PORT) });
    const pinnedArgv = pinned(PROGRAM_CPU, argv);
    const measured = workload.kind === 'http'
      ? await httpRun(pinnedArgv, env, runDir, config, options)
      : await programRun(pinnedArgv, env, runDir, workload.kind, options);
    return measured.timedOut || measured.error ? measured : { ...measured, ...rssOf(runDir) };
  } catch (err) {
    return { error: err.message };
  } finally {
    removeRunDir(runDir);
  }
}

function rssOf(runDir) {
  const { programMb, allMb } = peakRss(runDir);
  return { rssMb: programMb, allRssMb: allMb };
}

/** A program that runs to its end: its own work time (from its BENCH line) and the wall time. */
async function programRun(argv, env, runDir, kind, options) {
  const done = await run(argv, { env, cwd: runDir.dir, timeoutMs: options.limitMs });
  if (done.timedOut) return { timedOut: true, wallMs: done.wallMs };
  if (done.code !== 0) return { error: `exit ${done.code ?? done.signal}: ${lastLine(done.stderr)}` };
  if (kind === 'startup') return { wallMs: done.wallMs };
  const own = benchLine(done.stdout);
  if (!own) return { error: 'the workload printed no BENCH line' };
  return { workMs: own.workMs, wallMs: done.wallMs };
}

/** Starts the server, loads it with autocannon, stops it, and makes sure it is gone. */
async function httpRun(argv, env, runDir, config, options) {
  await waitPortFree(PORT);
  let ready;
  const listening = new Promise((resolve) => { ready = resolve; });
  const server = start(argv, {
    env,
    cwd: runDir.dir,
    timeoutMs: options.limitMs + (options.httpSeconds + options.warmupSeconds) * 1000,
    onStdout: (out) => out.includes('listening\n') && ready(),
  });
  const first = await Promise.race([listening.then(() => 'ready'), server.done]);
  if (first !== 'ready') return { error: `server exited before listening: ${lastLine(first.stderr)}` };

  let load;
  try {
    load = await autocannon(options);
  } finally {
    server.child.kill(config.stopSignal ?? 'SIGINT');
  }
  const end = await server.done;
  await waitPortFree(PORT);
  if (end.timedOut) return { timedOut: true };
  return load;
}

async function autocannon(options) {
  const url = `http://127.0.0.1:${PORT}${URL_PATH}`;
  const connections = String(options.connections);
  const argv = pinned(LOADGEN_CPU, [
    NODE, AUTOCANNON, '--json', '-c', connections, '-d', String(options.httpSeconds),
    '--warmup', '[', '-c', connections, '-d', String(options.warmupSeconds), ']', url,
  ]);
  const done = await run(argv, { timeoutMs: (options.httpSeconds + options.warmupSeconds + 30) * 1000 });
  // With --warmup, autocannon prints the warm-up's result first: the last line is the run.
  const result = JSON.parse(done.stdout.trim().split('\n').pop());
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) return { error: `autocannon: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx` };
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

function lastLine(text) {
  return text.trim().split('\n').pop() ?? '';
}

function describe(result) {
  if (result.error) return `ERROR ${result.error}`;
  if (result.timedOut) return 'over the time limit, stopped';
  const parts = [];
  if (result.rps !== undefined) parts.push(`${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
  if (result.workMs !== undefined) parts.push(`work ${result.workMs.toFixed(0)} ms`);
  if (result.wallMs !== undefined) parts.push(`wall ${result.wallMs.toFixed(0)} ms`);
  parts.push(`RSS ${result.rssMb.toFixed(1)} MB (all processes ${result.allRssMb.toFixed(1)} MB)`);
  return parts.join(', ');
}

module.exports = { runOverhead };
