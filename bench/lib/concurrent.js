'use strict';
// The concurrent method (issue 10). Sequential A/B runs on a shared machine move by
// +-20 % from one run to the next, so a 2 % cost cannot be seen that way. Instead, two
// configurations run AT THE SAME TIME, on the same core, and share whatever the machine
// gives that core in those seconds: a busy neighbour slows both alike.
//
// - HTTP servers: both servers pinned to SERVER_CPU, each loaded by its own autocannon
//   pinned to LOADGEN_CPU, for the same seconds (-d, not -a: a fixed request count is
//   reported in whole seconds). Each server gets about half the core; the ratio of
//   requests served is the inverse ratio of what a request costs each.
// - Programs that run to their end (batch work, startup): both started at once on
//   SERVER_CPU; what is compared is their CPU time (process.cpuUsage() at exit, from the
//   exit probe: all threads of the process, the watchdog's too).
//
// The same functions run one configuration alone for the sequential figures (absolute
// req/s and ms) and the "free core" startup runs.
const fs = require('node:fs');
const path = require('node:path');
const { BENCH } = require('./setup');
const { NODE } = require('./configs');
const { invocation, newRunDir, removeRunDir, processStats } = require('./invocation');
const { pinned, start, waitPortFree, benchLine, cpuTimes, coreLoad, killGroup } = require('./processes');

const SERVER_CPU = 1;
const LOADGEN_CPU = 0;
// One port per side. Each is checked free before a run and after its server exited: a
// server left over from a previous run would silently answer the next one.
const PORTS = [38_471, 38_472];
const AUTOCANNON = path.join(BENCH, 'node_modules', 'autocannon', 'autocannon.js');
// How long a server may take to exit once told to stop, before it is killed (and the run
// reported as broken).
const STOP_LIMIT_MS = 15_000;

function commandFor(workload, config, runDir, ctx, extraEnv) {
  return invocation(config, [NODE, ...(workload.nodeFlags ?? []), ...workload.program(ctx)], runDir, extraEnv);
}

/**
 * Starts one HTTP server per configuration (all pinned to `cpu`), loads each with its own
 * autocannon for the same seconds, stops them and checks their ports free again.
 * Returns one result per side: { requests, rps, meanLatency, p99, servedRequests, servingCpuMs,
 * rssMb, allRssMb, cpuMs, allCpuMs } or { error } / { timedOut }, and the cores' load.
 */
async function loadServers(workload, configs, options, ctx, cpu = SERVER_CPU) {
  const sides = configs.map((config, i) => ({ config, port: PORTS[i], runDir: newRunDir('overhead') }));
  try {
    for (const side of sides) await waitPortFree(side.port);
    for (const side of sides) {
      const { argv, env } = commandFor(workload, side.config, side.runDir, ctx, { PORT: String(side.port) });
      let ready;
      const listening = new Promise((resolve) => { ready = resolve; });
      side.server = start(pinned(cpu, argv), {
        env,
        cwd: side.runDir.dir,
        timeoutMs: options.limitMs + (options.httpSeconds + options.warmupSeconds) * 1000,
        onStdout: (out) => out.includes('listening\n') && ready(),
      });
      side.first = Promise.race([listening.then(() => 'ready'), side.server.done]);
    }
    const firsts = await Promise.all(sides.map((s) => s.first));
    const broken = firsts.findIndex((f) => f !== 'ready');
    if (broken >= 0) {
      await stopServers(sides);
      return { error: `${sides[broken].config.id}: server exited before listening: ${lastLine(firsts[broken].stderr)}` };
    }
    const before = cpuTimes();
    const loads = await Promise.all(sides.map((s) => autocannon(s.port, workload.urlPath, options)));
    const cores = coreLoad(before, cpuTimes());
    const ends = await stopServers(sides);
    for (const side of sides) await waitPortFree(side.port);
    const results = sides.map((side, i) => {
      if (ends[i].timedOut) return { timedOut: true };
      if (loads[i].error) return loads[i];
      const own = benchLine(ends[i].stdout) ?? {};
      return { ...loads[i], servedRequests: own.requests, servingCpuMs: own.servingCpuMs, listeningAtUs: own.listeningAtUs, ...processStats(side.runDir), ...componentCounts(side.runDir) };
    });
    return { sides: results, cores, loadSeconds: options.warmupSeconds + options.httpSeconds };
  } finally {
    for (const side of sides) removeRunDir(side.runDir);
  }
}

