import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The project root: the nearest directory at or above `cwd` with a package.json or a .git,
 * else `cwd`. Call sites are known by their path from here (allow globs, baselines, and
 * the gate's outputs), whichever directory a command or its configuration is in.
 */
export function projectRoot(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}
