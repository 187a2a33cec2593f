#!/usr/bin/env node
'use strict';
// loopwatch's benchmark suite (issues 4 and 10): what loopwatch, Clinic.js Doctor and
// blocked-at cost on the same workloads, measured by running each configuration at the
// same time as bare node on one core (lib/concurrent.js); where the agent's cost goes,
// one component at a time (lib/ablations.js) and in a CPU profile (lib/profile.js); and
// what each tool finds on the fixtures. `npm run bench` (about 25 minutes) or
// `npm run bench -- --quick` (under 5 minutes, one round of each). Writes
// bench/RESULTS.md and bench/results.json. Never fails on a number: it exits non-zero
// only when the bench itself broke.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const setup = require('./lib/setup');

// How much of everything a run does. Pairs are short and many rather than long and few:
// two identical servers differ by 1-2 % in what a request costs them for as long as they
// live (JIT and memory layout), so more processes, not more seconds, narrow the median.
// connections: 10 per server; with 50, the two servers' shares of their core drifted
// apart for whole runs (A/A pairs measured 0.82 to 1.20), with 10 they stay even.
// Quick mode keeps every section but runs each once, the components on one workload
// only (a few of them), and the sequential figures of bare node and loopwatch only.
const FULL = {
  mode: 'full', pairReps: { http: 4, timed: 3, startup: 5 }, aloneReps: 5, ablationReps: 3,
  ablationWorkloads: ['async-http', 'async', 'cpu-sliced', 'gc-churn', 'startup-modules'],
  httpSeconds: 4, warmupSeconds: 1, connections: 10, limitMs: 60_000, detectionReps: 2, profileSeconds: 8, gcTraceReps: 4,
};
const QUICK = {
  mode: 'quick', pairReps: { http: 1, timed: 1, startup: 1 }, aloneReps: 1, ablationReps: 1,
  ablationWorkloads: ['async-http'], ablationIds: ['c-empty', 'c-gc', 'c-hb10', 'c-watchdog-pool', 'c-agent-no-gc'], sequentialIds: ['bare', 'loopwatch'],
  httpSeconds: 2, warmupSeconds: 1, connections: 10, limitMs: 8_000, detectionReps: 1, profileSeconds: 3, gcTraceReps: 1,
};

async function main() {
  const options = process.argv.includes('--quick') ? QUICK : FULL;
  // Install and build first: the modules below load the peers' packages.
  setup.ensureDependencies();
  setup.ensureBuilt();
  const { availableConfigs } = require('./lib/configs');
  const { ABLATIONS } = require('./lib/ablations');
  const { runOverhead } = require('./lib/overhead');
  const { runDetection } = require('./lib/detection');
  const { runProfile, profileSection } = require('./lib/profile');
  const { runGcTrace, gcTraceSection } = require('./lib/gc-trace');
  const results = require('./lib/results');
  const { generate } = require('./workloads/many-modules');

  const machine = setup.machine();
  console.log(header(machine, options));
  const configs = availableConfigs();
  modulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-bench-modules-'));
  const ctx = { manyModulesMain: generate(modulesDir) };
  const sections = [];
  const ablationSections = [];
  try {
    const { overhead, ablations } = await runOverhead(configs, ABLATIONS, options, ctx, (w, what) => {
      if (what === 'overhead') {
        const section = `## ${w.workload.title}\n\n${results.workloadSection(w, configs)}`;
        sections.push(section);
        console.log(`\n${section}`);
      } else {
        const gc = results.gcCostLine(w, ABLATIONS);
        const section = `### Components on: ${w.workload.title}\n\n${results.ablationTable(w, ABLATIONS)}${gc ? `\n\n${gc}` : ''}`;
        ablationSections.push(section);
        console.log(`\n${section}`);
      }
    });
    const gcTrace = await runGcTrace(options);
    const profile = await runProfile(options, ctx);
    const detection = await runDetection(configs, options);
    const detectionSection = [
      `## Detection on the fixtures (${detection.reps} repetition${detection.reps > 1 ? 's' : ''}, threshold ${detection.thresholdMs} ms)`,
      results.detectionTable(detection, configs),
      `### loopwatch: delay from a stall's start to its first stack sample`,
      results.firstSampleTable(detection),
    ].join('\n\n');
    console.log(`\n${detectionSection}`);
    const calibration = results.calibration(overhead);
    const checks = results.checkTargets(overhead, detection, configs);
    const top = [
      `## Calibration: A/A pairs (bare node against bare node, run the same way)\n\n${results.calibrationTable(calibration)}\n\n${calibrationVerdict(calibration)}`,
      `## Targets\n\n${results.targetsTable(checks)}`,
    ];
    console.log(`\n${top.join('\n\n')}`);
    const ablationPart = `## Where the agent's cost goes: one component at a time\n\n${ABLATION_INTRO}\n\n${ablationSections.join('\n\n')}\n\n${gcTraceSection(gcTrace)}`;
    writeOutputs(
      { machine, options, calibration, overhead, ablations, gcTrace, profile, detection, targets: checks },
      [header(machine, options), ...top, ...sections, ablationPart, profileSection(profile), detectionSection, NOTES],
    );
  } finally {
    removeTemporaryFiles();
  }
}

