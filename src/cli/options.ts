import type { Command } from 'commander';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
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

/**
 * Options whose value is optional (`--html` alone for the default file, `--html=FILE`
 * to name one) must never take the next argument: commander would give `--html` the
 * next argument when it does not look like an option, and `loopwatch run --html app.js`
 * would write its report over app.js and run nothing. Before commander parses, each
 * such flag written alone among a subcommand's own options becomes `--html=` (an empty
 * value: the default). A subcommand's own options end at `--`, and for those listed in
 * `optionsEndAtOperand` (run, whose operands are the command and its arguments) at the
 * first operand.
 */
export function spellOutBareFlags(argv: string[], program: Command, flags: string[], optionsEndAtOperand: string[]): string[] {
  const result = [...argv];
  // argv is [node, loopwatch, ...]: the first word that names a subcommand is the subcommand.
  const at = result.findIndex((arg, i) => i >= 2 && program.commands.some((c) => c.name() === arg));
  if (at < 0) return result;
  const command = program.commands.find((c) => c.name() === result[at])!;
  const takesValue = new Set(command.options.filter((o) => o.required).flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)));
  for (let i = at + 1; i < result.length; i++) {
    const arg = result[i]!;
    if (arg === '--') break;
    if (flags.includes(arg)) result[i] = `${arg}=`;
    else if (takesValue.has(arg) || takesNextAsValue(arg, takesValue)) i += 1;
    else if (!arg.startsWith('-') && optionsEndAtOperand.includes(command.name())) break;
  }
  return result;
}

/** `-qt` (grouped short flags) takes the next argument when its first flag with a value is its last. */
function takesNextAsValue(arg: string, takesValue: Set<string>): boolean {
  if (!/^-[^-]{2,}$/.test(arg)) return false;
  const first = [...arg.slice(1)].findIndex((letter) => takesValue.has(`-${letter}`));
  return first === arg.length - 2;
}


/**
 * What to start. `loopwatch run app.js args` runs a script with this Node.js;
 * `loopwatch run -- cmd args` runs any command (its Node.js processes get the agent
 * through NODE_OPTIONS). `firstBytes`: the script's or command's name as bytes, when
 * it is not UTF-8 (then it is looked for by its bytes; the command keeps its name as
 * Node decoded it, for the report, and exact-bytes.ts passes the bytes on).
 */
export function resolveTarget(operands: string[], isCommand: boolean, cwd: string, env: NodeJS.ProcessEnv, firstBytes?: Buffer): string[] {
  const [first, ...rest] = operands;
  if (first === undefined) throw new LoopwatchError('USAGE', 'nothing to run: give a script (loopwatch run app.js) or a command after -- (loopwatch run -- npm test)');
  if (!isCommand) {
    const script = resolve(cwd, first);
    if (!isFile(firstBytes ? bytesPath(cwd, firstBytes) : script)) {
      throw new LoopwatchError('SCRIPT_NOT_FOUND', `script not found: ${first} (to run a command, put it after --: loopwatch run -- ${first})`);
    }
    return [process.execPath, script, ...rest];
  }
  const found = firstBytes ? findExecutableBytes(firstBytes, cwd, env) : findExecutable(first, cwd, env);
  if (found.executable !== undefined) return [firstBytes ? found.executable.toString() : String(found.executable), ...rest];
  if (found.notExecutable !== undefined) {
    const path = String(found.notExecutable);
    throw new LoopwatchError(
      'COMMAND_NOT_EXECUTABLE',
      found.isDirectory ? `${path} is a directory, not a command` : `${path} is not executable (no execute permission): chmod +x it, or name its interpreter first (loopwatch run -- sh ${first})`,
    );
  }
  throw new LoopwatchError('COMMAND_NOT_FOUND', `command not found: ${first}`);
}

/** What a shell finds for a command name: the executable file, else the first file of that name it could not run. */
interface Found<P> {
  executable?: P;
  notExecutable?: P;
  isDirectory?: boolean;
}

/** Finds a command the way a shell does: a path as given, else the first executable file on PATH. */
function findExecutable(name: string, cwd: string, env: NodeJS.ProcessEnv): Found<string> {
  if (name.includes('/')) return firstExecutable([isAbsolute(name) ? name : resolve(cwd, name)], true);
  return firstExecutable(searchPath(env).map((dir) => join(dir, name)), false);
}

/** findExecutable, for a name that is not UTF-8. */
function findExecutableBytes(name: Buffer, cwd: string, env: NodeJS.ProcessEnv): Found<Buffer> {
  if (name.includes(0x2f)) return firstExecutable([bytesPath(cwd, name)], true);
  return firstExecutable(searchPath(env).map((dir) => Buffer.concat([Buffer.from(join(resolve(cwd, dir), '/')), name])), false);
}

function searchPath(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? '').split(delimiter).filter(Boolean);
}

/** The first executable file; else the first that is not one (a shell's search of PATH passes over directories). */
function firstExecutable<P extends string | Buffer>(candidates: P[], given: boolean): Found<P> {
  const found: Found<P> = {};
  for (const candidate of candidates) {
    const kind = fileKind(candidate);
    if (kind === 'executable') return { executable: candidate };
    if (kind === 'directory' && !given) continue;
    if (kind !== 'missing' && found.notExecutable === undefined) {
      found.notExecutable = candidate;
      found.isDirectory = kind === 'directory';
    }
  }
  return found;
}

/** An absolute path, as bytes, from a path given as bytes. */
function bytesPath(cwd: string, path: Buffer): Buffer {
  return path[0] === 0x2f ? path : Buffer.concat([Buffer.from(cwd + '/'), path]);
}

function isFile(path: string | Buffer): boolean {
  const kind = fileKind(path);
  return kind === 'executable' || kind === 'file';
}

function fileKind(path: string | Buffer): 'executable' | 'file' | 'directory' | 'missing' {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    return 'missing';
  }
  if (isDir) return 'directory';
  try {
    accessSync(path, constants.X_OK);
    return 'executable';
  } catch {
    return 'file';
  }
}

/** Adds the agent to NODE_OPTIONS, keeping whatever the user had there. */
export function withPreload(nodeOptions: string | undefined, preloadPath: string): string {
  const quoted = `"${preloadPath.replace(/(["\\])/g, '\\$1')}"`;
  const own = `--require ${quoted}`;
  return nodeOptions && nodeOptions.trim() !== '' ? `${nodeOptions} ${own}` : own;
}
