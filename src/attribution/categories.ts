/**
 * What kind of blocking a stall is, and the tables that decide it. Names for people,
 * kept in one place.
 */

export const CATEGORIES = [
  'crypto',
  'fs',
  'dns',
  'child_process',
  'zlib',
  'json',
  'regex',
  'module',
  'sync-wait',
  'gc',
  'threadpool',
  'js',
  /** Native addon code (a .node file's functions), where the package's nature is not known. */
  'native',
  /** Not the program: the host did not run the thread (it waited for a CPU, or the process was stopped). */
  'host',
  'unknown',
] as const;

export type Category = (typeof CATEGORIES)[number];

/** Node's internal files, by the public module a user would have called. */
const NODE_MODULES: Array<[prefix: string, module: string, category: Category]> = [
  ['node:internal/crypto/', 'crypto', 'crypto'],
  ['node:crypto', 'crypto', 'crypto'],
  ['node:internal/fs/', 'fs', 'fs'],
  ['node:fs', 'fs', 'fs'],
  ['node:internal/dns/', 'dns', 'dns'],
  ['node:dns', 'dns', 'dns'],
  ['node:internal/child_process', 'child_process', 'child_process'],
  ['node:child_process', 'child_process', 'child_process'],
  ['node:zlib', 'zlib', 'zlib'],
  ['node:internal/modules/', 'module', 'module'],
];

/** The public module and category of a node: internal file, if it belongs to one of the families above. */
export function nodeModuleOf(file: string): { module: string; category: Category } | undefined {
  for (const [prefix, module, category] of NODE_MODULES) {
    if (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix) {
      return { module, category };
    }
  }
  return undefined;
}

/**
 * Internal functions that stand for several public ones: zlib's sync convenience
 * methods (gzipSync, deflateSync, brotliCompressSync...) are all one wrapper, so the
 * stack cannot tell which was called; the call site's source text can.
 */
const SHARED_WRAPPERS = new Set(['syncBufferWrapper', 'zlibBufferSync', 'processChunkSync']);

export function isSharedWrapper(internalName: string): boolean {
  return SHARED_WRAPPERS.has(internalName);
}

/** Builtins (frames without a file), by the name V8 gives them. */
const BUILTINS: Record<string, { operation: string; category: Category }> = {
  'JSON.parse': { operation: 'JSON.parse', category: 'json' },
  'JSON.stringify': { operation: 'JSON.stringify', category: 'json' },
  'RegExp.test': { operation: 'RegExp.prototype.test', category: 'regex' },
  'RegExp.exec': { operation: 'RegExp.prototype.exec', category: 'regex' },
  'RegExp.[Symbol.replace]': { operation: 'String.prototype.replace', category: 'regex' },
  'RegExp.[Symbol.match]': { operation: 'String.prototype.match', category: 'regex' },
  'RegExp.[Symbol.matchAll]': { operation: 'String.prototype.matchAll', category: 'regex' },
  'RegExp.[Symbol.split]': { operation: 'String.prototype.split', category: 'regex' },
  'RegExp.[Symbol.search]': { operation: 'String.prototype.search', category: 'regex' },
  'String.replace': { operation: 'String.prototype.replace', category: 'regex' },
  'String.match': { operation: 'String.prototype.match', category: 'regex' },
  'String.split': { operation: 'String.prototype.split', category: 'regex' },
  'Atomics.wait': { operation: 'Atomics.wait', category: 'sync-wait' },
};

export function builtinOf(name: string): { operation: string; category: Category } | undefined {
  return BUILTINS[name];
}

/**
 * npm packages whose blocking has a known nature. Everything else running in
 * node_modules takes the category of the Node API it ended up in, or `js`; a native
 * addon's own functions not listed here are `native`.
 */
const PACKAGES: Record<string, Category> = {
  bcryptjs: 'crypto',
  bcrypt: 'crypto',
  argon2: 'crypto',
  // SQLite reads and writes its database file on the calling thread, page by page, and
  // syncs it at each commit: a query blocks the loop as a sync file read or write does,
  // and a budget for sync fs holds it too.
  'better-sqlite3': 'fs',
  'crypto-js': 'crypto',
  'scrypt-js': 'crypto',
  'node-forge': 'crypto',
  'dns-sync': 'dns',
  'deasync': 'sync-wait',
  'synckit': 'sync-wait',
  'sync-rpc': 'sync-wait',
};

export function packageCategory(name: string): Category | undefined {
  return PACKAGES[name];
}
