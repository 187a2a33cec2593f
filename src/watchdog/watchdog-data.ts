import type { AgentConfig } from '../agent/config';

/** What the agent hands its watchdog thread (workerData). */
export interface WatchdogData extends AgentConfig {
  heartbeat: SharedArrayBuffer;
  /** Recording file of this process. */
  file: string;
  /** performance.timeOrigin of the main thread, to turn its clock into epoch time. */
  mainTimeOrigin: number;
  /** Threadpool queue waits (PoolWaitState), and the epoch ms its times count from. */
  poolWait: SharedArrayBuffer;
  poolWaitEpoch: number;
}
