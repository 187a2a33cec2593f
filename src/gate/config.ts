/**
 * The budget a run is held to: its types, and loading it from loopwatch.config.json,
 * `--config FILE` or a "loopwatch" key in package.json. The file is validated by the
 * JSON Schema that ships in the package (schema/loopwatch.config.schema.json, which
 * editors also read through "$schema"), with ajv; globs are compiled with picomatch.
 * Every problem is a ConfigError naming the file, the key path and what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import type { Category } from '../attribution/categories';
import { LoopwatchError } from '../errors';
import { loadAjv, loadPicomatch } from './lazy';

export type Forbid = 'forbid';

export interface SyncIoBudget {
  maxCalls?: number;
  maxTotalMs?: number;
  maxCallMs?: number;
}

export interface CategoryBudget {
  maxStallMs?: number;
  maxTotalBlockedMs?: number;
}

export interface StartupBudget {
  maxStallMs?: number;
  maxTotalBlockedMs?: number;
}

/** The rules that can be set for the whole run and overridden for some processes. */
export interface Rules {
  maxStallMs?: number;
  maxTotalBlockedMs?: number;
  maxP99DelayMs?: number;
  syncIo?: Forbid | SyncIoBudget;
  threadpool?: { maxQueueWaitMs?: number };
  startup?: 'ignore' | StartupBudget;
  categories?: Partial<Record<Category, Forbid | CategoryBudget>>;
}

export interface AllowEntry {
  path?: string;
  function?: string;
  operation?: string;
  category?: Category;
  reason: string;
}

/** A `processes` entry's role: one the report marks processes with, or `tooling` for both tools' roles. */
export type ScopeRole = 'tooling' | 'package-manager' | 'test-runner' | 'test-worker';

export interface ProcessScope extends Rules {
  /** At least one of argv and role is given; with both, both must match. */
  argv?: string;
  role?: ScopeRole;
  ignore?: boolean;
}

export interface GateConfig extends Rules {
  threshold?: number;
  allow?: AllowEntry[];
  processes?: ProcessScope[];
  baseline?: { file: string; tolerancePercent?: number };
}

/** A configuration as loaded: where it came from, and the directory its relative paths start at. */
export interface LoadedConfig {
  config: GateConfig;
  /** `loopwatch.config.json`, `package.json#loopwatch`, or the path given to --config; null for flags alone. */
  source: string | null;
  dir: string;
}

export const CONFIG_FILE = 'loopwatch.config.json';
const SCHEMA_FILE = join(__dirname, '..', '..', 'schema', 'loopwatch.config.schema.json');

/**
 * The reason that loopwatch's suggested allow entries carry until a person writes theirs.
 * A configuration that still has it is refused: an allow entry says why.
 */
export const REASON_PLACEHOLDER = 'TODO: say why this call may block';

export class ConfigError extends LoopwatchError {
  constructor(message: string) {
    super('CONFIG', message);
  }
}

/**
 * Finds and loads the configuration: `--config FILE` when given, else loopwatch.config.json
 * in `cwd`, else the "loopwatch" key of cwd's package.json. Undefined when there is none.
 */
export function loadConfig(cwd: string, explicit?: string): LoadedConfig | undefined {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new ConfigError(`--config ${explicit}: no such file`);
    return parseConfigFile(file, explicit);
  }
  const file = join(cwd, CONFIG_FILE);
  if (existsSync(file)) return parseConfigFile(file, CONFIG_FILE);
  const pkg = join(cwd, 'package.json');
  if (existsSync(pkg)) {
    const json = readJson(pkg, 'package.json') as Record<string, unknown> | null;
    if (json && typeof json === 'object' && 'loopwatch' in json) {
      return { config: validateConfig(json.loopwatch, 'package.json#loopwatch'), source: 'package.json#loopwatch', dir: cwd };
    }
  }
  return undefined;
}

function parseConfigFile(file: string, shown: string): LoadedConfig {
  return { config: validateConfig(readJson(file, shown), shown), source: shown, dir: dirname(file) };
}

function readJson(file: string, shown: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${shown}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${shown}: not valid JSON (${(err as Error).message})`);
  }
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let validator: Validate | undefined;

function schemaValidator(): Validate {
  if (!validator) {
    // Loaded on first use: only runs with a budget pay for ajv.
    const Ajv = loadAjv();
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  }
  return validator;
}

/** The configuration's JSON Schema, as shipped. */
export function configSchemaPath(): string {
  return SCHEMA_FILE;
}

/**
 * Checks a parsed configuration against the schema, then what a schema cannot say
 * (globs that do not compile, an allow entry whose reason is still the placeholder).
 * `shown` names where it came from in messages.
 */
export function validateConfig(value: unknown, shown: string): GateConfig {
  const validate = schemaValidator();
  if (!validate(value)) {
    const problems = describeErrors(validate.errors ?? []);
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).join('; ')})` : '';
    throw new ConfigError(`${shown}: ${problems[0]}${more}`);
  }
  const config = value as GateConfig;
  config.allow?.forEach((entry, i) => {
    for (const key of ['path', 'function', 'operation'] as const) checkGlob(entry[key], `${shown}: allow[${i}].${key}`);
    if (entry.reason.trim() === '' || entry.reason.trim() === REASON_PLACEHOLDER) {
      throw new ConfigError(`${shown}: allow[${i}].reason: say why this call may block (it is shown in every verdict that uses the entry)`);
    }
  });
  config.processes?.forEach((scope, i) => {
    if (scope.argv !== undefined) checkGlob(scope.argv, `${shown}: processes[${i}].argv`);
  });
  return config;
}

