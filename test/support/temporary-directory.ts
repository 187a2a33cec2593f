/**
 * vitest's global setup: the tests run with a temporary directory of their own
 * (TMPDIR, which os.tmpdir() and the programs they start read), and whatever they
 * leave in it when they end is an error that names it. A test's temporary
 * directories are its own to remove: one `npm test` once left 36 in /tmp.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What the tools the tests run keep there on purpose, across runs: Node.js 22's and
 * 24's module compile cache (npm turns it on), tsx's cache.
 */
const TOOL_CACHES = /^(node-compile-cache|tsx-\d+)$/;

export function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), 'loopwatch-tests-'));
  process.env.TMPDIR = dir;
  return () => {
    const left = readdirSync(dir).filter((name) => !TOOL_CACHES.test(name));
    // What was left, said before it goes: whose it was is in its files (a recording's
    // run.json names the command; its process records, the programs).
    const contents = left.map((name) => `${name}: ${describeEntry(join(dir, name))}`);
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (left.length > 0) {
      // vitest says a teardown's error but still exits 0: the status says it too.
      process.exitCode = 1;
      throw new Error(`the tests left ${left.length} ${left.length === 1 ? 'entry' : 'entries'} in their temporary directory: ${left.join(', ')}\n${contents.join('\n')}`);
    }
  };
}

/** A left entry's files, each with its size and the start of its first line. */
function describeEntry(path: string): string {
  try {
    if (!statSync(path).isDirectory()) return `a file of ${statSync(path).size} bytes`;
    const files = readdirSync(path);
    if (files.length === 0) return 'an empty directory';
    return files
      .slice(0, 10)
      .map((file) => {
        const full = join(path, file);
        const size = statSync(full).size;
        const first = statSync(full).isFile() ? readFileSync(full, 'utf8').split('\n', 1)[0]!.slice(0, 300) : '(a directory)';
        return `\n  ${file} (${size} bytes): ${first}`;
      })
      .join('');
  } catch (err) {
    return `(could not be read: ${(err as Error).message})`;
  }
}
