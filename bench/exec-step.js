'use strict';
// What the exec step that passes arguments and variables that are not UTF-8 byte for
// byte (src/cli/exact-bytes.ts) adds to a command's start.
//
//   node bench/exec-step.js [--runs 200] [--cli-runs 15]
//
// 1. The step alone: spawning /bin/true directly, and through the step with one
//    argument and one variable that are not UTF-8 (a shell, a printf for each, env -i),
//    alternately, --runs times each: the time from spawn to exit.
// 2. The whole CLI: `loopwatch run --quiet fixtures/quiet.js ARG` with an argument that
//    is UTF-8 (the direct spawn) and one that is not (the step), alternately, --cli-runs
//    times each: the wall time of the run.
// Prints medians. A benchmark, not a test: it never fails on a number. Linux only.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { execStep, environmentItems } = require(path.join(ROOT, 'dist', 'cli', 'exact-bytes.js'));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const RUNS = option('runs', 200);
const CLI_RUNS = option('cli-runs', 15);

function ms(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const env = { PATH: process.env.PATH, HOME: '/root', LANG: 'C.UTF-8' };
const raw = new Map([['LOOPWATCH_TEST_BYTES', Buffer.from('LOOPWATCH_TEST_BYTES=\xff\xfe', 'latin1')]]);
const step = execStep(['/bin/true', Buffer.from('a\xff', 'latin1')], environmentItems({ ...env, LOOPWATCH_TEST_BYTES: '\ufffd\ufffd' }, raw));
if (!step) throw new Error('no exec step on this system (/bin/sh and env)');

const direct = [];
const through = [];
for (let i = 0; i < RUNS; i++) {
  direct.push(ms(() => spawnSync('/bin/true', ['a\ufffd'], { env })));
  through.push(ms(() => spawnSync(step.file, step.args, { env: {} })));
}
console.log(`the step alone, ${RUNS} runs each (median spawn to exit, ms): /bin/true ${median(direct).toFixed(2)}, through the step ${median(through).toFixed(2)}: +${(median(through) - median(direct)).toFixed(2)} ms`);

// The CLI runs with this shell so that the argument's bytes reach it as they are.
const bin = path.join(ROOT, 'bin', 'loopwatch.js');
const cli = (arg) => ms(() => spawnSync('/bin/sh', ['-c', `exec "$0" "${bin}" run --quiet fixtures/quiet.js "$(printf '${arg}')"`, process.execPath], { cwd: ROOT, stdio: 'ignore' }));
const utf8 = [];
const bytes = [];
for (let i = 0; i < CLI_RUNS; i++) {
  utf8.push(cli('a\\303\\251'));
  bytes.push(cli('a\\377'));
}
console.log(`loopwatch run, ${CLI_RUNS} runs each (median wall time, ms): UTF-8 argument ${median(utf8).toFixed(0)}, not UTF-8 ${median(bytes).toFixed(0)}: ${median(bytes) - median(utf8) >= 0 ? '+' : ''}${(median(bytes) - median(utf8)).toFixed(0)} ms`);
