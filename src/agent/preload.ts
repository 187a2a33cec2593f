/**
 * Entry point loaded with `--require` (through NODE_OPTIONS) into every Node.js process
 * of the command `loopwatch run` runs, and into their worker threads (NODE_OPTIONS
 * applies to them): the agent writes a recording, which the CLI attributes after the
 * run. It must never throw into the program.
 */
import * as workerThreads from 'node:worker_threads';
import { readCliConfig } from './config';
import { debug } from './debug';

function preload(): void {
  // loopwatch's own setup, in the startup section, counts from here: its modules' loading too.
  const setupStartedMs = performance.now();
  const config = readCliConfig(process.env);
  if (!config) return;
  if (!workerThreads.isMainThread && isNodesOwnThread()) return;
  // Loaded only once we know the agent runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startAgent } = require('./agent') as typeof import('./agent');
  // A worker thread's agent joins the process's watchdog, which the main thread's started.
  const thread = workerThreads.isMainThread ? undefined : { threadId: workerThreads.threadId, name: threadName() };
  const options = { settings: config.settings, recordingDir: config.recordingDir, live: false, beforeProgram: true, setupStartedMs, ...(thread ? { thread } : {}) };
  if (!startAgent(options)) debug('agent already running in this thread');
}

/**
 * Node's own loader-hooks thread (module.register, `--import tsx`) runs the preload too,
 * but runs the loader, not the program: Node 22 and later say so (isInternalThread); on
 * Node 20, its stack does.
 */
function isNodesOwnThread(): boolean {
  if ((workerThreads as { isInternalThread?: boolean }).isInternalThread === true) return true;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  try {
    return new Error().stack?.includes('node:internal/modules/esm/worker') === true;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The name a worker thread was given, where Node tells it (22 and later). */
function threadName(): string | null {
  const name = (workerThreads as { threadName?: unknown }).threadName;
  return typeof name === 'string' && name !== 'WorkerThread' ? name : null;
}

try {
  preload();
} catch (err) {
  debug('agent not started: %s', err);
}
