'use strict';
// What timing a native addon's call costs a fast call: `node bench/native-call.js`
// (about 20 s; needs `npm run build`, and better-sqlite3 built for this Node.js:
// node test/support/build-better-sqlite3.js).
//
// The probes are installed as the agent installs them (installProbes, with the sync
// probes on and a sink that records nothing), then two real addons are loaded through
// the replaced process.dlopen. Each fast call is made in a loop, by turns through the
// addon's own function (originalOf) and through the probe's replacement, in the same
// process; each round times a million calls, and the medians over the rounds are
// printed, with the difference: the probe's cost per call.
//
// - bcrypt's get_rounds(hash): an N-API call that reads two digits of a string, about as
//   fast as an addon call gets;
// - better-sqlite3's Statement.get() of `SELECT 1`: a typical quick query.
//
// A benchmark, not a test: it never fails on a number. Run it on a quiet machine.
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const { installProbes } = require(path.join(ROOT, 'dist/agent/probes/install.js'));
const { SyncCallProbes } = require(path.join(ROOT, 'dist/agent/probes/sync-calls.js'));
const { PoolWorkTracker } = require(path.join(ROOT, 'dist/agent/probes/pool-work.js'));
const { originalOf } = require(path.join(ROOT, 'dist/agent/probes/wrap.js'));

const CALLS = 1_000_000;
const ROUNDS = Number(process.argv[2] ?? 15);

const sync = new SyncCallProbes({ thresholdMs: 1, record: () => {} });
const installed = installProbes({ sync, pool: new PoolWorkTracker({ thresholdMs: 50, record: () => {} }) });

// Loaded through the replaced process.dlopen, as a program's require() would.
const bcrypt = require(path.join(ROOT, 'node_modules/bcrypt/prebuilds', `${process.platform}-${process.arch}`, 'bcrypt.glibc.node'));
const Database = require(path.join(ROOT, 'node_modules/better-sqlite3'));
const db = new Database(':memory:');
const select1 = db.prepare('SELECT 1 AS one');
const HASH = '$2b$10$nOUIs5kJ7naTuTFkBy1veuK0kSxUFXfuaOKdOKf9xYT0KKIGSJwFa';

const cases = [
  {
    name: "bcrypt get_rounds(hash) (N-API)",
    wrapped: bcrypt.get_rounds,
    run(fn) {
      let sum = 0;
      for (let i = 0; i < CALLS; i++) sum += fn(HASH);
      return sum;
    },
  },
  {
    name: 'better-sqlite3 Statement.get() of SELECT 1',
    wrapped: select1.get,
    run(fn) {
      let sum = 0;
      for (let i = 0; i < CALLS; i++) sum += fn.call(select1).one;
      return sum;
    },
  },
];

function nsPerCall(run, fn) {
  const t0 = process.hrtime.bigint();
  run(fn);
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function clockRead() {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) performance.now();
  return Number(process.hrtime.bigint() - t0) / CALLS;
}

console.log(`Node.js ${process.version}, ${CALLS.toLocaleString('en')} calls a round, ${ROUNDS} rounds, bare and timed by turns`);
for (const c of cases) {
  const bare = originalOf(c.wrapped);
  if (bare === c.wrapped) throw new Error(`${c.name}: the probe did not wrap it`);
  // Warm both up before measuring.
  c.run(bare);
  c.run(c.wrapped);
  const times = { bare: [], timed: [] };
  for (let round = 0; round < ROUNDS; round++) {
    times.bare.push(nsPerCall(c.run, bare));
    times.timed.push(nsPerCall(c.run, c.wrapped));
  }
  const b = median(times.bare);
  const t = median(times.timed);
  const diffs = times.timed.map((x, i) => x - times.bare[i]);
  console.log(`${c.name}: bare ${b.toFixed(0)} ns, timed ${t.toFixed(0)} ns a call; the probe adds ${median(diffs).toFixed(0)} ns (min ${Math.min(...diffs).toFixed(0)}, max ${Math.max(...diffs).toFixed(0)})`);
}
const clock = [];
for (let round = 0; round < ROUNDS; round++) clock.push(clockRead());
console.log(`for comparison, one performance.now(): ${median(clock).toFixed(0)} ns`);
installed.uninstall();
