#!/usr/bin/env node
'use strict';
// Patches a copy of loopwatch's sources so that parts of the watchdog can be switched off
// by the environment variable LW_OFF (comma-separated), for taking its cost apart with
// bench/pairs.js. Never applied to the shipped code. Switches:
//   wdstart  the agent starts no watchdog thread at all (no samples, no pool probes);
//   pool     the watchdog never probes the threadpool (nor counts its threads);
//   tick     the watchdog's tick only schedules the next one (no stall is looked for);
//   idle     no read of the watchdog's own schedstat at the end of each tick.
//
//   git archive HEAD | tar -x -C /tmp/var && ln -s "$PWD/node_modules" /tmp/var/node_modules
//   node bench/watchdog-switches.js /tmp/var && (cd /tmp/var && npx tsc -p .)
//   BENCH_BASE_ROOT=/tmp/var LW_OFF=pool node bench/pairs.js --workloads http,async-http \
//     --configs loopwatch,base-loopwatch --reps 4
//
// (The watchdog runs with an empty environment: the agent passes LW_OFF on to it.)
const fs = require('node:fs');
const path = require('node:path');

const root = process.argv[2];
if (!root) {
  console.error('usage: node bench/watchdog-switches.js <copy of loopwatch>');
  process.exit(2);
}

function patch(file, replacements) {
  const full = path.join(root, file);
  let text = fs.readFileSync(full, 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${file}: no longer has ${JSON.stringify(from.slice(0, 60))}`);
    text = text.replace(from, to);
  }
  fs.writeFileSync(full, text);
}

patch('src/agent/agent.ts', [
  ['  private startWatchdog(): void {\n', "  private startWatchdog(): void {\n    if ((process.env.LW_OFF ?? '').split(',').includes('wdstart')) return;\n"],
  ["      env: {},\n      name: 'loopwatch-watchdog',", "      env: { LW_OFF: process.env.LW_OFF ?? '' },\n      name: 'loopwatch-watchdog',"],
]);
patch('src/watchdog/watchdog.ts', [
  ['let poolThreadsCheckedAt = -Infinity;', "let poolThreadsCheckedAt = -Infinity;\nconst LW_OFF = new Set((process.env.LW_OFF ?? '').split(','));"],
  ['function checkPoolThreads(at: number): void {\n', "function checkPoolThreads(at: number): void {\n  if (LW_OFF.has('pool')) return;\n"],
  ['async function probeWhenUsed(): Promise<void> {\n', "async function probeWhenUsed(): Promise<void> {\n  if (LW_OFF.has('pool')) return;\n"],
  ['function tick(): void {\n  const at = now();\n', "function tick(): void {\n  const at = now();\n  if (LW_OFF.has('tick')) {\n    scheduleTick(detectAfterMs);\n    return;\n  }\n"],
  ['  scheduleTick(nextMs);\n  poolCpuWait.noteIdle();', "  scheduleTick(nextMs);\n  if (!LW_OFF.has('idle')) poolCpuWait.noteIdle();"],
]);
console.log(`patched ${root}: LW_OFF=wdstart,pool,tick,idle`);
