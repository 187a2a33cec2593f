import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, readMarkers, ROOT, toleranceMs } from './run-cli';

/**
 * loopwatch as a user installs it: `npm pack` in the clone, then `npm install --save-dev
 * <tarball>` in a project of their own, whose `loopwatch` bin runs a fixture. The
 * tarball's dependencies come from npm's cache when they are there, else from the
 * registry (--prefer-offline): on a fresh CI machine, the registry.
 */
const work = mkdtempSync(join(tmpdir(), 'loopwatch-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const project = join(work, 'project');
const NETWORK_ERRORS = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|ENOTCACHED)\b/;

function npm(args: string[], cwd: string) {
  return spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

// The clone is built (npm test builds first), so the pack skips `prepare`.
const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
const pack = (JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
const tarball = join(work, pack.filename);
const packedFiles = pack.files.map((f) => f.path);

mkdirSync(join(project, 'fixtures', 'lib'), { recursive: true });
writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-project', version: '1.0.0', private: true }, null, 2));
copyFileSync(join(FIXTURES, 'crypto-pbkdf2.js'), join(project, 'fixtures', 'crypto-pbkdf2.js'));
copyFileSync(join(FIXTURES, 'lib', 'truth.js'), join(project, 'fixtures', 'lib', 'truth.js'));
const installed = npm(['install', '--save-dev', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
const unavailable = installed.status !== 0 && NETWORK_ERRORS.test(installed.stderr) ? `the npm registry cannot be reached and npm's cache lacks the dependencies: ${NETWORK_ERRORS.exec(installed.stderr)![1]}` : undefined;

describe('the packed package', () => {
  it('holds the built code, the schema and the README, and no sources, tests or fixtures', () => {
    for (const file of ['bin/loopwatch.js', 'dist/cli/main.js', 'dist/agent/preload.js', 'dist/agent/register.js', 'dist/index.js', 'dist/index.d.ts', 'schema/loopwatch.config.schema.json', 'README.md', 'package.json']) {
      expect(packedFiles, file).toContain(file);
    }
    expect(packedFiles.filter((f) => /^(src|test|fixtures|bench)\//.test(f))).toEqual([]);
  });

  it('has every file its bin and exports name', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; exports: Record<string, string | Record<string, string>>; main: string; types: string };
    const targets = [
      ...Object.values(manifest.bin),
      manifest.main,
      manifest.types,
      ...Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))),
    ].map((target) => target.replace(/^\.\//, ''));
    for (const target of targets) expect(packedFiles, target).toContain(target);
  });
});

describe.skipIf(unavailable !== undefined)(`installed into another project with npm install --save-dev <tarball>${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const bin = join(project, 'node_modules', '.bin', 'loopwatch');

  it('installs, as a dev dependency', () => {
    expect(installed.status, installed.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
    expect(manifest.devDependencies?.loopwatch).toMatch(/loopwatch-0\.\d+\.\d+\.tgz$/);
    expect(existsSync(bin)).toBe(true);
  });

  it('its loopwatch bin runs a program of that project and names its line', () => {
    const truthFile = join(work, 'truth.jsonl');
    const run = spawnSync(bin, ['run', 'fixtures/crypto-pbkdf2.js'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', LOOPWATCH_FIXTURE_TRUTH: truthFile },
    });
    expect(run.status, run.stderr).toBe(0);
    const [marker] = readMarkers(join(FIXTURES, 'crypto-pbkdf2.js'));
    const lines = run.stderr.split('\n');
    const at = lines.findIndex((l) => new RegExp(`^ 1\\. fixtures/crypto-pbkdf2\\.js:${marker!.line}:\\d+$`).test(l));
    expect(at, run.stderr).toBeGreaterThan(0);
    const measured = /crypto\.pbkdf2Sync \(crypto\): 1 stall, ([\d.]+) ms total/.exec(lines[at + 1]!);
    expect(measured, lines[at + 1]).not.toBeNull();
    const truth = JSON.parse(readFileSync(truthFile, 'utf8').trim()) as { ms: number };
    expect(Math.abs(Number(measured![1]) - truth.ms)).toBeLessThanOrEqual(toleranceMs(truth.ms) + 1);
  });

  it('passes the exit status through, and its API and register entry load from the project', () => {
    const exited = spawnSync(bin, ['run', '-q', '--', process.execPath, '-e', 'process.exitCode = 7'], { cwd: project, encoding: 'utf8', timeout: 30_000 });
    expect(exited.status, exited.stderr).toBe(7);
    const api = spawnSync(process.execPath, ['--require', 'loopwatch/register', '-e', "console.log(typeof require('loopwatch').monitor)"], {
      cwd: project,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(api.stderr).toBe('');
    expect(api.stdout).toBe('function\n');
  });
});
