/**
 * loopwatch's programmatic API: watch the event loop of this process in production.
 * The CLI (`loopwatch run`) is bin/loopwatch.js; this is what `import 'loopwatch'` gives.
 */
export { monitor } from './monitor';
export type { Category, Frame, Monitor, MonitorOptions, MonitorStats, Stall, StallCause } from './monitor';
export { LoopwatchError } from './errors';
export type { ErrorCode } from './errors';