function checkGlob(glob: string | undefined, where: string): void {
  if (glob === undefined) return;
  try {
    compileGlob(glob);
  } catch (err) {
    throw new ConfigError(`${where}: '${glob}' is not a valid glob (${(err as Error).message})`);
  }
}

export type Matcher = (text: string) => boolean;

/**
 * A glob as loopwatch matches it: picomatch, dot files included, and a glob without a
 * slash matching the last path segment anywhere (`*.test.js`, `vitest.mjs`).
 */
export function compileGlob(glob: string): Matcher {
  const picomatch = loadPicomatch();
  const matches = picomatch(glob, { dot: true, strictBrackets: true });
  if (glob.includes('/')) return matches;
  // (picomatch's own `basename` option also changes how globs with slashes match.)
  return (text) => matches(text.slice(text.lastIndexOf('/') + 1));
}

/**
 * ajv's errors as people read them: the key path, then what was expected. The schema's
 * `oneOf` alternatives ("forbid" or a budget) give one error per alternative; the most
 * specific one is kept.
 */
function describeErrors(errors: ErrorObject[]): string[] {
  const seen = new Set<string>();
  const messages: string[] = [];
  const useful = errors.filter((e) => {
    // "must match a schema in anyOf/oneOf" says less than the errors inside the alternatives...
    if (e.keyword === 'oneOf') return false;
    // ...except for an allow entry's "one of path, function, operation, category".
    if (e.keyword === 'anyOf') return true;
    if (e.keyword === 'required' && e.schemaPath.includes('/anyOf/')) return false;
    // The "forbid" alternative of a value that is an object: the object's own errors tell.
    if (e.keyword === 'const' && typeof e.data === 'object' && e.data !== null) return false;
    return true;
  });
  for (const error of useful.length > 0 ? useful : errors) {
    const message = describeError(error, errors);
    if (message && !seen.has(message)) {
      seen.add(message);
      messages.push(message);
    }
  }
  return messages.length > 0 ? messages : ['does not match the configuration schema'];
}

function describeError(error: ErrorObject, all: ErrorObject[]): string | undefined {
  const path = keyPath(error.instancePath);
  const at = path === '' ? '' : `${path}: `;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const full = path === '' ? key : `${path}.${key}`;
      return `unknown key '${full}'${suggestKey(error, key)}`;
    }
    case 'propertyNames':
      return undefined; // reported by its enum error, which names the key
    case 'enum': {
      if (error.propertyName !== undefined) {
        return `${path}: unknown category '${error.propertyName}' (expected one of ${(params.allowedValues as string[]).join(', ')})`;
      }
      return `${at}expected one of ${(params.allowedValues as string[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    case 'const': {
      // A "forbid"-or-budget alternative that is neither: say both, once, from the object branch's error.
      const objectBranch = all.some((e) => e.instancePath === error.instancePath && e.keyword === 'type' && e !== error);
      if (objectBranch) return undefined;
      return `${at}expected ${JSON.stringify(params.allowedValue)}`;
    }
    case 'type': {
      const alternative = all.find((e) => e.instancePath === error.instancePath && e.keyword === 'const');
      const expected = alternative ? `${JSON.stringify((alternative.params as { allowedValue: unknown }).allowedValue)} or an object` : article(String(params.type));
      return `${at}expected ${expected}, got ${describeValue(error.data)}`;
    }
    case 'required': {
      const key = String(params.missingProperty);
      return `${path === '' ? '' : `${path}: `}missing '${key}'${key === 'reason' ? ' (say why this call may block)' : ''}`;
    }
    case 'anyOf':
      if (/^\/allow\/\d+$/.test(error.instancePath)) return `${at}give at least one of path, function, operation, category to match call sites by`;
      if (/^\/processes\/\d+$/.test(error.instancePath)) return `${at}give argv or role (or both) to match processes by`;
      return `${at}${error.message ?? 'is not valid'}`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `${at}expected a number ${error.keyword === 'minimum' ? '>=' : '>'} ${String(params.limit)}, got ${describeValue(error.data)}`;
    case 'minLength':
      return `${at}must not be empty`;
    case 'minProperties':
      return `${at}give at least one rule`;
    case 'oneOf':
      return `${at}does not match any of the allowed forms`;
    default:
      return `${at}${error.message ?? 'is not valid'}`;
  }
}

/** `/allow/0/reason` -> `allow[0].reason`. */
function keyPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '');
}

const KNOWN_KEYS = [
  'threshold', 'maxStallMs', 'maxTotalBlockedMs', 'maxP99DelayMs', 'syncIo', 'threadpool', 'startup', 'categories', 'allow',
  'processes', 'baseline', 'maxCalls', 'maxTotalMs', 'maxCallMs', 'maxQueueWaitMs', 'path', 'function', 'operation',
  'category', 'reason', 'argv', 'role', 'ignore', 'file', 'tolerancePercent',
];

/** "did you mean 'maxStallMs'?" for a key one or two edits away from a known one. */
function suggestKey(error: ErrorObject, key: string): string {
  const allowed = Object.keys((error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
  const candidates = allowed.length > 0 ? allowed : KNOWN_KEYS;
  const best = candidates
    .map((candidate) => ({ candidate, distance: editDistance(key.toLowerCase(), candidate.toLowerCase()) }))
    .sort((a, b) => a.distance - b.distance)[0];
  if (best && best.distance <= 2) return ` (did you mean '${best.candidate}'?)`;
  return allowed.length > 0 ? ` (expected one of ${allowed.filter((k) => k !== '$schema').join(', ')})` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function article(type: string): string {
  return type === 'object' || type === 'array' || type === 'integer' ? `an ${type}` : `a ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return String(value);
  return `${typeof value} ${String(value)}`;
}
