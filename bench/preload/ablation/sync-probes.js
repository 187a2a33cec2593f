'use strict';
// Component 5: the sync-API probes alone, from the compiled agent
// (dist/agent/probes/sync-calls.js and wrap.js), installed on the same functions as
// src/agent/probes/install.ts's installSyncProbes (kept in step by hand: that function is
// not exported): every fs.*Sync, crypto's sync key functions, zlib's *Sync, child_process's
// sync spawns, and Module.prototype.require. Recorded calls (1 ms or more) are built at the
// next 10 ms tick, as the agent defers them to its heartbeat, and dropped.
const path = require('node:path');
const { DIST, isMainThread } = require('./lib');

if (isMainThread) {
  const childProcess = require('node:child_process');
  const crypto = require('node:crypto');
  const fs = require('node:fs');
  const Module = require('node:module');
  const zlib = require('node:zlib');
  const { SyncCallProbes } = require(path.join(DIST, 'agent', 'probes', 'sync-calls.js'));
  const { replaceFunction } = require(path.join(DIST, 'agent', 'probes', 'wrap.js'));
  let pending = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    for (const make of batch) make();
  };
  setInterval(flush, 10).unref();
  const sync = new SyncCallProbes({ thresholdMs: 1, record: (make) => pending.push(make) });
  const CRYPTO_SYNC = ['pbkdf2Sync', 'scryptSync', 'hkdfSync', 'generateKeyPairSync', 'generateKeySync', 'generatePrimeSync', 'checkPrimeSync', 'randomFillSync'];
  for (const name of Object.keys(fs)) {
    if (name.endsWith('Sync')) replaceFunction(fs, name, (original) => sync.timed(`fs.${name}`, 'fs', original));
  }
  replaceFunction(fs.realpathSync, 'native', (original) => sync.timed('fs.realpathSync.native', 'fs', original));
  for (const name of CRYPTO_SYNC) replaceFunction(crypto, name, (original) => sync.timed(`crypto.${name}`, 'crypto', original));
  for (const name of Object.keys(zlib)) {
    if (name.endsWith('Sync')) replaceFunction(zlib, name, (original) => sync.timed(`zlib.${name}`, 'zlib', original));
  }
  for (const name of ['execSync', 'execFileSync', 'spawnSync']) {
    replaceFunction(childProcess, name, (original) => sync.timed(`child_process.${name}`, 'child_process', original));
  }
  replaceFunction(Module.prototype, 'require', (original) =>
    sync.timed('require', 'module', original, (args) => (typeof args[0] === 'string' ? args[0] : undefined)));
  Module.syncBuiltinESMExports();
}
