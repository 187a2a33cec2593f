import { describe, expect, it } from 'vitest';
import { normalizeFrame, ownerOf, packageOf, type Frame } from '../../src/attribution/frames';
import { attributeStack } from '../../src/attribution/stack-to-call-site';
import type { SourceLines } from '../../src/attribution/source';

/** A frame with only what a test cares about; line and column default to null. */
function f(file: string | null, fn: string | null, line: number | null = null, column: number | null = null): Frame {
  return { file, line, column, function: fn };
}

/** Source lines from a table keyed by `file:line`. */
function sourceOf(lines: Record<string, string>): SourceLines {
  return { line: (file, line) => lines[`${file}:${line}`] };
}

const TIMERS = f('node:internal/timers', 'listOnTimeout', 581, 17);

describe('attributeStack: Node API calls', () => {
  it('names crypto.pbkdf2Sync at the user line that called it', () => {
    const user = f('/app/server.js', 'hash', 12, 10);
    const a = attributeStack([
      f('node:buffer', 'from', 300, 5),
      f('node:internal/crypto/pbkdf2', 'pbkdf2Sync', 65, 3),
      user,
      TIMERS,
    ]);
    expect(a.callSite).toEqual(user);
    expect(a.callSite?.file).toBe('/app/server.js');
    expect(a.callSite?.line).toBe(12);
    expect(a.operation).toBe('crypto.pbkdf2Sync');
    expect(a.category).toBe('crypto');
  });

  it('names fs.readFileSync, not the inner closeSync', () => {
    const user = f('/app/load.js', 'loadConfig', 4, 17);
    const a = attributeStack([f('node:fs', 'closeSync', 540, 3), f('node:fs', 'readFileSync', 460, 5), user]);
    expect(a).toEqual({ callSite: user, operation: 'fs.readFileSync', category: 'fs' });
  });

  it('names child_process.execSync even when the innermost frame is an unrelated internal', () => {
    const user = f('/app/build.js', 'run', 8, 23);
    const a = attributeStack([
      f('node:internal/bootstrap/switches/is_main_thread', 'getStderr', 160, 3),
      f('node:child_process', 'execSync', 880, 15),
      user,
    ]);
    expect(a).toEqual({ callSite: user, operation: 'child_process.execSync', category: 'child_process' });
  });

  describe('zlib sync convenience methods (one shared wrapper)', () => {
    const text = '  const gz = zlib.gzipSync(data);';
    const column = text.indexOf('gzipSync') + 1;
    const user = f('/app/compress.js', 'compress', 7, column);
    const stack = [
      f('node:buffer', 'slice', 650, 3),
      f('node:zlib', 'processChunkSync', 420, 10),
      f('node:zlib', 'zlibBufferSync', 170, 10),
      f('node:zlib', 'syncBufferWrapper', 790, 12),
      user,
      TIMERS,
    ];

    it('reads the method name at the call site column from the source', () => {
      const a = attributeStack(stack, sourceOf({ '/app/compress.js:7': text }));
      expect(a).toEqual({ callSite: user, operation: 'zlib.gzipSync', category: 'zlib' });
    });

    it('reads another method from another line the same way', () => {
      const other = '    return zlib.brotliCompressSync(buf, opts)';
      const site = f('/app/compress.js', 'brotli', 9, other.indexOf('brotliCompressSync') + 1);
      const a = attributeStack([...stack.slice(0, 4), site], sourceOf({ '/app/compress.js:9': other }));
      expect(a.operation).toBe('zlib.brotliCompressSync');
    });

    it('says "sync call" without the source', () => {
      const a = attributeStack(stack);
      expect(a).toEqual({ callSite: user, operation: 'zlib.sync call', category: 'zlib' });
    });

    it('says "sync call" when the call site has no column', () => {
      const noColumn = { ...user, column: null };
      const a = attributeStack([...stack.slice(0, 4), noColumn], sourceOf({ '/app/compress.js:7': text }));
      expect(a.operation).toBe('zlib.sync call');
    });
  });

  it('attributes a require() to the module category whatever it reads inside', () => {
    const user = f('/app/index.js', null, 3, 13);
    const a = attributeStack([
      f('node:fs', 'readFileSync', 460, 5),
      f('node:internal/modules/cjs/loader', 'Module._extensions..js', 1422, 37),
      f('node:internal/modules/cjs/loader', 'Module.load', 1203, 32),
      f('node:internal/modules/cjs/loader', 'Module._load', 1019, 12),
      f('node:internal/modules/cjs/loader', 'Module.require', 1231, 19),
      f('node:internal/modules/helpers', 'require', 177, 18),
      user,
    ]);
    expect(a).toEqual({ callSite: user, operation: 'require', category: 'module' });
  });

  it('attributes a stack ending in Module._load to require', () => {
    const user = f('/app/index.js', 'lazy', 30, 5);
    const a = attributeStack([f('node:internal/modules/cjs/loader', 'Module._load', 1019, 12), user]);
    expect(a).toEqual({ callSite: user, operation: 'require', category: 'module' });
  });
});

