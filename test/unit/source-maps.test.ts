import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSourceMaps } from '../../src/attribution/source-maps';

const dir = mkdtempSync(join(tmpdir(), 'loopwatch-maps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SOURCE = ['interface A {', '  x: number;', '}', '', 'export function f(a: A): number {', '  return a.x * 2;', '}', ''].join('\n');

/** Compiles SOURCE with the real TypeScript compiler: the JavaScript, and its map. */
function compiled(inline: boolean): { js: string; map?: string } {
  const out = ts.transpileModule(SOURCE, { fileName: 'f.ts', compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: !inline, inlineSourceMap: inline } });
  return out.sourceMapText === undefined ? { js: out.outputText } : { js: out.outputText, map: out.sourceMapText };
}

/** The generated line and column of `return` in the compiled code (1-based, as V8 reports them). */
function returnAt(js: string): { line: number; column: number } {
  const lines = js.split('\n');
  const line = lines.findIndex((l) => l.includes('return a.x'));
  return { line: line + 1, column: lines[line]!.indexOf('return') + 1 };
}

describe('fileSourceMaps', () => {
  it('maps a frame through an external map, keeping the generated location', () => {
    const { js, map } = compiled(false);
    writeFileSync(join(dir, 'f.js'), js);
    writeFileSync(join(dir, 'f.js.map'), map!);
    const at = returnAt(js);
    const frame = fileSourceMaps().map({ file: join(dir, 'f.js'), ...at, function: 'f' });
    expect(frame).toEqual({ file: join(dir, 'f.ts'), line: 6, column: 3, function: 'f', generated: { file: join(dir, 'f.js'), ...at } });
  });

  it('maps through an inline map, and a file: URL frame', () => {
    const { js } = compiled(true);
    writeFileSync(join(dir, 'g.js'), js);
    const frame = fileSourceMaps().map({ file: `file://${join(dir, 'g.js')}`, ...returnAt(js), function: null });
    expect(frame).toMatchObject({ file: join(dir, 'f.ts'), line: 6 });
  });

  it('leaves frames without a map, already mapped ones and Node\'s own as they are, and says nothing', () => {
    writeFileSync(join(dir, 'plain.js'), 'module.exports = 1;\n');
    const maps = fileSourceMaps();
    const plain = { file: join(dir, 'plain.js'), line: 1, column: 1, function: null };
    const mapped = { ...plain, generated: { file: '/x.js', line: 3, column: 4 } };
    const internal = { file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' };
    expect(maps.map(plain)).toBe(plain);
    expect(maps.map(mapped)).toBe(mapped);
    expect(maps.map(internal)).toBe(internal);
    expect(maps.problems()).toEqual([]);
  });

  it('a broken or missing map: the generated location, and one problem per file', () => {
    writeFileSync(join(dir, 'broken.js'), 'x();\n//# sourceMappingURL=broken.js.map\n');
    writeFileSync(join(dir, 'broken.js.map'), '{"version":3,');
    writeFileSync(join(dir, 'missing.js'), 'x();\n//# sourceMappingURL=missing.js.map\n');
    const maps = fileSourceMaps();
    for (const name of ['broken.js', 'missing.js']) {
      const frame = { file: join(dir, name), line: 1, column: 1, function: null };
      expect(maps.map(frame)).toBe(frame);
      expect(maps.map(frame)).toBe(frame);
    }
    const problems = maps.problems();
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/broken\.js: its source map could not be read \(.+\); its locations are in the generated code/);
    expect(problems[1]).toMatch(/missing\.js: its source map could not be read \(ENOENT\)/);
  });

  it('missing maps in node_modules: one problem for them all, with the count and the first', () => {
    const deps = join(dir, 'node_modules', 'dep');
    mkdirSync(deps, { recursive: true });
    for (const name of ['a.js', 'b.js', 'c.js']) writeFileSync(join(deps, name), `x();\n//# sourceMappingURL=${name}.map\n`);
    writeFileSync(join(dir, 'own.js'), 'x();\n//# sourceMappingURL=own.js.map\n');
    const maps = fileSourceMaps();
    for (const file of [join(deps, 'a.js'), join(dir, 'own.js'), join(deps, 'b.js'), join(deps, 'c.js')]) maps.map({ file, line: 1, column: 1, function: null });
    expect(maps.problems()).toEqual([
      `${join(dir, 'own.js')}: its source map could not be read (ENOENT); its locations are in the generated code`,
      `3 files in node_modules have source maps that could not be read (the first: ${join(deps, 'a.js')}, ENOENT); their locations are in the generated code`,
    ]);
  });
});
