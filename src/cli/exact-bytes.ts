/**
 * Arguments and environment variables that are not UTF-8, passed on byte for byte.
 *
 * Node decodes its arguments and environment as UTF-8 (a byte that is not becomes
 * U+FFFD), and child_process.spawn encodes strings as UTF-8 again: `ff fe` would reach
 * every process of the command as `ef bf bd ef bf bd`. Node cannot spawn with bytes, so
 * when loopwatch's own arguments or environment, as the kernel holds them
 * (/proc/self/cmdline, /proc/self/environ), are not all UTF-8, the command starts
 * through a tiny exec step made of what every Debian system has (dash, coreutils):
 *
 *   /bin/sh -c 'v2=$(printf "\377\376x") && v2=${v2%x} && exec /usr/bin/env -i "$1" "$v2" ... "$5" "$6"' sh ITEM...
 *
 * Every item that is UTF-8 is passed as an argument of the shell, unchanged; each one
 * that is not is written into the script with printf's octal escapes (the `x` keeps a
 * trailing newline from being stripped). `env -i NAME=VALUE... COMMAND ARGS...` then
 * replaces the shell with the command, with exactly that environment (the shell adds
 * PWD and drops variables whose names are not identifiers; env -i leaves neither). The
 * shell and env exec in place: the command has the pid loopwatch spawned, its own exit
 * status and its signals, as with a direct spawn. When everything is UTF-8 (nearly
 * always), the command is spawned directly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';

/** What the exec step needs, found once. */
const SH = '/bin/sh';
const ENV_BINARIES = ['/usr/bin/env', '/bin/env'];

/** One argument's or environment entry's bytes, or its text when it is UTF-8. */
export type Item = string | Buffer;

export interface OwnBytes {
  /** loopwatch's own argv, as the kernel holds it. */
  argv: Buffer[];
  /** loopwatch's environment when it started (NAME=VALUE). */
  environ: Buffer[];
}

/** Reads /proc/self/cmdline and /proc/self/environ; undefined where there is no /proc. */
export function readOwnBytes(): OwnBytes | undefined {
  try {
    return { argv: splitNul(readFileSync('/proc/self/cmdline')), environ: splitNul(readFileSync('/proc/self/environ')) };
  } catch {
    return undefined;
  }
}

function splitNul(bytes: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let at = bytes.indexOf(0); at >= 0; at = bytes.indexOf(0, start)) {
    parts.push(bytes.subarray(start, at));
    start = at + 1;
  }
  if (start < bytes.length) parts.push(bytes.subarray(start));
  return parts;
}

/**
 * The bytes of `run`'s operands (the script or command and its arguments): the last of
 * loopwatch's own arguments, when they decode to the operands commander saw (else the
 * arguments were not the process's own, as in a test calling main(); undefined).
 */
export function operandBytes(operands: string[], own: OwnBytes): Buffer[] | undefined {
  if (operands.length > own.argv.length) return undefined;
  const bytes = own.argv.slice(own.argv.length - operands.length);
  return bytes.every((b, i) => b.toString('utf8') === operands[i]) ? bytes : undefined;
}

/** The entries of loopwatch's environment that are not UTF-8, by their name as Node decoded it. */
export function environBytes(own: OwnBytes): Map<string, Buffer> {
  const byName = new Map<string, Buffer>();
  for (const entry of own.environ) {
    if (isUtf8(entry)) continue;
    const equals = entry.indexOf(0x3d);
    if (equals <= 0) continue;
    byName.set(entry.subarray(0, equals).toString('utf8'), entry);
  }
  return byName;
}

export function isText(item: Item): item is string {
  return typeof item === 'string';
}

/**
 * The environment a command gets, as items: each NAME=VALUE of `env`, except that a
 * variable loopwatch passes on unchanged and that was not UTF-8 keeps its bytes.
 */
export function environmentItems(env: NodeJS.ProcessEnv, raw: Map<string, Buffer>): Item[] {
  const items: Item[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const entry = raw.get(name);
    items.push(entry && entry.subarray(entry.indexOf(0x3d) + 1).toString('utf8') === value ? entry : `${name}=${value}`);
  }
  return items;
}

/** An argument of sh holds at most 128 KiB (Linux's MAX_ARG_STRLEN); the script stays well under. */
const MAX_SCRIPT_CHARS = 100_000;

/**
 * `/bin/sh` and its arguments that start `command` with `environment`, byte for byte
 * (spawn it with an empty environment: everything is in its arguments). Undefined when
 * the exec step cannot do it: no /bin/sh or env, a command whose name holds `=` (env
 * would take it for a variable), or a script too long for one argument.
 */
export function execStep(command: Item[], environment: Item[]): { file: string; args: string[] } | undefined {
  const env = ENV_BINARIES.find((file) => existsSync(file));
  const [name] = command;
  if (!env || !existsSync(SH) || name === undefined || (isText(name) ? name.includes('=') : name.includes(0x3d))) return undefined;
  const items = [...environment, ...command];
  const made: string[] = [];
  const refs: string[] = [];
  const positional: string[] = [];
  items.forEach((item, i) => {
    const n = i + 1;
    if (isText(item) || isUtf8(item)) {
      positional.push(isText(item) ? item : item.toString('utf8'));
      refs.push(`"\${${n}}"`);
    } else {
      positional.push('');
      made.push(`v${n}=$(printf '${octal(item)}x') && v${n}=\${v${n}%x}`);
      refs.push(`"$v${n}"`);
    }
  });
  const script = [...made, `exec ${env} -i ${refs.join(' ')}`].join(' && ');
  if (script.length > MAX_SCRIPT_CHARS) return undefined;
  return { file: SH, args: ['-c', script, 'loopwatch', ...positional] };
}

/** A printf format that prints these bytes: letters, digits and a few safe signs as they are, the rest as octal escapes. */
function octal(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    const safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2f || byte === 0x2e || byte === 0x5f || byte === 0x2d || byte === 0x3d;
    out += safe ? String.fromCharCode(byte) : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}