describe('attributeStack: module loading', () => {
  const LOADER = [
    f('node:internal/modules/cjs/loader', 'Module._compile', 1358, 14),
    f('node:internal/modules/esm/translators', null, 311, 7),
    f('node:internal/modules/esm/module_job', 'run', 234, 25),
    f('node:internal/modules/esm/loader', 'import', 473, 24),
  ];
  const TS = f('/app/node_modules/typescript/lib/typescript.js', null, 2000, 1);

  it("a module's top-level code run by import() is an import at the line that imported, naming the module", () => {
    const user = f('/app/main.mjs', null, 8, 14);
    const a = attributeStack([f('/app/node_modules/typescript/lib/typescript.js', 'createScanner', 10, 3), TS, ...LOADER, user]);
    expect(a).toEqual({ callSite: user, operation: 'import', category: 'module', detail: TS.file });
  });

  it("Node's loader parsing a module, with no line of the program on the stack, is an import without a call site", () => {
    const a = attributeStack([
      f('node:internal/deps/cjs-module-lexer/lexer', 'parseSource', 104, 17),
      f('node:internal/modules/esm/translators', 'cjsPreparseModuleExports', 290, 3),
      f('node:internal/modules/esm/module_job', '_link', 105, 28),
    ]);
    expect(a).toEqual({ callSite: null, operation: 'import', category: 'module' });
  });

  it("the main module's own top-level work at startup stays the program's own", () => {
    const main = f('/app/main.js', null, 17, 1);
    const a = attributeStack([main, f('node:internal/modules/cjs/loader', 'Module._compile', 1358, 14), f('node:internal/modules/run_main', 'executeUserEntryPoint', 135, 12)]);
    expect(a).toEqual({ callSite: main, operation: '<anonymous>', category: 'js' });
  });

  it('a require of a module of the program names the require line, not the module\'s own code', () => {
    const big = f('/app/lib/big.js', null, 5, 3);
    const user = f('/app/handler.js', 'handle', 12, 10);
    const a = attributeStack([big, f('node:internal/modules/cjs/loader', 'Module._compile', 1358, 14), f('node:internal/modules/helpers', 'require', 177, 18), user]);
    expect(a).toMatchObject({ operation: 'require', category: 'module', detail: big.file });
  });
});

describe('attributeStack: builtins', () => {
  it('JSON.parse builtin frame → json', () => {
    const user = f('/app/api.js', 'handle', 20, 22);
    const a = attributeStack([f(null, 'JSON.parse'), user, TIMERS]);
    expect(a).toEqual({ callSite: user, operation: 'JSON.parse', category: 'json' });
  });

  it('JSON.stringify builtin frame → json', () => {
    const user = f('/app/api.js', 'reply', 40, 19);
    expect(attributeStack([f(null, 'JSON.stringify'), user]).operation).toBe('JSON.stringify');
  });

  it('RegExp.test → RegExp.prototype.test (regex)', () => {
    const user = f('/app/validate.js', 'isEmail', 5, 17);
    const a = attributeStack([f(null, 'RegExp.test'), user]);
    expect(a).toEqual({ callSite: user, operation: 'RegExp.prototype.test', category: 'regex' });
  });

  it('String.replace with a regex → String.prototype.replace (regex)', () => {
    const user = f('/app/clean.js', 'clean', 2, 15);
    const a = attributeStack([f(null, 'RegExp.[Symbol.replace]'), f(null, 'String.replace'), user]);
    expect(a).toEqual({ callSite: user, operation: 'String.prototype.replace', category: 'regex' });
  });

  it('an unknown builtin (Array.map calling back into user code) is the user function own work', () => {
    const user = f('/app/list.js', 'mapAll', 11, 20);
    const a = attributeStack([f(null, 'Array.map'), user]);
    expect(a).toEqual({ callSite: user, operation: 'mapAll', category: 'js' });
  });

  it('only builtin frames: no call site, the builtin still names the operation', () => {
    const a = attributeStack([f(null, 'JSON.parse')]);
    expect(a).toEqual({ callSite: null, operation: 'JSON.parse', category: 'json' });
  });
});

