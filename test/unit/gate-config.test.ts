import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../src/attribution/categories';
import { compileGlob, configSchemaPath, loadConfig, REASON_PLACEHOLDER, validateConfig } from '../../src/gate/config';
import { caught } from './caught';

const FILE = 'loopwatch.config.json';

/** The one-line message a configuration is refused with. */
function refusal(config: unknown): string {
  const err = caught(() => validateConfig(config, FILE));
  expect(err.code).toBe('CONFIG');
  expect(err.exitCode).toBe(2);
  expect(err.message.startsWith(`${FILE}: `)).toBe(true);
  expect(err.message).not.toContain('\n');
  return err.message.slice(FILE.length + 2);
}

describe('validateConfig accepts', () => {
  it('every rule the README documents', () => {
    const config = {
      $schema: './node_modules/loopwatch/schema/loopwatch.config.schema.json',
      threshold: 50,
      maxStallMs: 200,
      maxTotalBlockedMs: 1000,
      maxP99DelayMs: 100,
      syncIo: { maxCalls: 10, maxTotalMs: 50, maxCallMs: 5 },
      threadpool: { maxQueueWaitMs: 100 },
      startup: 'ignore',
      categories: { fs: { maxStallMs: 20 }, child_process: 'forbid', crypto: { maxTotalBlockedMs: 300 } },
      allow: [{ path: 'test/**', operation: 'crypto.pbkdf2Sync', reason: 'the tests hash passwords on purpose' }, { category: 'module', reason: 'loading' }],
      processes: [{ argv: '**/vitest/**', ignore: true }, { argv: '*.test.js', maxStallMs: 500, startup: { maxStallMs: 1000 } }],
      baseline: { file: 'loopwatch.baseline.json', tolerancePercent: 25 },
    };
    expect(validateConfig(config, FILE)).toEqual(config);
    expect(validateConfig({ syncIo: 'forbid' }, FILE)).toEqual({ syncIo: 'forbid' });
    expect(validateConfig({}, FILE)).toEqual({});
  });
});

describe('validateConfig refuses, naming the key path and what was expected', () => {
  it.each([
    [{ maxStal: 100 }, "unknown key 'maxStal' (expected one of threshold, maxStallMs, maxTotalBlockedMs, maxP99DelayMs, syncIo, threadpool, startup, categories, allow, processes, baseline)"],
    [{ threadpool: { maxQueueWait: 3 } }, "unknown key 'threadpool.maxQueueWait' (did you mean 'maxQueueWaitMs'?)"],
    [{ processes: [{ argv: 'x', ignroe: true }] }, "unknown key 'processes[0].ignroe' (did you mean 'ignore'?)"],
    [{ maxStallMs: '100' }, 'maxStallMs: expected a number, got the string "100"'],
    [{ maxStallMs: -1 }, 'maxStallMs: expected a number >= 0, got -1'],
    [{ threshold: 0 }, 'threshold: expected a number > 0, got 0'],
    [{ allow: 'x' }, 'allow: expected an array, got the string "x"'],
    [{ allow: [{ path: 'src/a.js' }] }, "allow[0]: missing 'reason' (say why this call may block)"],
    [{ allow: [{ reason: 'x' }] }, 'allow[0]: give at least one of path, function, operation, category to match call sites by'],
    [{ categories: { fss: 'forbid' } }, `categories: unknown category 'fss' (expected one of ${CATEGORIES.join(', ')})`],
    [{ categories: { fs: 'forbidden' } }, 'categories.fs: expected "forbid" or an object, got the string "forbidden"'],
    [{ categories: { fs: { maxStal: 3 } } }, "unknown key 'categories.fs.maxStal' (expected one of maxStallMs, maxTotalBlockedMs)"],
    [{ syncIo: 'no' }, 'syncIo: expected "forbid" or an object, got the string "no"'],
    [{ syncIo: {} }, 'syncIo: give at least one rule'],
    [{ startup: 'skip' }, 'startup: expected "ignore" or an object, got the string "skip"'],
    [{ processes: [{ ignore: true }] }, 'processes[0]: give argv or role (or both) to match processes by'],
    [{ processes: [{ role: 'npm', ignore: true }] }, 'processes[0].role: expected one of "tooling", "package-manager", "test-runner", "test-worker"'],
    [{ baseline: {} }, "baseline: missing 'file'"],
    [[], 'expected an object, got an array'],
  ])('%j', (config, message) => {
    expect(refusal(config)).toBe(message);
  });

  it('says how many more problems there are, and which', () => {
    expect(refusal({ maxTotalBlockedMs: 'a', maxP99DelayMs: null })).toBe(
      'maxTotalBlockedMs: expected a number, got the string "a" (and 1 more: maxP99DelayMs: expected a number, got null)',
    );
  });

  it('a glob that does not compile', () => {
    expect(refusal({ allow: [{ path: 'src/[abc', reason: 'x' }] })).toBe(
      "allow[0].path: 'src/[abc' is not a valid glob (Missing closing: \"]\" - use \"\\\\]\" to match literal characters)",
    );
    expect(refusal({ processes: [{ argv: '{a,b' }] })).toMatch(/^processes\[0\]\.argv: '\{a,b' is not a valid glob/);
  });

  it('an allow entry whose reason is still the one loopwatch suggested', () => {
    expect(refusal({ allow: [{ path: 'a.js', reason: REASON_PLACEHOLDER }] })).toBe(
      'allow[0].reason: say why this call may block (it is shown in every verdict that uses the entry)',
    );
  });
});

