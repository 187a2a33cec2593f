'use strict';
// The agent under load, in a CPU profile: the async JSON API server (node:http) run
// with `node --cpu-prof` under `loopwatch run`, and bare for comparison, each alone on
// the servers' core with autocannon on the other. The profile is the main thread's
// (the watchdog thread has its own CPU, counted in the pairs, not here), from the end of
// the warm-up to the end of the load: startup is measured apart (the startup workloads).
// Each sample is
// weighted by the time it covers (timeDeltas) and put in one bucket:
// - agent: some frame on its stack is loopwatch's compiled code (a file under dist/),
//   named by the outermost such frame (where the agent's work was entered) and by the
//   innermost (where the time was spent);
// - perf_hooks observer: Node's own code delivering performance entries
//   (node:internal/perf/*) with no agent frame under it: the GC observer's cost that
//   happens before the agent's callback is called;
// - garbage collector, idle, program (V8's native and unattributed time), and the
//   program's own JavaScript (everything else).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('./setup');
const { CONFIGS } = require('./configs');
const { loadServers, SERVER_CPU } = require('./concurrent');
const { WORKLOADS } = require('./workloads');
const { table } = require('./results');

const { fileURLToPath } = require('node:url');

const DIST = path.join(ROOT, 'dist') + path.sep;

/** A profile's script URL (file:///... for CommonJS files in Node 20) as a path. */
function fileOf(url) {
  return url.startsWith('file:') ? fileURLToPath(url) : url;
}
const INTERVAL_US = 200;

