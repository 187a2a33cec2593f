/**
 * The agent's settings, handed from the CLI to every process of the command
 * through environment variables (inherited by child processes, like NODE_OPTIONS).
 * Names live here once; the CLI writes them, the agent reads them.
 */

export const ENV = {
  /** Directory where each process writes its recording file. The agent does nothing without it. */
  recordingDir: 'LOOPWATCH_RECORDING_DIR',
  /** Stall threshold in milliseconds. */
  thresholdMs: 'LOOPWATCH_THRESHOLD_MS',
  /** Heartbeat interval in milliseconds (tuning; not a CLI option). */
  heartbeatMs: 'LOOPWATCH_HEARTBEAT_MS',
  /** Interval between stack samples during a stall, in milliseconds (tuning; not a CLI option). */
  sampleIntervalMs: 'LOOPWATCH_SAMPLE_INTERVAL_MS',
  /** Sync API calls at least this long (ms) are recorded with their call site; `off` turns the sync probes off. */
  syncIoThresholdMs: 'LOOPWATCH_SYNC_IO_THRESHOLD_MS',
} as const;

/** W3C Long Tasks: a task longer than 50 ms is long. */
export const DEFAULT_THRESHOLD_MS = 50;

/**
 * The main thread beats every 10 ms. The beat is what the watchdog watches and what
 * the event-loop delay histogram records, so 10 ms is also the histogram's resolution
 * (perf_hooks.monitorEventLoopDelay defaults to the same). A beat costs a few
 * microseconds: 100 of them a second are about 0.05 % of one core.
 */
export const DEFAULT_HEARTBEAT_MS = 10;

/** During a stall the watchdog asks for a stack sample every 10 ms. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 10;

/**
 * A sync call of 1 ms is already a thousandth of a second that every user of the
 * process waits; below that, calls are only counted (no stack is captured).
 */
export const DEFAULT_SYNC_IO_THRESHOLD_MS = 1;
export const SYNC_IO_OFF = 'off';

export interface AgentConfig {
  recordingDir: string;
  thresholdMs: number;
  heartbeatMs: number;
  sampleIntervalMs: number;
  /** Null when the sync probes are off. */
  syncIoThresholdMs: number | null;
}

function positiveNumber(value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) && (n > 0 || (allowZero && n === 0)) ? n : fallback;
}

/** Reads the agent's settings; returns undefined when loopwatch did not start this process. */
export function readAgentConfig(env: NodeJS.ProcessEnv): AgentConfig | undefined {
  const recordingDir = env[ENV.recordingDir];
  if (!recordingDir) return undefined;
  return {
    recordingDir,
    thresholdMs: positiveNumber(env[ENV.thresholdMs], DEFAULT_THRESHOLD_MS),
    heartbeatMs: positiveNumber(env[ENV.heartbeatMs], DEFAULT_HEARTBEAT_MS),
    sampleIntervalMs: positiveNumber(env[ENV.sampleIntervalMs], DEFAULT_SAMPLE_INTERVAL_MS),
    syncIoThresholdMs:
      env[ENV.syncIoThresholdMs] === SYNC_IO_OFF
        ? null
        : positiveNumber(env[ENV.syncIoThresholdMs], DEFAULT_SYNC_IO_THRESHOLD_MS, true),
  };
}
