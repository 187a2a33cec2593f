import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { LoopwatchError } from '../errors';

/** Parses `--threshold`: a positive number of milliseconds. */
export function parseThreshold(value: string, option = '--threshold'): number {
  const ms = Number(value);
  if (value.trim() === '' || !Number.isFinite(ms) || ms <= 0) {
    throw new LoopwatchError('USAGE', `${option} takes a positive number of milliseconds, not '${value}'`);
  }
  return ms;
}

/** Parses `--sync-io-threshold`: milliseconds, 0 (every call gets its call site) or more. */
export function parseSyncIoThreshold(value: string): number {
  return value.trim() === '0' ? 0 : parseThreshold(value, '--sync-io-threshold');
}

/** A file loopwatch will write: its directory must exist, so that no run ends with nowhere to put its report. */
export function checkOutputFile(option: string, file: string, cwd: string): string {
  const path = resolve(cwd, file);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LoopwatchError('USAGE', `${option} ${file}: directory ${dir} does not exist`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new LoopwatchError('USAGE', `${option} ${file}: is a directory`);
  }
  return path;
}

/**
 * What to start. `loopwatch run app.js args` runs a script with this Node.js;
 * `loopwatch run -- cmd args` runs any command (its Node.js processes get the agent
 * through NODE_OPTIONS).
 */
export function resolveTarget(operands: string[], isCommand: boolean, cwd: string, env: NodeJS.ProcessEnv): string[] {
  const [first, ...rest] = operands;
  if (first === undefined) throw new LoopwatchError('USAGE', 'nothing to run: give a script (loopwatch run app.js) or a command after -- (loopwatch run -- npm test)');
  if (!isCommand) {
    const script = resolve(cwd, first);
    if (!existsSync(script) || statSync(script).isDirectory()) {
      throw new LoopwatchError('SCRIPT_NOT_FOUND', `script not found: ${first} (to run a command, put it after --: loopwatch run -- ${first})`);
    }
    return [process.execPath, script, ...rest];
  }
  const command = findExecutable(first, cwd, env);
  if (!command) throw new LoopwatchError('COMMAND_NOT_FOUND', `command not found: ${first}`);
  return [command, ...rest];
}

/** Finds a command the way a shell does: a path as given, else the first executable file on PATH. */
function findExecutable(name: string, cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  if (name.includes('/')) {
    const path = isAbsolute(name) ? name : resolve(cwd, name);
    return isExecutableFile(path) ? path : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Adds the agent to NODE_OPTIONS, keeping whatever the user had there. */
export function withPreload(nodeOptions: string | undefined, preloadPath: string): string {
  const quoted = `"${preloadPath.replace(/(["\\])/g, '\\$1')}"`;
  const own = `--require ${quoted}`;
  return nodeOptions && nodeOptions.trim() !== '' ? `${nodeOptions} ${own}` : own;
}