describe('the schema', () => {
  const schema = JSON.parse(readFileSync(configSchemaPath(), 'utf8')) as { definitions: { category: { enum: string[] } } };
  it('knows the categories loopwatch reports', () => {
    expect(schema.definitions.category.enum).toEqual([...CATEGORIES]);
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopwatch-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing in a directory without a configuration', () => {
    expect(loadConfig(dir)).toBeUndefined();
  });

  it('reads the "loopwatch" key of package.json', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', loopwatch: { maxStallMs: 10 } }));
    expect(loadConfig(dir)).toEqual({ config: { maxStallMs: 10 }, source: 'package.json#loopwatch', dir });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', loopwatch: { maxStallMs: 'x' } }));
    expect(caught(() => loadConfig(dir)).message).toBe('package.json#loopwatch: maxStallMs: expected a number, got the string "x"');
  });

  it('prefers loopwatch.config.json to package.json, and --config to both', () => {
    writeFileSync(join(dir, FILE), JSON.stringify({ maxStallMs: 20 }));
    expect(loadConfig(dir)?.config).toEqual({ maxStallMs: 20 });
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ maxStallMs: 30 }));
    expect(loadConfig(dir, 'other.json')).toEqual({ config: { maxStallMs: 30 }, source: 'other.json', dir });
  });

  it('refuses a --config that does not exist, and a file that is not JSON', () => {
    expect(caught(() => loadConfig(dir, 'missing.json')).message).toBe('--config missing.json: no such file');
    writeFileSync(join(dir, 'broken.json'), '{ "maxStallMs": ');
    expect(caught(() => loadConfig(dir, 'broken.json')).message).toMatch(/^broken\.json: not valid JSON \(/);
  });
});

describe('compileGlob', () => {
  it('matches paths with dot files, and a glob without a slash by file name anywhere', () => {
    expect(compileGlob('test/**')('test/a/b.js')).toBe(true);
    expect(compileGlob('test/**')('src/test/b.js')).toBe(false);
    expect(compileGlob('*.test.js')('src/deep/a.test.js')).toBe(true);
    expect(compileGlob('**/vitest/**')('/app/node_modules/vitest/dist/cli.js')).toBe(true);
    expect(compileGlob('src/**')('src/.hidden/a.js')).toBe(true);
  });
});
