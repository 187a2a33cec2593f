import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ENV, SYNC_IO_OFF } from '../agent/config';
import { withPreload } from './options';
import { readRecording, type Recording } from '../recording/decode';
import { writeReports } from './report';

export interface RunOptions {
  command: string[];
  thresholdMs: number;
  /** Null: the sync API probes are off. */
  syncIoThresholdMs: number | null;
  jsonFile?: string;
  /** Keep the raw recording in this directory (otherwise a temporary one is removed). */
  recordingDir?: string;
  quiet: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stderr: NodeJS.WriteStream;
  toolVersion: string;
}

const PRELOAD = join(__dirname, '..', 'agent', 'preload.js');
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** Runs the command under the agent, then reports. Resolves to the exit status loopwatch should exit with. */
export async function run(options: RunOptions): Promise<number> {
  const keep = options.recordingDir !== undefined;
  const recordingDir = keep ? resolve(options.cwd, options.recordingDir!) : mkdtempSync(join(tmpdir(), 'loopwatch-'));
  mkdirSync(recordingDir, { recursive: true });
  const startedAt = Date.now();
  const { exitCode, signal } = await spawnWithAgent(options, recordingDir);
  const durationMs = Date.now() - startedAt;
  const recording = readRecordingOrSay(recordingDir, options.stderr);
  const reported = recording !== undefined && writeReports(recording, options, {
    command: options.command,
    thresholdMs: options.thresholdMs,
    startedAt,
    durationMs,
    exitCode,
    signal,
    toolVersion: options.toolVersion,
  });
  if (!keep && reported) rmSync(recordingDir, { recursive: true, force: true });
  else if (!keep) options.stderr.write(`loopwatch: the recording is kept in ${recordingDir}\n`);
  return exitCode;
}

function spawnWithAgent(options: RunOptions, recordingDir: string): Promise<{ exitCode: number; signal: string | null }> {
  const [file, ...args] = options.command;
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    NODE_OPTIONS: withPreload(options.env.NODE_OPTIONS, PRELOAD),
    [ENV.recordingDir]: recordingDir,
    [ENV.thresholdMs]: String(options.thresholdMs),
    [ENV.syncIoThresholdMs]: options.syncIoThresholdMs === null ? SYNC_IO_OFF : String(options.syncIoThresholdMs),
  };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file!, args, { stdio: 'inherit', env, cwd: options.cwd });
    // The command owns the terminal: signals sent to loopwatch go to it, and loopwatch
    // waits for it to end. Ctrl-C in a terminal reaches the whole process group already.
    const forward = (signal: NodeJS.Signals) => {
      if (signal === 'SIGINT' && process.stdin.isTTY) return;
      child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const stopForwarding = () => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.on('error', (err) => {
      stopForwarding();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      stopForwarding();
      if (signal) resolvePromise({ exitCode: 128 + (constants.signals[signal] ?? 0), signal });
      else resolvePromise({ exitCode: code ?? 0, signal: null });
    });
  });
}

function readRecordingOrSay(dir: string, stderr: NodeJS.WriteStream): Recording | undefined {
  try {
    return readRecording(dir);
  } catch (err) {
    stderr.write(`loopwatch: could not report: ${(err as Error).message}\n`);
    return undefined;
  }
}
