/**
 * Whether the watchdog may connect an inspector session to this process's main thread.
 *
 * Node.js creates no inspector for the main thread of a `node --test` runner process
 * (when it runs each test file in a process of its own, the default) nor for the
 * parent process of `node --watch`; a worker's connectToMainThread() there does not
 * fail, it aborts the whole process (a CHECK in inspector_agent.cc). These mirror
 * Node's own conditions (Environment::should_create_inspector): neither `--test` nor
 * `--test-isolation` may come from NODE_OPTIONS, `--watch` may.
 *
 * Returns why no session can be had, or null when one can.
 */
export function whyNoInspector(execArgv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  const flags = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/).filter((f) => f !== '')];
  if (!process.features.inspector) return 'this Node.js was built without the inspector';
  const testRunner = execArgv.includes('--test');
  const isolationNone = execArgv.some((f) => /^--(experimental-)?test-isolation=none$/.test(f));
  if (testRunner && !isolationNone) return 'Node.js creates no inspector in a `node --test` runner process';
  // The program `node --watch` runs is a process of its own, told apart by this variable.
  const watcher = env.WATCH_REPORT_DEPENDENCIES === undefined && flags.some((f) => f === '--watch' || f.startsWith('--watch-path'));
  if (watcher) return 'Node.js creates no inspector in the process that `node --watch` restarts the program from';
  return null;
}

let inspector: typeof import('node:inspector') | null | undefined;

/**
 * Whether this thread's inspector listens on a port (`--inspect`, `--inspect-brk`,
 * `inspector.open()`, SIGUSR1), so that a debugger can attach to it: then the watchdog
 * takes no stack samples, which a debugger would see as scripts. `inspector.url()` is a
 * call into Node.js that reads a string: about a microsecond, cheap enough for every beat.
 */
export function inspectorListening(): boolean {
  if (inspector === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      inspector = require('node:inspector') as typeof import('node:inspector');
    } catch {
      inspector = null;
    }
  }
  try {
    return inspector ? inspector.url() !== undefined : false;
  } catch {
    return false;
  }
}
