import childProcess = require('node:child_process');
import crypto = require('node:crypto');
import dns = require('node:dns');
import fs = require('node:fs');
import Module = require('node:module');
// `import x = require()`: the module objects themselves, not copies of them, are what
// the program's require() returns and what gets changed here.
import zlib = require('node:zlib');
import type { PoolWorkTracker } from './pool-work';
import type { SyncCallProbes } from './sync-calls';
import { replaceFunction } from './wrap';

/**
 * Which Node.js functions loopwatch times, in one place.
 *
 * - Synchronous APIs that block the event loop for as long as they run: every
 *   `fs.*Sync`, crypto's sync key derivation and generation, zlib's sync convenience
 *   methods, child_process's sync spawns, and require().
 * - Callback APIs that run on libuv's threadpool: dns.lookup (behind http.get and
 *   net.connect), crypto's async key derivation and generation, zlib's convenience
 *   methods. Async fs calls are many, short and hot, and are not tracked.
 *
 * After the replacement, module.syncBuiltinESMExports() lets ES modules' named imports
 * (`import { readFileSync } from 'node:fs'`) see it too.
 */

const CRYPTO_SYNC = ['pbkdf2Sync', 'scryptSync', 'hkdfSync', 'generateKeyPairSync', 'generateKeySync', 'generatePrimeSync', 'checkPrimeSync', 'randomFillSync'];
const CRYPTO_POOL = ['pbkdf2', 'scrypt', 'hkdf', 'generateKeyPair', 'generateKey', 'generatePrime', 'checkPrime', 'randomFill'];
const ZLIB_METHODS = ['gzip', 'gunzip', 'deflate', 'inflate', 'deflateRaw', 'inflateRaw', 'unzip', 'brotliCompress', 'brotliDecompress'];
const CHILD_PROCESS_SYNC = ['execSync', 'execFileSync', 'spawnSync'];

export interface Probes {
  sync?: SyncCallProbes;
  pool: PoolWorkTracker;
}

export function installProbes({ sync, pool }: Probes): void {
  if (sync) installSyncProbes(sync);
  installPoolTracking(pool, sync);
  Module.syncBuiltinESMExports();
}

function installSyncProbes(sync: SyncCallProbes): void {
  for (const name of Object.keys(fs)) {
    if (name.endsWith('Sync')) replaceFunction(fs, name, (original) => sync.timed(`fs.${name}`, 'fs', original, pathArgument));
  }
  replaceFunction(fs.realpathSync, 'native', (original) => sync.timed('fs.realpathSync.native', 'fs', original));
  for (const name of CRYPTO_SYNC) replaceFunction(crypto, name, (original) => sync.timed(`crypto.${name}`, 'crypto', original));
  for (const name of Object.keys(zlib)) {
    if (name.endsWith('Sync')) replaceFunction(zlib, name, (original) => sync.timed(`zlib.${name}`, 'zlib', original));
  }
  for (const name of CHILD_PROCESS_SYNC) {
    replaceFunction(childProcess, name, (original) => sync.timed(`child_process.${name}`, 'child_process', original));
  }
  replaceFunction(Module.prototype, 'require', (original) =>
    sync.timed('require', 'module', original, (args) => (typeof args[0] === 'string' ? args[0] : undefined)),
  );
}

/** The path an fs call was given (a string or a file: URL), not a descriptor or a buffer. */
function pathArgument(args: IArguments): string | undefined {
  const path: unknown = args[0];
  if (typeof path === 'string') return path;
  return path instanceof URL ? path.href : undefined;
}

function installPoolTracking(pool: PoolWorkTracker, sync: SyncCallProbes | undefined): void {
  replaceFunction(dns, 'lookup', (original) =>
    pool.tracked('dns.lookup', 'dns', original, { target: (args) => (typeof args[0] === 'string' ? args[0] : undefined) }),
  );
  for (const name of CRYPTO_POOL) replaceFunction(crypto, name, (original) => pool.tracked(`crypto.${name}`, 'crypto', original));
  // randomBytes(n) without a callback is synchronous; with one it runs on the pool.
  replaceFunction(crypto, 'randomBytes', (original) =>
    pool.tracked('crypto.randomBytes', 'crypto', original, { otherwise: sync?.timed('crypto.randomBytes', 'crypto', original) }),
  );
  for (const name of ZLIB_METHODS) replaceFunction(zlib, name, (original) => pool.tracked(`zlib.${name}`, 'zlib', original));
}

