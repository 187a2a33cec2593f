'use strict';
// The recording of a large run, generated: by default 10,000 event-loop stalls over 50
// processes, each stall sampled 2 to 12 times over a few distinct stacks from 300 call
// sites of a made-up application, plus sync calls, GC pauses and threadpool starvation.
// Seeded, so that every call makes the same recording. Made with the built recording
// module (dist/: `npm run build` first). Used by bench/html-open.js (how long the HTML
// report takes to open) and by the browser tests (that it opens, small and quickly).
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');

/** A seeded generator, so that every run measures the same report. */
function mulberry32(seed) {
  const next = () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** Where the sequence is: a generator started from it goes on the same. */
  next.state = () => seed;
  return next;
}
let random = mulberry32(20261201);
const pick = (list) => list[Math.floor(random() * list.length)];
const between = (low, high) => low + random() * (high - low);

// ---- a large application's stacks ----------------------------------------------

const OUTER = [
  { file: 'node:internal/timers', line: 581, column: 17, function: 'listOnTimeout' },
  { file: 'node:internal/timers', line: 519, column: 7, function: 'processTimers' },
];
const LEAVES = [
  [{ file: 'node:internal/crypto/pbkdf2', line: 78, column: 3, function: 'pbkdf2Sync' }],
  [{ file: null, line: null, column: null, function: 'JSON.parse' }],
  [{ file: null, line: null, column: null, function: 'RegExp.test' }],
  [{ file: 'node:fs', line: 449, column: 20, function: 'readFileSync' }],
  [{ file: 'node:zlib', line: 900, column: 10, function: 'zlibBufferSync' }],
  [],
];

/** 300 call sites, each a chain of program and dependency frames under the timers. */
const SITES = Array.from({ length: 300 }, (_, i) => {
  const depth = 4 + Math.floor(random() * 10);
  const chain = Array.from({ length: depth }, (_, d) => {
    const inDependency = d > depth - 3 && random() < 0.5;
    return inDependency
      ? { file: `/srv/app/node_modules/dep-${i % 17}/lib/index.js`, line: 10 + d * 7, column: 5, function: `dep${d}` }
      : { file: `/srv/app/src/feature-${i % 40}/handler-${i}.js`, line: 20 + d * 3, column: 9, function: d === 0 ? `work${i}` : `step${i}_${d}` };
  });
  return { leaf: pick(LEAVES), chain };
});

function sampleFrames(site, variant) {
  // A few distinct stacks per stall: the blocking call itself, or a frame or two of the
  // caller's own work around it.
  const chain = variant === 0 ? site.chain : site.chain.slice(Math.min(variant, site.chain.length - 1));
  return [...(variant === 0 ? site.leaf : []), ...chain, ...OUTER];
}

// ---- the recording ---------------------------------------------------------------

const { newProcessRecording } = require(path.join(ROOT, 'dist', 'recording', 'decode.js'));
const { RECORDING_VERSION } = require(path.join(ROOT, 'dist', 'recording', 'schema.js'));

const AFTER_SITES = random.state();

/**
 * { recording, run }: what buildReport() takes. The call sites are drawn once, at load,
 * from the same seed; each call then goes on from there, so that every call makes the same recording.
 */
function generateRecording({ stalls: STALLS = 10_000, processes: PROCESSES = 50 } = {}) {
  random = mulberry32(AFTER_SITES);
  const start = 1_800_000_000_000;
  const perProcess = Math.ceil(STALLS / PROCESSES);
  const processes = [];
  let made = 0;
  for (let p = 0; p < PROCESSES; p++) {
    const pid = 10_000 + p;
    const startedAt = start + p * 40;
    const recording = newProcessRecording(`/rec/${pid}.jsonl`, {
      type: 'process',
      recordingVersion: RECORDING_VERSION,
      pid,
      ppid: p === 0 ? 9_999 : 10_000,
      argv: ['/usr/bin/node', `/srv/app/worker-${p}.js`, '--queue', `jobs-${p}`],
      execArgv: [],
      cwd: '/srv/app',
      nodeVersion: 'v20.20.0',
      startedAt,
      thresholdMs: 50,
      heartbeatMs: 10,
      sampleIntervalMs: 10,
      syncIoThresholdMs: 1,
    });
    let t = startedAt + 500;
    for (let s = 0; s < perProcess && made < STALLS; s++, made++) {
      t += between(200, 3_000);
      const durationMs = Math.exp(between(Math.log(55), Math.log(900)));
      const seq = s + 1;
      recording.stalls.push({ type: 'stall', seq, start: t, end: t + durationMs, durationMs, inProgressAtExit: false, phase: 'run' });
      const site = pick(SITES);
      const samples = 2 + Math.floor(random() * 11);
      for (let k = 1; k <= samples; k++) {
        const at = t + (durationMs * k) / (samples + 0.5);
        recording.samples.push({ type: 'sample', seq, requestedAt: at - 0.5, at, frames: sampleFrames(site, Math.floor(random() * 4)) });
      }
      if (site.leaf[0]?.function === 'readFileSync' && random() < 0.5) {
        recording.syncCalls.push({
          type: 'syncCall',
          operation: 'fs.readFileSync',
          category: 'fs',
          start: t + 1,
          durationMs: durationMs - 2,
          phase: 'run',
          frames: sampleFrames(site, 1),
          target: `/srv/data/${site.chain[0].function}.json`,
        });
      }
      t += durationMs;
    }
    for (let g = 0; g < 150; g++) {
      recording.gcPauses.push({ type: 'gc', start: startedAt + between(0, t - startedAt), durationMs: between(1, 30), kind: pick(['minor', 'minor', 'major', 'incremental']) });
    }
    for (let e = 0; e < 2; e++) {
      const waitStart = startedAt + between(1_000, t - startedAt - 2_000);
      recording.poolWaits.push({ type: 'poolWait', queue: 'work', start: waitStart, after: waitStart - 100, end: waitStart + 400, inProgressAtExit: false });
      recording.poolWork.push({
        type: 'poolWork',
        operation: 'crypto.pbkdf2',
        category: 'crypto',
        start: waitStart - 50,
        end: waitStart + 420,
        inProgressAtExit: false,
        frames: sampleFrames(pick(SITES), 1),
      });
    }
    recording.gcPauses.sort((a, b) => a.start - b.start);
    recording.exit = {
      type: 'exit',
      at: t + 200,
      durationMs: t + 200 - startedAt,
      exitCode: 0,
      eventLoopDelay: { minMs: 0.1, p50Ms: 0.3, p90Ms: 2, p99Ms: 400, maxMs: 900 },
      utilization: 0.6,
      syncCalls: [],
      gc: { count: 150, totalMs: 2_000, maxMs: 30, byKind: {} },
      threadpoolQueueWait: { work: { count: 1_000, p50Ms: 0.2, p99Ms: 300, maxMs: 400 }, dns: null },
      threadpoolSize: 4,
    };
    recording.lastSeenAt = recording.exit.at;
    processes.push(recording);
  }
  const endedAt = Math.max(...processes.map((p) => p.exit.at));
  return { recording: { dir: '/rec', processes }, run: { command: ['/usr/bin/node', '/srv/app/main.js'], thresholdMs: 50, startedAt: start, durationMs: endedAt - start, exitCode: 0, signal: null, toolVersion: 'bench' } };
}

module.exports = { generateRecording };
