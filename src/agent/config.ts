/**
 * The agent's settings, from environment variables: the CLI hands them to every process
 * of the command it runs (inherited by child processes, like NODE_OPTIONS), and a
 * program that loads `loopwatch/register` in production is configured the same way.
 * Names live here once; the README's table of them is made from this list.
 */
import type { WatchSettings } from '../contract/settings';

export const ENV = {
  /** Directory where each process writes its recording file. `loopwatch run` sets it; in production it is optional. */
  recordingDir: 'LOOPWATCH_RECORDING_DIR',
  /** Stall threshold in milliseconds. */
  thresholdMs: 'LOOPWATCH_THRESHOLD_MS',
  /** Sync API calls at least this long (ms) are recorded with their call site; `off` turns the sync probes off. */
  syncIoThresholdMs: 'LOOPWATCH_SYNC_IO_THRESHOLD_MS',
  /** Heartbeat interval in milliseconds (tuning). */
  heartbeatMs: 'LOOPWATCH_HEARTBEAT_MS',
  /** Interval between stack samples during a stall, in milliseconds (tuning). */
  sampleIntervalMs: 'LOOPWATCH_SAMPLE_INTERVAL_MS',
  /** At most this many stack samples a second, over 10 s, in each process (tuning). */
  maxSamplesPerSecond: 'LOOPWATCH_MAX_SAMPLES_PER_SECOND',
  /** Production mode: `off` sends nothing to OpenTelemetry; `auto` (default) uses the providers the program registered. */
  otel: 'LOOPWATCH_OTEL',
  /** Production mode: at most this many stall spans a minute (default 30); the rest are counted as dropped. */
  maxSpansPerMinute: 'LOOPWATCH_MAX_SPANS_PER_MINUTE',
  /** Production mode: `1` or `true` keeps loopwatch/register from starting anything. */
  disabled: 'LOOPWATCH_DISABLED',
} as const;

/** W3C Long Tasks: a task longer than 50 ms is long. */
export const DEFAULT_THRESHOLD_MS = 50;

/**
 * The main thread beats every 10 ms. The beat is what the watchdog watches and what
 * the event-loop delay histogram records, so 10 ms is also the histogram's resolution
 * (perf_hooks.monitorEventLoopDelay defaults to the same).
 */
export const DEFAULT_HEARTBEAT_MS = 10;

/** During a stall the watchdog asks for a stack sample every 10 ms. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 10;

/**
 * A sample costs the blocked program about half a millisecond (README, "What it
 * costs"): 30 a second is at most 1.5 % of a core, and a stall of a second takes about
 * 35. Over the 10 s window a process can spend 300 at once on a burst of stalls.
 */
export const DEFAULT_MAX_SAMPLES_PER_SECOND = 30;

/**
 * A sync call of 1 ms is already a thousandth of a second that every user of the
 * process waits; below that, calls are only counted (no stack is captured).
 */
export const DEFAULT_SYNC_IO_THRESHOLD_MS = 1;
export const SYNC_IO_OFF = 'off';

/** A storm of stalls exports this many spans a minute at most (LiveKit's agents: 6; Sentry: 1 an hour). */
export const DEFAULT_MAX_SPANS_PER_MINUTE = 30;

/** What `loopwatch run` hands each process. */
export interface CliAgentConfig {
  recordingDir: string;
  settings: WatchSettings;
}

/** What loopwatch/register reads. */
export interface ProductionConfig {
  settings: WatchSettings;
  recordingDir: string | undefined;
  otel: 'auto' | 'off';
  maxSpansPerMinute: number;
}

function positiveNumber(value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) && (n > 0 || (allowZero && n === 0)) ? n : fallback;
}

export function readSettings(env: NodeJS.ProcessEnv): WatchSettings {
  return {
    thresholdMs: positiveNumber(env[ENV.thresholdMs], DEFAULT_THRESHOLD_MS),
    heartbeatMs: positiveNumber(env[ENV.heartbeatMs], DEFAULT_HEARTBEAT_MS),
    sampleIntervalMs: positiveNumber(env[ENV.sampleIntervalMs], DEFAULT_SAMPLE_INTERVAL_MS),
    maxSamplesPerSecond: positiveNumber(env[ENV.maxSamplesPerSecond], DEFAULT_MAX_SAMPLES_PER_SECOND),
    syncIoThresholdMs:
      env[ENV.syncIoThresholdMs] === SYNC_IO_OFF ? null : positiveNumber(env[ENV.syncIoThresholdMs], DEFAULT_SYNC_IO_THRESHOLD_MS, true),
  };
}

/** The settings `loopwatch run` gave this process; undefined when loopwatch did not start it. */
export function readCliConfig(env: NodeJS.ProcessEnv): CliAgentConfig | undefined {
  const recordingDir = env[ENV.recordingDir];
  if (!recordingDir) return undefined;
  return { recordingDir, settings: readSettings(env) };
}

/** The production mode's settings; undefined when LOOPWATCH_DISABLED says not to start. */
export function readProductionConfig(env: NodeJS.ProcessEnv): ProductionConfig | undefined {
  const disabled = env[ENV.disabled];
  if (disabled === '1' || disabled === 'true') return undefined;
  return {
    settings: readSettings(env),
    recordingDir: env[ENV.recordingDir] || undefined,
    otel: env[ENV.otel] === 'off' ? 'off' : 'auto',
    maxSpansPerMinute: positiveNumber(env[ENV.maxSpansPerMinute], DEFAULT_MAX_SPANS_PER_MINUTE, true),
  };
}