async function runProfile(options, ctx) {
  const workload = WORKLOADS.find((w) => w.id === 'async-http');
  const out = { workload: workload.title, seconds: options.profileSeconds, intervalUs: INTERVAL_US, runs: {} };
  console.log(`\n== CPU profile: ${workload.title}, ${options.profileSeconds} s of load, bare and under loopwatch run`);
  for (const id of ['bare', 'loopwatch']) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-bench-prof-'));
    try {
      const profiled = { ...workload, nodeFlags: ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', String(INTERVAL_US)] };
      const config = CONFIGS.find((c) => c.id === id);
      const run = await loadServers(profiled, [config], { ...options, httpSeconds: options.profileSeconds }, ctx, SERVER_CPU);
      const files = fs.readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'));
      if (run.error || files.length === 0) {
        out.runs[id] = { error: run.error ?? 'no profile written' };
        continue;
      }
      // The main thread's profile is the largest (a worker with --cpu-prof writes its own).
      const main = files.map((n) => path.join(dir, n)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0];
      // Samples of the load only, from the end of the warm-up on (the server wrote when it
      // began listening): neither startup nor the exit handlers.
      const fromUs = run.sides[0].listeningAtUs + options.warmupSeconds * 1e6;
      const toUs = fromUs + options.profileSeconds * 1e6;
      out.runs[id] = { requests: run.sides[0].requests, ...summarise(JSON.parse(fs.readFileSync(main, 'utf8')), fromUs, toUs) };
      console.log(`  ${id}: ${describe(out.runs[id])}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

function frameName(node) {
  const f = node.callFrame;
  const url = fileOf(f.url);
  const file = url.startsWith(DIST) ? `dist/${url.slice(DIST.length)}` : url.startsWith(ROOT) ? path.relative(ROOT, url) : url;
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

/** Buckets of a .cpuprofile, in ms, and the agent's frames by where they were entered and where time went. */
function summarise(profile, fromUs = -Infinity, toUs = Infinity) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const buckets = { agent: 0, perfObserver: 0, gc: 0, idle: 0, program: 0, js: 0 };
  const agentEntered = new Map();
  const agentSelf = new Map();
  const perfSelf = new Map();
  let totalMs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) return;
    totalMs += ms;
    const top = byId.get(id);
    const name = top.callFrame.functionName;
    if (name === '(garbage collector)') return void (buckets.gc += ms);
    if (name === '(idle)') return void (buckets.idle += ms);
    if (name === '(program)') return void (buckets.program += ms);
    let outermostAgent;
    let innermostAgent;
    let perf = false;
    for (let n = top; n; n = byId.get(parent.get(n.id))) {
      if (fileOf(n.callFrame.url).startsWith(DIST)) {
        outermostAgent = n;
        innermostAgent ??= n;
      }
      if (n.callFrame.url.startsWith('node:internal/perf/')) perf = true;
    }
    if (outermostAgent) {
      buckets.agent += ms;
      add(agentEntered, frameName(outermostAgent), ms);
      add(agentSelf, top === innermostAgent ? frameName(top) : `${frameName(top)} (called from ${frameName(innermostAgent)})`, ms);
    } else if (perf) {
      buckets.perfObserver += ms;
      add(perfSelf, frameName(top), ms);
    } else buckets.js += ms;
  });
  const top = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([frame, ms]) => ({ frame, ms }));
  return { totalMs, buckets, agentEntered: top(agentEntered), agentSelf: top(agentSelf), perfSelf: top(perfSelf) };
}

function add(map, key, ms) {
  map.set(key, (map.get(key) ?? 0) + ms);
}

function pct(part, whole) {
  return `${((100 * part) / whole).toFixed(2)} %`;
}

/** The profiled time the main thread was not idle in epoll. */
function busyMs(run) {
  return run.totalMs - run.buckets.idle;
}

function describe(run) {
  const b = run.buckets;
  return `${run.totalMs.toFixed(0)} ms profiled, ${busyMs(run).toFixed(0)} busy: agent ${pct(b.agent, busyMs(run))}, perf_hooks observer ${pct(b.perfObserver, busyMs(run))}, GC ${pct(b.gc, busyMs(run))} of busy time`;
}

const BUCKETS = [
  ['agent', "loopwatch's own code (a frame under dist/ on the stack)"],
  ['perfObserver', 'Node delivering performance entries (node:internal/perf/*), no agent frame'],
  ['gc', 'garbage collector'],
  ['program', '(program): V8 native, unattributed'],
  ['idle', 'idle'],
  ['js', "the program's JavaScript and Node's"],
];

function profileSection(profile) {
  const ids = Object.keys(profile.runs);
  const okIds = ids.filter((id) => !profile.runs[id].error);
  const parts = [`## CPU profile of the agent under load

${profile.workload}, ${profile.seconds} s of load after the warm-up, alone on the servers' core (one run each, \`node --cpu-prof --cpu-prof-interval ${profile.intervalUs}\`: the main thread only, from the end of the warm-up). Time in ms, with its share of the main thread's busy (not idle) time.`];
  for (const id of ids.filter((i) => profile.runs[i].error)) parts.push(`${id}: no profile (${profile.runs[id].error}).`);
  if (okIds.length) {
    parts.push(table(['where the main thread was', ...okIds], BUCKETS.map(([key, label]) => [label, ...okIds.map((id) => {
      const r = profile.runs[id];
      return key === 'idle' ? `${r.buckets[key].toFixed(0)} ms` : `${r.buckets[key].toFixed(0)} ms (${pct(r.buckets[key], busyMs(r))})`;
    })])));
  }
  const lw = profile.runs.loopwatch;
  if (lw && !lw.error && lw.agentEntered.length) {
    parts.push(`loopwatch's frames, by where the agent's work was entered (outermost dist/ frame):\n\n${table(['frame', 'ms', 'share of busy time'], lw.agentEntered.map((f) => [f.frame, f.ms.toFixed(1), pct(f.ms, busyMs(lw))]))}`);
    parts.push(`... and by where the time was spent (innermost frame):\n\n${table(['frame', 'ms', 'share of busy time'], lw.agentSelf.map((f) => [f.frame, f.ms.toFixed(1), pct(f.ms, busyMs(lw))]))}`);
  }
  if (lw && !lw.error && lw.perfSelf.length) {
    parts.push(`Node delivering performance entries under loopwatch (no agent frame on the stack), by innermost frame:\n\n${table(['frame', 'ms', 'share of busy time'], lw.perfSelf.map((f) => [f.frame, f.ms.toFixed(1), pct(f.ms, busyMs(lw))]))}`);
  }
  return parts.join('\n\n');
}

module.exports = { runProfile, profileSection, summarise };
