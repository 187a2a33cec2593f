/**
 * loopwatch in production, without the CLI:
 *
 *   node --require loopwatch/register app.js
 *   node --import loopwatch/register app.mjs
 *
 * configured by LOOPWATCH_* variables (agent/config.ts; the README has the table). Each
 * stall goes to the OpenTelemetry providers the program registers, as a span under the
 * request it blocked, and as metrics. It must never throw into the program.
 */
import { isMainThread } from 'node:worker_threads';
import { readProductionConfig } from './config';
import { debug } from './debug';

function register(): void {
  // The main thread's event loop is what is watched; a worker thread that loads this
  // (NODE_OPTIONS applies to workers) starts nothing.
  if (!isMainThread) return;
  const config = readProductionConfig(process.env);
  if (!config) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startMonitor } = require('../monitor') as typeof import('../monitor');
  const started = startMonitor({
    settings: config.settings,
    recordingDir: config.recordingDir,
    otel: config.otel !== 'off',
    maxSpansPerMinute: config.maxSpansPerMinute,
    beforeProgram: true,
  });
  if (!started) debug('loopwatch already watches this process: loopwatch/register starts nothing more');
}

try {
  register();
} catch (err) {
  debug('loopwatch/register did not start: %s', err);
}
