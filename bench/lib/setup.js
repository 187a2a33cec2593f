'use strict';
// Before anything runs: the bench's own dependencies (the peers and the load
// generator) and a built loopwatch. Also what the results must say about the machine.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { canPin } = require('./processes');

const BENCH = path.resolve(__dirname, '..');
const ROOT = path.resolve(BENCH, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Installs bench/node_modules from bench/package-lock.json when a peer is missing. */
function ensureDependencies() {
  const needed = ['autocannon', 'blocked-at', 'clinic', '@clinic/doctor', 'express', 'fastify'];
  const missing = needed.filter((name) => !fs.existsSync(path.join(BENCH, 'node_modules', name, 'package.json')));
  if (missing.length === 0) return;
  console.log(`bench: installing the bench's dependencies (missing: ${missing.join(', ')}) with npm ci`);
  execFileSync(NPM, ['ci', '--no-audit', '--no-fund'], { cwd: BENCH, stdio: 'inherit' });
}

/** Builds loopwatch (npm run build at the root) when dist/ is missing. */
function ensureBuilt() {
  if (fs.existsSync(path.join(ROOT, 'dist', 'agent', 'preload.js'))) return;
  console.log('bench: dist/ is missing, building loopwatch with npm run build');
  execFileSync(NPM, ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${commit} (src/ has uncommitted changes)` : commit;
  } catch {
    return 'unknown';
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuCount: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    pinned: canPin,
    loopwatchCommit: gitCommit(),
  };
}

module.exports = { BENCH, ROOT, ensureDependencies, ensureBuilt, machine };
