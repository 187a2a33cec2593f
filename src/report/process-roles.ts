/**
 * What each process of a run is for, where its arguments and its place in the process
 * tree can tell: a whole test suite under `loopwatch run -- npm test` is a package
 * manager, a shell, a test runner's main process and its workers, and only the workers
 * run the program's tests. The report lists the tooling's startup apart, and the gate's
 * `processes` entries can select processes by role.
 */

/**
 * - `package-manager`: npm, npx, pnpm, yarn (or corepack) running a script or a bin;
 * - `test-runner`: a test runner's main process, which starts the workers (`node --test`,
 *   vitest, jest, mocha, ava);
 * - `test-worker`: a process that a test runner's main process started, or one of the
 *   known worker entry files (vitest's forks, jest-worker's children).
 */
export type ProcessRole = 'package-manager' | 'test-runner' | 'test-worker';

/** The roles whose processes are tools around the program, not the program: their startup is the tool's. */
export const TOOLING_ROLES: readonly ProcessRole[] = ['package-manager', 'test-runner'];

export interface ProcessIdentity {
  pid: number;
  ppid: number;
  argv: string[];
  execArgv: string[];
}

/** A package manager's entry script: `/usr/bin/npm` (a link), `.../npm/bin/npm-cli.js`, `.../pnpm/bin/pnpm.cjs`, corepack's. */
const PACKAGE_MANAGER = [
  /(^|\/)(npm|npx|pnpm|pnpx|yarn|yarnpkg|corepack)$/,
  /\/npm\/bin\/(npm|npx)-cli\.js$/,
  /\/(pnpm|yarn|corepack)\/(bin|dist)\/[^/]+\.c?js$/,
];

/** A test runner's own command: its `.bin` link or the file that link points at. */
const TEST_RUNNER = [
  /\/\.bin\/(vitest|jest|mocha|_mocha|ava)$/,
  /\/node_modules\/vitest\/vitest\.mjs$/,
  /\/node_modules\/(jest|jest-cli)\/bin\/jest\.js$/,
  /\/node_modules\/mocha\/bin\/(mocha|_mocha)(\.js)?$/,
  /\/node_modules\/ava\/entrypoints\/cli\.mjs$/,
];

/** Entry files of test runners' worker processes. */
const TEST_WORKER = [/\/node_modules\/vitest\/dist\/workers\/[^/]+\.js$/, /\/node_modules\/jest-worker\/build\/(workers\/)?processChild\.js$/];

/** `node --test` runs the test files in child processes, unless told to run them in its own (isolation none). */
function isNodeTestRunner(execArgv: string[]): boolean {
  return execArgv.includes('--test') && !execArgv.some((f) => /^--(experimental-)?test-isolation=none$/.test(f));
}

/** The role of each process (by pid) that has one it can be known by. */
export function processRoles(processes: ProcessIdentity[]): Map<number, ProcessRole> {
  const roles = new Map<number, ProcessRole>();
  for (const p of processes) {
    const script = (p.argv[1] ?? '').replace(/\\/g, '/');
    if (isNodeTestRunner(p.execArgv) || TEST_RUNNER.some((r) => r.test(script))) roles.set(p.pid, 'test-runner');
    else if (TEST_WORKER.some((r) => r.test(script))) roles.set(p.pid, 'test-worker');
    else if (PACKAGE_MANAGER.some((r) => r.test(script))) roles.set(p.pid, 'package-manager');
  }
  // Whatever a test runner's main process starts runs tests (a file each for `node --test`).
  for (const p of processes) {
    if (!roles.has(p.pid) && roles.get(p.ppid) === 'test-runner') roles.set(p.pid, 'test-worker');
  }
  return roles;
}

export function isTooling(role: ProcessRole | null | undefined): boolean {
  return role !== null && role !== undefined && TOOLING_ROLES.includes(role);
}