/** SIGINT (or the configuration's stopSignal) to each server; their exits, once all are gone. */
async function stopServers(sides) {
  const started = sides.filter((s) => s.server);
  for (const side of started) side.server.child.kill(side.config.stopSignal ?? 'SIGINT');
  const timers = started.map((side) => setTimeout(() => killGroup(side.server.child, 'SIGKILL'), STOP_LIMIT_MS));
  const ends = await Promise.all(started.map((s) => s.server.done));
  timers.forEach(clearTimeout);
  return ends;
}

async function autocannon(port, urlPath, options) {
  const url = `http://127.0.0.1:${port}${urlPath}`;
  const connections = String(options.connections);
  const argv = pinned(LOADGEN_CPU, [
    NODE, AUTOCANNON, '--json', '-c', connections, '-d', String(options.httpSeconds),
    '--warmup', '[', '-c', connections, '-d', String(options.warmupSeconds), ']', url,
  ]);
  // autocannon runs without the exit probe or any preload: it is not measured.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const done = await start(argv, { env, timeoutMs: (options.httpSeconds + options.warmupSeconds + 30) * 1000 }).done;
  if (done.code !== 0) return { error: `autocannon exited ${done.code ?? done.signal}: ${lastLine(done.stderr)}` };
  // With --warmup, autocannon prints the warm-up's result first: the last line is the run.
  const result = JSON.parse(done.stdout.trim().split('\n').pop());
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) return { error: `autocannon: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx` };
  return { requests: result.requests.total, rps: result.requests.total / result.duration, meanLatency: result.latency.average, p99: result.latency.p99 };
}

/**
 * Starts one program per configuration, all at once (pinned to `cpu` when given), and
 * waits for them all to end. Returns one result per side: { workMs?, wallMs, rssMb,
 * allRssMb, cpuMs, allCpuMs } or { error } / { timedOut }.
 */
async function runPrograms(workload, configs, options, ctx, cpu) {
  const sides = configs.map((config) => ({ config, runDir: newRunDir('overhead') }));
  try {
    const runs = sides.map((side) => {
      const { argv, env } = commandFor(workload, side.config, side.runDir, ctx);
      return start(pinned(cpu, argv), { env, cwd: side.runDir.dir, timeoutMs: options.limitMs }).done;
    });
    const ends = await Promise.all(runs);
    const results = sides.map((side, i) => {
      const done = ends[i];
      if (done.timedOut) return { timedOut: true, wallMs: done.wallMs };
      if (done.code !== 0) return { error: `exit ${done.code ?? done.signal}: ${lastLine(done.stderr)}` };
      const own = workload.kind === 'startup' ? {} : benchLine(done.stdout);
      if (!own) return { error: 'the workload printed no BENCH line' };
      return { ...(own.workMs !== undefined ? { workMs: own.workMs } : {}), wallMs: done.wallMs, ...processStats(side.runDir), ...componentCounts(side.runDir) };
    });
    return { sides: results };
  } finally {
    for (const side of sides) removeRunDir(side.runDir);
  }
}

/** What a component preload counted (the GC observer: collections by kind), if it wrote it. */
function componentCounts(runDir) {
  const file = path.join(runDir.dir, 'component', 'gc-count.json');
  return fs.existsSync(file) ? { gc: JSON.parse(fs.readFileSync(file, 'utf8')) } : {};
}

function lastLine(text) {
  return text.trim().split('\n').pop() ?? '';
}

module.exports = { loadServers, runPrograms, SERVER_CPU, LOADGEN_CPU, PORTS };