describe('attributeStack: dependencies', () => {
  it('bcryptjs in node_modules → bcryptjs.hashSync (crypto), call site in the program', () => {
    const user = f('/app/auth.js', 'register', 15, 24);
    const a = attributeStack([
      f('/app/node_modules/bcryptjs/umd/index.js', '_crypt', 1100, 9),
      f('/app/node_modules/bcryptjs/umd/index.js', '_hash', 1200, 14),
      f('/app/node_modules/bcryptjs/umd/index.js', 'hashSync', 240, 12),
      user,
    ]);
    expect(a).toEqual({ callSite: user, operation: 'bcryptjs.hashSync', category: 'crypto' });
  });

  it("a dependency's method is named with its class, never after a same-named export (express's res.json is not express.json)", () => {
    const user = f('/app/server.js', null, 15, 7);
    const a = attributeStack([
      f(null, 'JSON.stringify'),
      f('/app/node_modules/express/lib/response.js', 'stringify', 1031, 12),
      { ...f('/app/node_modules/express/lib/response.js', 'json', 242, 14), receiver: 'ServerResponse' },
      user,
      f('/app/node_modules/router/lib/layer.js', 'handleRequest', 169, 15),
    ]);
    expect(a).toEqual({ callSite: user, operation: 'express.ServerResponse.json', category: 'json' });
  });

  it('scoped package: @scope/pkg.fn, js when nothing known is below', () => {
    const user = f('/app/main.js', 'go', 3, 7);
    const a = attributeStack([f('/app/node_modules/@scope/pkg/lib/inner.js', 'inner', 10, 3), f('/app/node_modules/@scope/pkg/index.js', 'fn', 2, 9), user]);
    expect(a).toEqual({ callSite: user, operation: '@scope/pkg.fn', category: 'js' });
  });

  it('an unknown package takes the category of the Node API it ended up in', () => {
    const user = f('/app/main.js', 'boot', 3, 7);
    const a = attributeStack([f('node:fs', 'readFileSync', 460, 5), f('/app/node_modules/config/lib/config.js', 'load', 80, 10), user]);
    expect(a).toEqual({ callSite: user, operation: 'config.load', category: 'fs' });
  });

  it('dns-sync is dns even though it blocks in child_process', () => {
    const user = f('/app/lookup.js', 'lookup', 6, 24);
    const a = attributeStack([
      f('node:child_process', 'spawnSync', 900, 15),
      f('node:child_process', 'execFileSync', 850, 15),
      f('/app/node_modules/dns-sync/index.js', 'resolve', 30, 18),
      user,
    ]);
    expect(a).toEqual({ callSite: user, operation: 'dns-sync.resolve', category: 'dns' });
  });

  it('a stack that never reaches the program is attributed to its first dependency frame', () => {
    const dep = f('/usr/lib/node_modules/npm/lib/cli.js', 'run', 50, 3);
    const a = attributeStack([f('node:fs', 'readFileSync', 460, 5), dep, f('/usr/lib/node_modules/npm/bin/npm-cli.js', null, 2, 1)]);
    expect(a.callSite).toEqual(dep);
    expect(a.operation).toBe('fs.readFileSync');
    expect(a.category).toBe('fs');
  });
});

describe('attributeStack: the program computing', () => {
  it('user code on top (busy loop): the operation is the user function, js', () => {
    const user = f('/app/busy.js', 'spin', 4, 12);
    const a = attributeStack([user, f('/app/busy.js', 'main', 10, 3), TIMERS]);
    expect(a).toEqual({ callSite: user, operation: 'spin', category: 'js' });
  });

  it('anonymous user code on top → <anonymous>', () => {
    const user = f('/app/busy.js', null, 4, 12);
    expect(attributeStack([user]).operation).toBe('<anonymous>');
  });

  it('a user frame inside a node internal getter is still the user function', () => {
    const user = f('/app/busy.js', 'spin', 4, 20);
    const a = attributeStack([f('node:internal/util', 'get performance', 520, 10), user, TIMERS]);
    expect(a).toEqual({ callSite: user, operation: 'spin', category: 'js' });
  });

  it('the call site is the innermost program frame, not an outer one', () => {
    const inner = f('/app/lib/hash.js', 'hashOne', 3, 10);
    const outer = f('/app/server.js', 'handle', 20, 5);
    const a = attributeStack([f('node:internal/crypto/pbkdf2', 'pbkdf2Sync', 65, 3), inner, outer]);
    expect(a.callSite).toEqual(inner);
    expect(a.operation).toBe('crypto.pbkdf2Sync');
  });
});

