import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/schema';
import { FIXTURES, readMarkers, ROOT, runCli, toleranceMs } from './run-cli';

/**
 * A TypeScript program's call sites are its .ts lines, whoever maps them: the source
 * maps tsc wrote (external or inline) read after the run, Node's --enable-source-maps,
 * or a loader that transforms in memory (tsx). The generated location is kept beside.
 */
const APP = join(FIXTURES, 'ts-app');
const SOURCE = join(APP, 'src', 'hash.ts');
const [MARKER] = readMarkers(SOURCE);
const builds = { external: join(APP, 'build-external'), inline: join(APP, 'build-inline') };

function tsc(outDir: string, mapFlag: string): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', APP, '--outDir', outDir, mapFlag], { encoding: 'utf8' });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}

beforeAll(() => {
  tsc(builds.external, '--sourceMap');
  tsc(builds.inline, '--inlineSourceMap');
});
afterAll(() => {
  for (const dir of Object.values(builds)) rmSync(dir, { recursive: true, force: true });
});

/** The stall cause of the marked pbkdf2Sync, which must be found at the .ts line. */
function hashCause(report: Report) {
  const causes = report.stalls.flatMap((s) => s.causes).filter((c) => c.operation === 'crypto.pbkdf2Sync');
  expect(causes).toHaveLength(1);
  return causes[0]!;
}

describe('call sites in the TypeScript sources', () => {
  it.each([
    ['tsc with external maps, run without --enable-source-maps', ['run', join(builds.external, 'hash.js')], join(builds.external, 'hash.js')],
    ['tsc with inline maps', ['run', join(builds.inline, 'hash.js')], join(builds.inline, 'hash.js')],
    ['tsc output run with --enable-source-maps', ['run', '--', 'node', '--enable-source-maps', join(builds.external, 'hash.js')], join(builds.external, 'hash.js')],
  ])('%s', (_name, args, generatedFile) => {
    const run = runCli(args);
    expect(run.status).toBe(0);
    const cause = hashCause(run.report!);
    expect(cause.callSite).toMatchObject({ file: SOURCE, line: MARKER!.line, function: 'hashPassword' });
    expect(cause.callSite!.generated).toMatchObject({ file: generatedFile });
    expect(cause.callSite!.generated!.line).not.toBe(MARKER!.line);
    const [truth] = run.truth;
    expect(Math.abs(cause.durationMs - truth!.ms)).toBeLessThanOrEqual(toleranceMs(truth!.ms));
    expect(run.stderr).toContain(`fixtures/ts-app/src/hash.ts:${MARKER!.line}:`);
    expect(run.report!.warnings).toEqual([]);
  });

  it('a loader that transforms in memory (node --import tsx)', () => {
    // tsx keeps a cache in the temporary directory unless told not to.
    const run = runCli(['run', '--', 'node', '--import', 'tsx', SOURCE], { env: { TSX_DISABLE_CACHE: '1' } });
    expect(run.status).toBe(0);
    const cause = hashCause(run.report!);
    const stall = run.report!.stalls.find((s) => s.causes.includes(cause))!;
    // (Seen once in CI on Node.js 20, not reproduced in 40 runs since: the call site left at
    // tsx's generated line 2. The message says what the stall was made of, if it comes back.)
    expect(cause.callSite, JSON.stringify({ cause, samples: stall.samples, stack: stall.stack.slice(0, 3), warnings: run.report!.warnings })).toMatchObject({
      file: SOURCE,
      line: MARKER!.line,
    });
    // tsx's hooks run in Node's own loader thread, which is not one of the program's threads.
    expect(run.report!.processes[0]!.unwatchedThreads).toEqual([]);
  });

  it('the gate points at the .ts line too', () => {
    const run = runCli(['run', '--fail-on-stall', '50', join(builds.external, 'hash.js')], { env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: ROOT } });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^::error file=fixtures/ts-app/src/hash\\.ts,line=${MARKER!.line},`, 'm'));
  });

  it('a broken map leaves the generated location, with a warning, never a crash', () => {
    const broken = join(APP, 'build-broken');
    tsc(broken, '--sourceMap');
    try {
      writeFileSync(join(broken, 'hash.js.map'), '{"version": 3, "mappings": ');
      const run = runCli(['run', join(broken, 'hash.js')]);
      expect(run.status).toBe(0);
      const cause = hashCause(run.report!);
      expect(cause.callSite!.file).toBe(join(broken, 'hash.js'));
      expect(cause.callSite!.generated).toBeUndefined();
      expect(run.report!.warnings).toEqual([expect.stringMatching(/build-broken\/hash\.js: its source map could not be read \(.+\); its locations are in the generated code$/)]);
      expect(run.stderr).toContain('warning: ');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
