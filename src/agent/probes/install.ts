import childProcess = require('node:child_process');
import crypto = require('node:crypto');
import dns = require('node:dns');
import fs = require('node:fs');
import Module = require('node:module');
// `import x = require()`: the module objects themselves, not copies of them, are what
// the program's require() returns and what gets changed here.
import zlib = require('node:zlib');
import { EXPLICIT_GC_OPERATION } from '../../recording/schema';
import { NativeAddonProbe } from './native';
import type { PoolWorkTracker } from './pool-work';
import { requireTimings, type StartupModules } from './startup-modules';
import type { SyncCallProbes } from './sync-calls';
import { Replacements, shellLike } from './wrap';

/**
 * Which Node.js functions loopwatch times, in one place.
 *
 * - Synchronous APIs that block the event loop for as long as they run: every
 *   `fs.*Sync`, crypto's sync key derivation and generation, zlib's sync convenience
 *   methods, child_process's sync spawns, require(), and global.gc() (`--expose-gc`).
 * - Callback APIs that run on libuv's threadpool: dns.lookup (behind http.get and
 *   net.connect), crypto's async key derivation and generation, zlib's convenience
 *   methods. Async fs calls are many, short and hot, and are not tracked.
 * - Native addons: process.dlopen, through which every .node file is loaded; what each
 *   addon exports is timed like a sync API call from then on (native.ts). With the sync
 *   probes off, addons are not timed either.
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
  /** Times every require() before the event loop's first turn (the main thread's startup section). */
  startup?: StartupModules;
}

/** Installed probes: `uninstall` puts the original functions back (those nobody replaced in turn). */
export interface InstalledProbes {
  uninstall(): void;
}

export function installProbes({ sync, pool, startup }: Probes): InstalledProbes {
  const replacements = new Replacements();
  if (sync) installSyncProbes(replacements, sync);
  installRequireTiming(replacements, sync, startup);
  installPoolTracking(replacements, pool, sync);
  const addons = sync ? new NativeAddonProbe(replacements, sync) : undefined;
  addons?.install();
  Module.syncBuiltinESMExports();
  return {
    uninstall() {
      addons?.stop();
      sync?.stop();
      pool.stop();
      replacements.restore();
      // ES modules' named imports see the originals again.
      Module.syncBuiltinESMExports();
    },
  };
}

function installSyncProbes(r: Replacements, sync: SyncCallProbes): void {
  for (const name of Object.keys(fs)) {
    if (name.endsWith('Sync')) r.replace(fs, name, (original) => sync.timed(`fs.${name}`, 'fs', original, pathArgument));
  }
  r.replace(fs.realpathSync, 'native', (original) => sync.timed('fs.realpathSync.native', 'fs', original));
  for (const name of CRYPTO_SYNC) r.replace(crypto, name, (original) => sync.timed(`crypto.${name}`, 'crypto', original));
  for (const name of Object.keys(zlib)) {
    if (name.endsWith('Sync')) r.replace(zlib, name, (original) => sync.timed(`zlib.${name}`, 'zlib', original));
  }
  for (const name of CHILD_PROCESS_SYNC) {
    r.replace(childProcess, name, (original) => sync.timed(`child_process.${name}`, 'child_process', original));
  }
  // `node --expose-gc`: a program that collects on purpose (global.gc(), to "keep memory
  // down") blocks for as long as the collection runs. Timed like a sync call, it is named
  // at its caller's line; a stack sample, served only once gc() has returned, would show
  // whatever line ran next.
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') r.replace(globalThis, 'gc', (original) => sync.timed(EXPLICIT_GC_OPERATION, 'gc', original));
}

/** require(): timed as a sync call (the outermost, with the module it loaded), and listed with every module loaded at startup. */
function installRequireTiming(r: Replacements, sync: SyncCallProbes | undefined, startup: StartupModules | undefined): void {
  const probe = sync?.around('require', 'module', (args) => (typeof args[0] === 'string' ? args[0] : undefined));
  if (!startup) {
    if (probe) r.replace(Module.prototype, 'require', (original) => shellLike(original, probe));
    return;
  }
  r.replace(Module.prototype, 'require', (original) => shellLike(original, requireTimings(startup, probe)));
}

/** The path an fs call was given (a string or a file: URL), not a descriptor or a buffer. */
function pathArgument(args: IArguments): string | undefined {
  const path: unknown = args[0];
  if (typeof path === 'string') return path;
  return path instanceof URL ? path.href : undefined;
}

function installPoolTracking(r: Replacements, pool: PoolWorkTracker, sync: SyncCallProbes | undefined): void {
  r.replace(dns, 'lookup', (original) =>
    pool.tracked('dns.lookup', 'dns', original, { queue: 'dns', target: (args) => (typeof args[0] === 'string' ? args[0] : undefined) }),
  );
  // getnameinfo runs in the pool's DNS queue too: not tracked, but it starts the DNS probe.
  r.replace(dns, 'lookupService', (original) => pool.marking(original, 'dns'));
  for (const name of CRYPTO_POOL) r.replace(crypto, name, (original) => pool.tracked(`crypto.${name}`, 'crypto', original));
  // randomBytes(n) without a callback is synchronous; with one it runs on the pool.
  const randomBytesSync = sync?.around('crypto.randomBytes', 'crypto');
  r.replace(crypto, 'randomBytes', (original) =>
    pool.tracked('crypto.randomBytes', 'crypto', original, randomBytesSync ? { sync: randomBytesSync } : {}),
  );
  for (const name of ZLIB_METHODS) r.replace(zlib, name, (original) => pool.tracked(`zlib.${name}`, 'zlib', original));
}