describe('attributeStack: degenerate stacks', () => {
  it('only node frames: no call site, never an internal frame as the program\'s line; what Node ran is the operation', () => {
    const a = attributeStack([f(null, 'Array.forEach'), f('node:internal/timers', 'listOnTimeout', 581, 17), f('node:internal/timers', 'processTimers', 519, 7)]);
    expect(a).toEqual({ callSite: null, operation: 'listOnTimeout (node:internal/timers)', category: 'js' });
  });

  // Seen in a saturated express server and at the startup of processes under load.
  it.each([
    [[f('node:internal/streams/writable', 'onwrite', 428, 3), f('node:internal/stream_base_commons', 'afterWriteDispatched', 160, 15)], 'onwrite (node:internal/streams/writable)'],
    [[f('node:_http_common', 'parserOnHeadersComplete', 117, 17)], 'parserOnHeadersComplete (node:_http_common)'],
    [[f('node:internal/bootstrap/node', 'get', 110, 12)], 'get (node:internal/bootstrap/node)'],
    [[f('node:internal/per_context/primordials', 'SafeMap', 481, 5)], 'SafeMap (node:internal/per_context/primordials)'],
  ])('only node frames %#: no call site, named %s', (stack, operation) => {
    expect(attributeStack(stack)).toEqual({ callSite: null, operation, category: 'js' });
  });

  it('only node frames of a known family: named by the public module, still no call site', () => {
    const a = attributeStack([f('node:fs', 'writeSync', 925, 3), f('node:internal/streams/writable', 'onwrite', 428, 3)]);
    expect(a).toEqual({ callSite: null, operation: 'fs.writeSync', category: 'fs' });
  });

  it('empty stack → unknown', () => {
    expect(attributeStack([])).toEqual({ callSite: null, operation: 'unknown', category: 'unknown' });
  });
});

describe('frames', () => {
  it('normalizeFrame turns ESM file:// URLs into paths', () => {
    expect(normalizeFrame({ file: 'file:///app/esm%20dir/server.mjs', line: 3, column: 5, function: 'hash' })).toEqual({
      file: '/app/esm dir/server.mjs',
      line: 3,
      column: 5,
      function: 'hash',
    });
  });

  it('normalizeFrame: empty file is a builtin; node: specifiers and paths are kept', () => {
    expect(normalizeFrame({ file: '', line: null, column: null, function: 'JSON.parse' }).file).toBeNull();
    expect(normalizeFrame({ file: 'node:fs', line: 1, column: 1, function: 'x' }).file).toBe('node:fs');
    expect(normalizeFrame({ file: '/app/a.js', line: 1, column: 1, function: 'x' }).file).toBe('/app/a.js');
  });

  it('normalizeFrame keeps a file URL it cannot convert', () => {
    expect(normalizeFrame({ file: 'file://otherhost/app/a.mjs', line: 1, column: 1, function: null }).file).toBe('file://otherhost/app/a.mjs');
  });

  it('an ESM stack attributes to the program once normalized', () => {
    const stack = [
      { file: 'node:internal/crypto/pbkdf2', line: 65, column: 3, function: 'pbkdf2Sync' },
      { file: 'file:///app/esm-pbkdf2.mjs', line: 9, column: 3, function: 'hash' },
    ].map(normalizeFrame);
    const a = attributeStack(stack);
    expect(a.callSite?.file).toBe('/app/esm-pbkdf2.mjs');
    expect(a.operation).toBe('crypto.pbkdf2Sync');
  });

  it('ownerOf and packageOf', () => {
    expect(ownerOf(f(null, 'JSON.parse'))).toBe('builtin');
    expect(ownerOf(f('node:fs', 'x'))).toBe('node');
    expect(ownerOf(f('/app/node_modules/a/b.js', 'x'))).toBe('dependency');
    expect(ownerOf(f('/app/a.js', 'x'))).toBe('program');
    expect(packageOf('/app/node_modules/a/node_modules/b/index.js')).toBe('b');
    expect(packageOf('/app/node_modules/@scope/pkg/index.js')).toBe('@scope/pkg');
    expect(packageOf('/app/src/index.js')).toBeUndefined();
  });
});
