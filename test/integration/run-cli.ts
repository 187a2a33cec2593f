import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Report } from '../../src/report/schema';

export const ROOT = resolve(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'loopwatch.js');
export const FIXTURES = join(ROOT, 'fixtures');

export interface Truth {
  pid: number;
  /** The worker thread the fixture's line ran in; 0 on the main thread. */
  threadId: number;
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

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  json?: boolean;
  timeoutMs?: number;
  /** Runs the CLI through this, as `wrap([node, loopwatch, ...args])` (a network namespace, say). */
  wrap?: (command: string[]) => string[];
  /** The working directory (default: the repository's root). */
  cwd?: string;
}

/** Where a CLI run of the tests writes (a fresh directory), and its command line and environment. */
function cliInvocation(args: string[], options: CliOptions) {
  const dir = mkdtempSync(join(tmpdir(), 'loopwatch-test-'));
  const jsonFile = join(dir, 'report.json');
  const truthFile = join(dir, 'truth.jsonl');
  const withJson = options.json !== false && args[0] === 'run';
  const argv = withJson ? ['run', '--json', jsonFile, ...args.slice(1)] : args;
  const [file, ...rest] = (options.wrap ?? ((command: string[]) => command))([process.execPath, BIN, ...argv]);
  // The tests may themselves run on GitHub Actions: the CLI must not see it unless a test says so.
  const env = { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', LOOPWATCH_FIXTURE_TRUTH: truthFile, ...options.env };
  return { dir, jsonFile, truthFile, file: file!, rest, cwd: options.cwd ?? ROOT, env };
}

/**
 * runCli without blocking the test's own event loop: for tests that serve the program
 * something from the test process (an OTLP receiver).
 */
export async function runCliAsync(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const { dir, jsonFile, truthFile, file, rest, cwd, env } = cliInvocation(args, options);
  try {
    const result = await new Promise<SpawnSyncReturns<string>>((resolve, reject) => {
      const child = spawn(file, rest, {
        cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
      child.on('error', reject);
      child.on('close', (status, signal) => {
        clearTimeout(timer);
        resolve({ pid: child.pid ?? 0, output: [null, stdout, stderr], stdout, stderr, status, signal });
      });
    });
    return read(result, jsonFile, truthFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the real CLI, as a user would, with a JSON report and the fixtures' truth file in a fresh directory. */
export function runCli(args: string[], options: CliOptions = {}): CliRun {
  const { dir, jsonFile, truthFile, file, rest, cwd, env } = cliInvocation(args, options);
  const result = spawnSync(file, rest, {
    cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
    env,
  });
  try {
    if (result.error) throw result.error;
    return read(result, jsonFile, truthFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function read(result: SpawnSyncReturns<string>, jsonFile: string, truthFile: string): CliRun {
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

/**
 * For a cause known by its samples alone (not a probed call): its end is known to one
 * sampling interval, which grows to a tenth of the stall's age, and the callback's work
 * before the watchdog's first sample (half the threshold: 25 ms by default) goes to what
 * that sample shows (README, "How a stall is attributed"): within 10 % and 25 ms.
 */
export function sampledToleranceMs(truthMs: number): number {
  return truthMs * 0.1 + 25;
}
