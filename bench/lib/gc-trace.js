'use strict';
// Why observing GC costs what it costs: the gc-churn workload (short-lived garbage,
// yielding to the loop every 10 rounds) run with V8's own --trace-gc, bare and with a
// 'gc' PerformanceObserver (the agent's GcProbe, and one with an empty callback), one
// run after another on the servers' core. V8's trace says how many scavenges it made,
// how long each paused, why it ran (`task`: V8's scavenge job, run from the loop's
// platform tasks; `allocation failure`: new space full), and how big the heap was after.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BENCH } = require('./setup');
const { NODE } = require('./configs');
const { pinned, run, benchLine } = require('./processes');
const { SERVER_CPU } = require('./concurrent');
const { summary } = require('./stats');
const { table } = require('./results');

const CHURN = path.join(BENCH, 'workloads', 'gc-churn.js');
const VARIANTS = [
  { id: 'bare', label: 'bare node', require: [] },
  { id: 'observer-empty', label: "'gc' observer, empty callback", require: [path.join(BENCH, 'preload', 'ablation', 'gc-observer-empty.js')] },
  { id: 'gc-probe', label: "the agent's GcProbe", require: [path.join(BENCH, 'preload', 'ablation', 'gc-observer.js')] },
];

/** `[pid:0x..]  12 ms: Scavenge 4.0 (5.2) -> 3.0 (5.2) MB, 0.04 / 0.00 ms  (...) task;` */
const LINE = /: (Scavenge|Mark-Compact)[^,]*-> ([0-9.]+) \([0-9.]+\) MB, ([0-9.]+) \/ [0-9.]+ ms .*\) ([a-z ]+);/;

function parse(stdout) {
  const scavenges = [];
  let majors = 0;
  let heapAfterMb = NaN;
  const reasons = {};
  for (const line of stdout.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    heapAfterMb = Number(m[2]);
    if (m[1] === 'Mark-Compact') {
      majors++;
      continue;
    }
    scavenges.push(Number(m[3]));
    reasons[m[4]] = (reasons[m[4]] ?? 0) + 1;
  }
  const sum = scavenges.reduce((a, b) => a + b, 0);
  return { scavenges: scavenges.length, majors, scavengeMs: sum, meanScavengeMs: sum / scavenges.length, medianScavengeMs: summary(scavenges).median, reasons, heapAfterMb };
}

async function runGcTrace(options) {
  console.log(`\n== GC trace: gc-churn.js with --trace-gc, bare and observed, ${options.gcTraceReps} runs each`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-bench-gctrace-'));
  const runs = Object.fromEntries(VARIANTS.map((v) => [v.id, []]));
  try {
    for (let rep = 0; rep < options.gcTraceReps; rep++) {
      for (const v of VARIANTS) {
        const argv = pinned(SERVER_CPU, [NODE, '--trace-gc', ...v.require.flatMap((r) => ['--require', r]), CHURN, '20000']);
        const { NODE_OPTIONS: _ignored, ...env } = process.env;
        const done = await run(argv, { env: { ...env, BENCH_COMPONENT_DIR: dir }, timeoutMs: options.limitMs });
        const own = benchLine(done.stdout);
        const result = done.code === 0 && own ? { workMs: own.workMs, ...parse(done.stdout) } : { error: `exit ${done.code ?? done.signal}` };
        runs[v.id].push(result);
        if (!result.error) console.log(`  ${v.id.padEnd(16)} ${result.scavenges} scavenges, ${result.scavengeMs.toFixed(1)} ms paused (median ${result.medianScavengeMs.toFixed(2)} ms), heap after ${result.heapAfterMb} MB, work ${result.workMs.toFixed(0)} ms`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { runs };
}

function gcTraceSection(trace) {
  const rows = VARIANTS.map((v) => {
    const ok = trace.runs[v.id].filter((r) => !r.error);
    const m = (k) => summary(ok.map((r) => r[k])).median;
    const reasons = {};
    for (const r of ok) for (const [k, n] of Object.entries(r.reasons)) (reasons[k] ??= []).push(n);
    return [v.label, String(ok.length), `${m('scavenges')}`, `${m('scavengeMs').toFixed(1)} ms`, `${m('medianScavengeMs').toFixed(3)} ms`,
      Object.entries(reasons).map(([k, n]) => `${k} ${summary(n).median}`).join(', '), `${m('heapAfterMb')} MB`, `${m('workMs').toFixed(0)} ms`];
  });
  return `### What V8 itself says: gc-churn.js under --trace-gc

One run after another on the servers' core (not concurrent: these are V8's own counts and pause times, not a cost comparison); medians over the runs.

${table(['variant', 'runs', 'scavenges', 'scavenge pauses, total', 'median scavenge', 'why they ran', 'heap after the last GC', 'work time'], rows)}`;
}

module.exports = { runGcTrace, gcTraceSection };
