import { newProcessRecording, type ProcessRecording } from '../../src/recording/decode';
import { RECORDING_VERSION, type ExitRecord, type ProcessRecord } from '../../src/recording/schema';

/** Builders of recording records for unit tests: a valid record, with what a test sets. */

export function processRecord(pid: number, startedAt: number, extra: Partial<ProcessRecord> = {}): ProcessRecord {
  return {
    type: 'process',
    recordingVersion: RECORDING_VERSION,
    pid,
    ppid: 1,
    argv: ['/usr/bin/node', `/app/p${pid}.js`],
    execArgv: [],
    cwd: '/app',
    nodeVersion: 'v20.0.0',
    startedAt,
    thresholdMs: 50,
    heartbeatMs: 10,
    sampleIntervalMs: 10,
    syncIoThresholdMs: 1,
    ...extra,
  };
}

export function exitRecord(at: number, startedAt: number, extra: Partial<ExitRecord> = {}): ExitRecord {
  return {
    type: 'exit',
    at,
    durationMs: at - startedAt,
    exitCode: 0,
    eventLoopDelay: { minMs: 0.1, p50Ms: 0.2, p90Ms: 1, p99Ms: 300, maxMs: 320 },
    utilization: 0.46,
    syncCalls: [],
    gc: { count: 2, totalMs: 3, maxMs: 2, byKind: { minor: { count: 2, totalMs: 3 } } },
    threadpoolQueueWait: { work: null, dns: null },
    threadpoolSize: 4,
    ...extra,
  };
}

/** A process's recording: its process record, the records a test gives, and an exit record if given. */
export function processRecording(
  parts: Partial<Omit<ProcessRecording, 'file' | 'process' | 'exit'>> & { process: ProcessRecord; exit?: ExitRecord },
): ProcessRecording {
  const p: ProcessRecording = {
    ...newProcessRecording(`/rec/${parts.process.pid}.jsonl`, parts.process),
    lastSeenAt: parts.exit?.at ?? parts.process.startedAt,
    ...parts,
  };
  if (!parts.exit) delete p.exit;
  return p;
}
