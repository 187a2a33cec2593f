import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { RECORDING_VERSION, recordingFileName, type RecordingRecord } from '../recording/schema';
import { RecordingWriter } from '../recording/encode';
import type { WatchdogData } from '../watchdog/watchdog-data';
import type { AgentConfig } from './config';
import { debug } from './debug';
import { DeferredRecords } from './deferred-records';
import { Heartbeat } from './heartbeat';
import { createHeartbeatBuffer, HeartbeatState } from './heartbeat-state';
import { createPoolWaitBuffer, PoolWaitState } from './pool-wait-state';
import { GcProbe } from './probes/gc';
import { installProbes } from './probes/install';
import { PoolWorkTracker } from './probes/pool-work';
import { SyncCallProbes } from './probes/sync-calls';
import { installSampler } from './sampler';

/**
 * Starts loopwatch inside the current process. Main thread only; the caller guards that.
 *
 *   main thread                               watchdog thread (worker)
 *   -----------                               ------------------------
 *   heartbeat every 10 ms  --shared memory-->  waits; no beat for a while = blocked
 *   sampler (global fn)    <--inspector------  Runtime.evaluate: where are you?
 *   probes: sync calls,                       threadpool probes: a tiny task and a
 *     threadpool work, GC  <--shared memory--   DNS lookup every 20 ms, timed from
 *                                               submit to callback
 *   stall, syncCall, poolWork,                blocked / sample / poolWait records
 *     gc / exit records
 *                 \                          /
 *                  recording file (JSON Lines, O_APPEND)
 */
/** Longest an exiting program waits for the watchdog to detach (it takes well under 1 ms when idle). */
const DETACH_TIMEOUT_MS = 100;

export function startAgent(config: AgentConfig): void {
  const nonce = Math.random().toString(36).slice(2, 10);
  const file = join(config.recordingDir, recordingFileName(process.pid, nonce));
  const writer = new RecordingWriter(file);
  const startedAt = performance.timeOrigin + performance.now();
  writer.write({
    type: 'process',
    recordingVersion: RECORDING_VERSION,
    pid: process.pid,
    ppid: process.ppid,
    argv: process.argv,
    execArgv: process.execArgv,
    cwd: process.cwd(),
    nodeVersion: process.version,
    startedAt,
    thresholdMs: config.thresholdMs,
    heartbeatMs: config.heartbeatMs,
    sampleIntervalMs: config.sampleIntervalMs,
    syncIoThresholdMs: config.syncIoThresholdMs,
  });

  installSampler();
  const deferred = new DeferredRecords((records) => guard('write the probes\' records', () => writer.writeAll(records)));
  const buffer = createHeartbeatBuffer();
  const state = new HeartbeatState(buffer);
  const heartbeat = new Heartbeat(
    state,
    config.heartbeatMs,
    config.thresholdMs,
    (stall) => guard('write a stall', () => writer.write(stall)),
    () => guard('write the probes\' records', () => deferred.flush()),
  );
  heartbeat.start();
  // Before the watchdog starts: a program that exits at once (node -e 0) then ends before
  // the watchdog thread, which boots on its own core or in the program's idle time, has
  // taken much of its CPU. The agent's own setup before this point makes no sync calls.
  const later = (make: () => RecordingRecord) => deferred.add(make);
  const sync = config.syncIoThresholdMs === null ? undefined : new SyncCallProbes({ thresholdMs: config.syncIoThresholdMs, record: later });
  const pool = new PoolWorkTracker({ thresholdMs: config.thresholdMs, record: later });
  guard('install the probes', () => installProbes({ sync, pool }));
  const gc = new GcProbe((pause) => guard('write a gc record', () => writer.write(pause)));
  guard('observe GC', () => gc.start());
  const poolWaitBuffer = createPoolWaitBuffer();
  const poolWait = new PoolWaitState(poolWaitBuffer, startedAt);
  startWatchdog({
    ...config,
    heartbeat: buffer,
    file,
    mainTimeOrigin: performance.timeOrigin,
    poolWait: poolWaitBuffer,
    poolWaitEpoch: startedAt,
  });


  // The loop drained by itself: a stall that ended just before is complete, not cut short.
  process.on('beforeExit', () =>
    guard('check the last window', () => {
      heartbeat.checkpoint(false);
      deferred.flush();
    }),
  );
  // Detach the watchdog's inspector session before Node reports a fatal exception,
  // or Node would add "Waiting for the debugger to disconnect..." to the program's output.
  process.on('uncaughtExceptionMonitor', () => guard('detach', () => state.closeSession(DETACH_TIMEOUT_MS)));
  process.on('exit', (code) =>
    guard('write the exit record', () => {
      state.closeSession(DETACH_TIMEOUT_MS);
      // Reached without beforeExit: process.exit() or an uncaught exception ended a busy stretch.
      heartbeat.checkpoint(true);
      heartbeat.stop();
      gc.stop();
      pool.flush();
      deferred.flush();
      const at = performance.timeOrigin + performance.now();
      for (const wait of poolWait.stillWaiting(at, config.thresholdMs)) writer.write(wait);
      writer.write({
        type: 'exit',
        at,
        durationMs: at - startedAt,
        exitCode: typeof code === 'number' ? code : 0,
        eventLoopDelay: heartbeat.delaySummary(),
        utilization: performance.eventLoopUtilization().utilization,
        syncCalls: sync?.totals() ?? [],
        gc: gc.totals(),
        threadpoolQueueWait: { work: poolWait.summary('work'), dns: poolWait.summary('dns') },
        threadpoolSize: threadpoolSize(process.env.UV_THREADPOOL_SIZE),
      });
    }),
  );
}

function startWatchdog(data: WatchdogData): void {
  const worker = new Worker(join(__dirname, '..', 'watchdog', 'watchdog.js'), {
    workerData: data,
    // An empty execArgv and environment: the watchdog must not load the preload (or anything else) again.
    execArgv: [],
    env: {},
    name: 'loopwatch-watchdog',
    stdout: true,
    stderr: true,
  });
  // Never keep the program alive, never let an error event reach it.
  worker.unref();
  worker.on('error', (err) => debug('watchdog failed: %s', err));
}

/** The size libuv gave the threadpool: UV_THREADPOOL_SIZE when it is a number, within 1..1024, else 4. */
function threadpoolSize(value: string | undefined): number {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 1024) : 4;
}

function guard(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    debug('could not %s: %s', what, err);
  }
}
