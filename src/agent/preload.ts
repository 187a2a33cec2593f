/**
 * Entry point loaded with `--require` (through NODE_OPTIONS) into every Node.js
 * process of the command loopwatch runs. It must never throw into the program.
 */
import { isMainThread } from 'node:worker_threads';
import { readAgentConfig } from './config';
import { debug } from './debug';

const STARTED = Symbol.for('loopwatch.agent.started');

function preload(): void {
  // The preload also runs in every worker thread (NODE_OPTIONS applies to them):
  // the agent belongs to the main thread, and starts once per process.
  if (!isMainThread) return;
  const global = globalThis as Record<symbol, unknown>;
  if (global[STARTED]) return;
  const config = readAgentConfig(process.env);
  if (!config) return;
  global[STARTED] = true;
  // Loaded only once we know the agent runs, so that a worker pays for nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startAgent } = require('./agent') as typeof import('./agent');
  startAgent(config);
}

try {
  preload();
} catch (err) {
  debug('agent not started: %s', err);
}
