import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Report } from '../../src/report/schema';

export const ROOT = resolve(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'loopwatch.js');
export const FIXTURES = join(ROOT, 'fixtures');

export interface Truth {
  pid: number;
  label: string;
  ms: number;
  traceId?: string;
  spanId?: string;
}

export interface CliRun {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  report: Report | undefined;
  truth: Truth[];
}

/** Runs the real CLI, as a user would, with a JSON report and the fixtures' truth file in a fresh directory. */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    json?: boolean;
    timeoutMs?: number;
    /** Runs the CLI through this, as `wrap([node, loopwatch, ...args])` (a network namespace, say). */
    wrap?: (command: string[]) => string[];
  } = {},
): CliRun {
  const dir = mkdtempSync(join(tmpdir(), 'loopwatch-test-'));
  const jsonFile = join(dir, 'report.json');
  const truthFile = join(dir, 'truth.jsonl');
  const withJson = options.json !== false && args[0] === 'run';
  const argv = withJson ? ['run', '--json', jsonFile, ...args.slice(1)] : args;
  const [file, ...rest] = (options.wrap ?? ((command: string[]) => command))([process.execPath, BIN, ...argv]);
  const result = spawnSync(file!, rest, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
    env: { ...process.env, NO_COLOR: '1', LOOPWATCH_FIXTURE_TRUTH: truthFile, ...options.env },
  });
  if (result.error) throw result.error;
  return {
    status: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
    report: existsSync(jsonFile) ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as Report) : undefined,
    truth: existsSync(truthFile)
      ? readFileSync(truthFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Truth)
      : [],
  };
}

export interface Marker {
  file: string;
  line: number;
  category: string;
  operation: string;
  label: string;
}

/** The `// stall: <category> <operation> #<label>` comments of a fixture file. */
export function readMarkers(file: string): Marker[] {
  const markers: Marker[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      const match = /\/\/ stall: (\S+) (\S+) #(\S+)/.exec(text);
      if (match) markers.push({ file, line: index + 1, category: match[1]!, operation: match[2]!, label: match[3]! });
    });
  return markers;
}

/** loopwatch's duration agrees with the fixture's own measurement: within max(5 ms, 5 %). */
export function toleranceMs(truthMs: number): number {
  return Math.max(5, truthMs * 0.05);
}
