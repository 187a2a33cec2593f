import type { WatchSettings } from './settings';

/** What the agent hands its watchdog thread (workerData). */
export interface WatchdogData {
  settings: WatchSettings;
  /** The main thread's heartbeat (HeartbeatState). */
  heartbeat: SharedArrayBuffer;
  /** Threadpool queue waits (PoolWaitState), and the epoch ms its times count from. */
  poolWait: SharedArrayBuffer;
  poolWaitEpoch: number;
  /** Whether the program has used the threadpool yet (PoolUseState). */
  poolUse: SharedArrayBuffer;
  /** performance.timeOrigin of the main thread, to turn its clock into epoch time. */
  mainTimeOrigin: number;
  /** The main thread's kernel thread id (Linux), for where a stall's time went; null elsewhere. */
  mainTid: number | null;
  /** The recording file the watchdog appends its records to; null when nothing is recorded. */
  recordingFile: string | null;
  /** Attribute each stall as it ends and send it to the main thread (production mode). */
  live: boolean;
  pid: number;
  /** Why no inspector session can be connected to the main thread (no stack samples then); null when one can. */
  noSamplesBecause: string | null;
}