function calibrationVerdict(rows) {
  const off = rows.filter((r) => !r.within);
  if (!off.length) return 'Every A/A pair came out within 1 %: the machine was quiet enough for the method.';
  return `**${off.length} of ${rows.length} A/A figures did not come out within 1 %** (${off.map((r) => `${r.workload}, ${r.metric}: ±${(r.spread * 100).toFixed(1)} %`).join('; ')}): ` +
    'on those, a difference smaller than the spread cannot be told from no change; the tables mark such figures "(within A/A)".';
}

const ABLATION_INTRO = `Bare \`--require\` preloads that each do one thing the agent does (\`bench/preload/ablation/\`), each in concurrent pairs against bare node like the configurations above, with this section's own A/A pairs. See bench/FINDINGS.md for what they mean.`;

function header(machine, options) {
  const reps = options.pairReps;
  const runs = `${reps.http} rounds of pairs for the servers (${options.warmupSeconds} s warm-up + ${options.httpSeconds} s of load, ${options.connections} connections each), ${reps.timed} for batch work, ${reps.startup} for startup (+ ${options.aloneReps} rounds alone); ${options.ablationReps} rounds for the components; ${options.detectionReps} detection repetition${options.detectionReps > 1 ? 's' : ''}`;
  return `# loopwatch benchmark results

Generated by \`npm run bench${options.mode === 'quick' ? ' -- --quick' : ''}\` on ${machine.date}.${options.mode === 'quick' ? ' **QUICK run: one round of each, rough numbers.**' : ''}

- Machine: ${machine.cpuCount} x ${machine.cpuModel}, ${machine.memoryGb} GB, ${machine.platform}; load average at start ${machine.loadAverageAtStart}
- Node.js ${machine.node}; loopwatch at commit ${machine.loopwatchCommit}
- Method (concurrent, issue 10): ${machine.pinned ? 'each pair of configurations runs at the same time, both pinned to CPU 1 with taskset; each server has its own autocannon pinned to CPU 0, for the same seconds' : 'NOT PINNED (taskset not found): pairs still run at the same time, but share both cores with their load generators'}. Servers: the ratio of requests served (autocannon \`-d\`, \`requests.total\`) and of p99 latency; batch work and startup: CPU time at exit (process.cpuUsage(), all threads). Every comparison is the median over pairs [min, max], beside the A/A pairs (bare against bare) of the same workload.
- Runs: ${runs}.
- The sequential figures (one run each, alone) are for absolute scale only: they move by ±20 % from run to run on this machine.`;
}

const NOTES = `## How to read this

- "vs bare" figures come from concurrent pairs: in each pair the configuration and bare node ran at the same time on the same core, so a busy neighbour slowed both alike. A ratio of requests served is the inverse ratio of what a request cost each; "CPU per request" is the server's own CPU time from \`listening\` to exit over the requests it served (all threads).
- "(within A/A)": the median lies within the spread of the A/A pairs (bare against bare) on the same workload: it cannot be told from no change.
- "peak RSS, program" is the peak resident memory of the program's own process (all its threads, so loopwatch's watchdog thread is counted); "all processes" adds the wrappers' own processes (the loopwatch CLI, clinic), which wait beside the program.
- loopwatch runs through its CLI (\`loopwatch run --quiet --json FILE -- node ...\`), as users run it; "agent only" is the preload alone (\`node --require dist/agent/preload.js\` with LOOPWATCH_RECORDING_DIR set): the cost inside the program's process.
- Startup "CPU added" on a shared core is from the pairs; on a free core, from runs one after another, unpinned, against the mean of two bare runs around them (their difference is that mode's A/A).
- Clinic.js Doctor collects only (\`--collect-only\`); its analysis for the detection table is Doctor's own analysis code run headless on the collected data. Doctor names no location: it says whether the run has an event-loop delay issue.
- Doctor samples the event-loop delay with an unref'd 10 ms timer: a stall that is the last thing a program does is never measured (the late timer never runs before exit), which is why it misses most one-stall fixtures.
- The detection table matches each marker to a stall over the threshold of the same kind: threadpool markers to threadpool stalls (work that waited for a libuv pool thread; loopwatch's \`kind: 'threadpool'\`), every other marker, GC pauses included, to event-loop stalls. Sync-I/O markers (\`sync-io-handler.js\`: sync I/O below the threshold on purpose, no stall) are matched against loopwatch's sync-I/O section (\`syncIo.callSites\` of its JSON report) instead: found, at the right line, when it lists the marked line. The peers have no such report, so they cannot find them.
- \`gc-pause.js\` runs as \`node --expose-gc fixtures/gc-pause.js\` under every tool. \`threadpool-dns.js\` is skipped for every tool: it needs the slow-resolver network namespace of test/support/netns.ts (see test/integration/threadpool.test.ts).
- blocked-at reports the stack where the blocking callback's async resource was created (a setTimeout or listen line), not the blocking line.
- Autocannon reports latencies in whole milliseconds.
`;

function writeOutputs(raw, parts) {
  fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(raw, null, 2) + '\n');
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), parts.join('\n\n') + '\n');
  console.log('\nbench: wrote bench/RESULTS.md and bench/results.json');
}

let modulesDir;

/** The runs' directories and the generated 300-module program: on any exit, a stopped one too. */
function removeTemporaryFiles() {
  require('./lib/invocation').removeAllRunDirs();
  if (modulesDir) fs.rmSync(modulesDir, { recursive: true, force: true });
}

function stopEverything() {
  require('./lib/processes').killAll();
  removeTemporaryFiles();
}
process.on('exit', stopEverything);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

main().catch((err) => {
  console.error(`bench: broke: ${err.stack}`);
  process.exitCode = 1;
});
