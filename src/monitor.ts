/**
 * loopwatch in production, inside the program: `import { monitor } from 'loopwatch'`, or
 * `node --require loopwatch/register` / `--import loopwatch/register` with LOOPWATCH_*
 * variables. The agent is the one `loopwatch run` uses; here its watchdog attributes each
 * stall as it ends, and the stall goes to onStall listeners and, when the program has
 * registered OpenTelemetry providers, to them as a span and as metrics. No recording is
 * written unless asked.
 */
import { startAgent, type AgentHandle, type AgentStats } from './agent/agent';
import { DEFAULT_MAX_SPANS_PER_MINUTE, DEFAULT_SYNC_IO_THRESHOLD_MS, readSettings } from './agent/config';
import { LoopwatchError } from './errors';
import type { OpenTelemetryLink } from './otel/in-process';
import type { Category, Stall } from './report/schema';
import { toStall } from './report/to-stall';

export type { Stall, StallCause, Frame, Category } from './report/schema';

export interface MonitorOptions {
  /** A stall is a stretch in which the event loop was blocked longer than this (ms); default 50. */
  thresholdMs?: number;
  /** Sync API calls at least this long (ms) are recorded with their call site; `false` turns the sync probes off. Default 1. */
  syncIoThresholdMs?: number | false;
  /** Also write a recording into this directory, for `loopwatch report`. */
  recordingDir?: string;
  /**
   * Send stalls to the OpenTelemetry providers the program registered (default true):
   * spans at most `maxSpansPerMinute` a minute (default 30), and metrics.
   */
  openTelemetry?: boolean | { maxSpansPerMinute?: number };
  /** Called with each stall as it ends (the same as `onStall()` on the monitor). */
  onStall?: (stall: Stall) => void;
}

export interface MonitorStats extends AgentStats {
  /** Stalls attributed so far, by category: how many, and the time they blocked the loop. */
  byCategory: Partial<Record<Category, { count: number; totalMs: number }>>;
  /** Stall spans not exported because of the rate limit. */
  droppedSpans: number;
}

export interface Monitor {
  /** Stops watching and leaves the process as it was. Idempotent. */
  stop(): void;
  stats(): MonitorStats;
  /** Calls `listener` with each stall as it ends. Returns the unsubscribe. */
  onStall(listener: (stall: Stall) => void): () => void;
}

/**
 * Starts watching the event loop of this process. Throws a LoopwatchError
 * (`ALREADY_RUNNING`) when loopwatch already watches it (`loopwatch run`, or another
 * monitor() or loopwatch/register), and `USAGE` for an option that is not valid.
 */
export function monitor(options: MonitorOptions = {}): Monitor {
  const settings = readSettings({});
  if (options.thresholdMs !== undefined) settings.thresholdMs = positive('thresholdMs', options.thresholdMs);
  if (options.syncIoThresholdMs === false) settings.syncIoThresholdMs = null;
  else if (options.syncIoThresholdMs !== undefined) settings.syncIoThresholdMs = nonNegative('syncIoThresholdMs', options.syncIoThresholdMs);
  else settings.syncIoThresholdMs = DEFAULT_SYNC_IO_THRESHOLD_MS;
  const otel = options.openTelemetry ?? true;
  const maxSpansPerMinute = typeof otel === 'object' && otel.maxSpansPerMinute !== undefined ? nonNegative('openTelemetry.maxSpansPerMinute', otel.maxSpansPerMinute) : DEFAULT_MAX_SPANS_PER_MINUTE;
  const started = startMonitor({ settings, recordingDir: options.recordingDir, otel: otel !== false, maxSpansPerMinute });
  if (!started) throw new LoopwatchError('ALREADY_RUNNING', 'loopwatch already watches this process (loopwatch run, loopwatch/register, or another monitor())');
  if (options.onStall) started.onStall(options.onStall);
  return started;
}

/** What register.ts and monitor() start with. */
export interface MonitorConfig {
  settings: ReturnType<typeof readSettings>;
  recordingDir: string | undefined;
  otel: boolean;
  maxSpansPerMinute: number;
  /** Started by a preload (loopwatch/register), before the program's code. */
  beforeProgram?: boolean;
}

/** Starts the agent in live mode with its OpenTelemetry link; undefined when one already runs here. */
export function startMonitor(config: MonitorConfig): Monitor | undefined {
  let link: OpenTelemetryLink | undefined;
  const agent = startAgent({
    settings: config.settings,
    ...(config.recordingDir !== undefined ? { recordingDir: config.recordingDir } : {}),
    live: true,
    beforeProgram: config.beforeProgram === true,
    onDelay: (ms) => link?.recordDelay(ms),
  });
  if (!agent) return undefined;
  if (config.otel) {
    // Loaded only when asked for: @opentelemetry/api is the program's, and may be missing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { linkOpenTelemetry } = require('./otel/in-process') as typeof import('./otel/in-process');
    link = linkOpenTelemetry(agent, { thresholdMs: config.settings.thresholdMs, maxSpansPerMinute: config.maxSpansPerMinute, version: VERSION });
  }
  return new RunningMonitor(agent, () => link);
}

class RunningMonitor implements Monitor {
  private readonly byCategory: MonitorStats['byCategory'] = {};

  constructor(
    private readonly agent: AgentHandle,
    private readonly link: () => OpenTelemetryLink | undefined,
  ) {
    agent.onStall((found) => {
      const stall = toStall(found);
      const entry = (this.byCategory[stall.category] ??= { count: 0, totalMs: 0 });
      entry.count += 1;
      entry.totalMs += stall.durationMs;
    });
  }

  stop(): void {
    this.link()?.detach();
    this.agent.stop();
  }

  stats(): MonitorStats {
    return { ...this.agent.stats(), byCategory: structuredClone(this.byCategory), droppedSpans: this.link()?.droppedSpans() ?? 0 };
  }

  onStall(listener: (stall: Stall) => void): () => void {
    return this.agent.onStall((found) => listener(toStall(found)));
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new LoopwatchError('USAGE', `monitor(): ${name} must be a positive number of milliseconds, not ${String(value)}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new LoopwatchError('USAGE', `monitor(): ${name} must be a number of 0 or more, not ${String(value)}`);
  return value;
}

// The package's version, read once from its package.json.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;
