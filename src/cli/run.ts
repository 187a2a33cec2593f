import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV, SYNC_IO_OFF } from '../agent/config';
import { EXIT, LoopwatchError } from '../errors';
import { evaluate, type GateInput } from '../gate/evaluate';
import { readRecording, unreadableFilesError, type DecodedRecording } from '../recording/decode';
import { RECORDING_VERSION, RUN_MANIFEST_FILE, type RunManifest } from '../recording/schema';
import { environmentItems, execStep, type Item } from './exact-bytes';
import { withPreload } from './options';
import type { OtlpOptions } from '../otel/export-report';
import { exportToOtlp, safeWrite, writeOutputs, type ReporterSpec } from './outputs';
import { fileSourceLines } from '../attribution/source';
import { fileSourceMaps } from '../attribution/source-maps';
import { LiveLines } from './live';
import { reportFromRecording, runInfoFromRecording } from './report';

export interface RunOptions {
  command: string[];
  thresholdMs: number;
  /** Null: the sync API probes are off. */
  syncIoThresholdMs: number | null;
  reporters: ReporterSpec[];
  /** Export the stalls over OTLP after the run. */
  otlp?: OtlpOptions;
  /** Print a line per stall while the program runs. */
  live?: boolean;
  gate: GateInput | undefined;
  /** Where the gate's relative paths start. */
  root: string;
  /**
   * Keep the raw recording in this directory (otherwise a temporary one is removed): an
   * absolute path to an empty directory (checkRecordingDir).
   */
  recordingDir?: string;
  /** loopwatch made recordingDir for this run: a run that cannot start takes it away again. */
  recordingDirMade?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  toolVersion: string;
  /**
   * The command and the environment's entries as bytes, when some are not UTF-8
   * (exact-bytes.ts): then the command starts through the exec step that keeps them.
   */
  bytes?: { command: Item[]; environ: Map<string, Buffer> };
}

const PRELOAD = join(__dirname, '..', 'agent', 'preload.js');
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * Runs the command under the agent, then reports and, with a budget, gates. Resolves to
 * the exit status loopwatch should exit with: the command's when it failed, else
 * NOT_WATCHED when nothing could be said, else BUDGET_BROKEN or 0.
 */
export async function run(options: RunOptions): Promise<number> {
  const keep = options.recordingDir !== undefined;
  const recordingDir = keep ? options.recordingDir! : mkdtempSync(join(tmpdir(), 'loopwatch-'));
  const startedAt = Date.now();
  const live = options.live ? new LiveLines(recordingDir, { source: fileSourceLines(), maps: fileSourceMaps() }, (line) => safeWrite(options.stderr, line), options.cwd) : undefined;
  const manifest: RunManifest = {
    type: 'run',
    recordingVersion: RECORDING_VERSION,
    tool: { name: 'loopwatch', version: options.toolVersion },
    command: options.command,
    cwd: options.cwd,
    startedAt,
    thresholdMs: options.thresholdMs,
    syncIoThresholdMs: options.syncIoThresholdMs,
    durationMs: null,
    exitCode: null,
    signal: null,
  };
  let ended: { exitCode: number; signal: string | null };
  try {
    // Before the command starts: a recording that cannot be written is said before anything runs.
    writeManifest(recordingDir, manifest, 'OUTPUT_UNWRITABLE');
    live?.start();
    ended = await spawnWithAgent(options, recordingDir, (pid) => {
      manifest.pid = pid;
    });
    live?.stop();
  } catch (err) {
    live?.stop();
    if (!keep || options.recordingDirMade) rmSync(recordingDir, { recursive: true, force: true });
    else rmSync(join(recordingDir, RUN_MANIFEST_FILE), { force: true });
    throw err;
  }
  const { exitCode, signal } = ended;
  const programFailed = exitCode !== 0;
  const orProgram = (status: number) => (programFailed ? exitCode : status);
  const said = (err: LoopwatchError, recordingKept = true) => {
    safeWrite(options.stderr, err.toLine() + '\n');
    if (!keep && recordingKept) safeWrite(options.stderr, `loopwatch: the recording is kept in ${recordingDir}\n`);
  };
  Object.assign(manifest, { durationMs: Date.now() - startedAt, exitCode, signal });
  let manifestProblem: string | undefined;
  try {
    writeManifest(recordingDir, manifest, 'REPORT_FAILED');
  } catch (err) {
    manifestProblem = (err as Error).message;
  }

  let recording: DecodedRecording;
  try {
    recording = readRecording(recordingDir);
  } catch (err) {
    said(asLoopwatchError(err));
    return orProgram(EXIT.NOT_WATCHED);
  }
  // What run knows, whatever run.json now says: the report is the run's, as `report` rebuilds it.
  recording.manifest = manifest;
  const unreadable = unreadableFilesError(recording);
  if (recording.processes.length === 0) {
    said(unreadable ?? nothingWatched(options.command), unreadable !== undefined);
    if (!keep && !unreadable) rmSync(recordingDir, { recursive: true, force: true });
    return orProgram(EXIT.NOT_WATCHED);
  }
  let report;
  try {
    report = reportFromRecording(recording, runInfoFromRecording(recording, options.toolVersion));
    if (manifestProblem) report.warnings.push(`${manifestProblem}: \`loopwatch report\` on this recording cannot know how the run ended`);
    if (options.gate) report.verdict = evaluate(report, options.gate);
  } catch (err) {
    said(asLoopwatchError(err));
    return orProgram(EXIT.NOT_WATCHED);
  }
  const broken = report.verdict?.passed === false;
  // A process whose data cannot be read leaves the report incomplete: never an all-clear.
  const status = orProgram(unreadable ? EXIT.NOT_WATCHED : broken ? EXIT.BUDGET_BROKEN : EXIT.OK);
  const failures = writeOutputs(report, options.reporters, {
    cwd: options.cwd,
    env: options.env,
    stdout: options.stdout,
    stderr: options.stderr,
    streamFor: 'stderr',
    root: options.root,
    exitCode: status,
  });
  if (options.otlp) await exportToOtlp(report, options.otlp, options.stderr);
  if (unreadable) said(unreadable);
  if (failures.length > 0 && !unreadable) {
    if (!keep) safeWrite(options.stderr, `loopwatch: the recording is kept in ${recordingDir}\n`);
    return orProgram(broken ? EXIT.BUDGET_BROKEN : EXIT.NOT_WATCHED);
  }
  if (!keep && !unreadable) rmSync(recordingDir, { recursive: true, force: true });
  return status;
}

/**
 * Writes run.json whole or not at all (a file beside it, then a rename): a reader never
 * sees half of it, whenever loopwatch stops.
 */
function writeManifest(dir: string, manifest: RunManifest, code: 'OUTPUT_UNWRITABLE' | 'REPORT_FAILED'): void {
  const file = join(dir, RUN_MANIFEST_FILE);
  const partial = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(partial, JSON.stringify(manifest, null, 2) + '\n');
    renameSync(partial, file);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new LoopwatchError(code, `could not write ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** The command ran, and no Node.js process of it reported: never an all-clear. */
export function nothingWatched(command: string[]): LoopwatchError {
  return new LoopwatchError(
    'NOTHING_WATCHED',
    `no Node.js process was watched: '${command[0] ?? ''}' ran no Node.js, or its Node.js processes did not get NODE_OPTIONS (a wrapper that clears the environment); no stall could have been seen`,
  );
}

/**
 * Whether this process is in the foreground process group of its controlling terminal
 * (Linux: /proc/self/stat's pgrp and tpgid). Elsewhere, a terminal on stdin stands for it.
 */
function inTerminalForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // The command name, in parentheses, may hold spaces: the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [pgrp, , ttyNr, tpgid] = [fields[2], fields[3], fields[4], fields[5]].map(Number);
    return ttyNr !== 0 && tpgid === pgrp;
  } catch {
    return process.stdin.isTTY === true;
  }
}

function asLoopwatchError(err: unknown): LoopwatchError {
  return err instanceof LoopwatchError ? err : new LoopwatchError('REPORT_FAILED', `could not report: ${(err as Error).message}`);
}

function spawnWithAgent(options: RunOptions, recordingDir: string, started: (pid: number) => void): Promise<{ exitCode: number; signal: string | null }> {
  const [file, ...args] = options.command;
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    NODE_OPTIONS: withPreload(options.env.NODE_OPTIONS, PRELOAD),
    [ENV.recordingDir]: recordingDir,
    [ENV.thresholdMs]: String(options.thresholdMs),
    [ENV.syncIoThresholdMs]: options.syncIoThresholdMs === null ? SYNC_IO_OFF : String(options.syncIoThresholdMs),
  };
  // Arguments or variables that are not UTF-8 go through the exec step, byte for byte.
  const step = options.bytes ? execStep(options.bytes.command, environmentItems(env, options.bytes.environ)) : undefined;
  if (options.bytes && !step) {
    safeWrite(options.stderr, 'loopwatch: note: the arguments or environment variables that are not UTF-8 reach the command as UTF-8 (U+FFFD for each byte that is not): this system has no /bin/sh and env to pass them as they are, or the command\'s name holds an =\n');
  }
  return new Promise<{ exitCode: number; signal: string | null }>((resolvePromise, reject) => {
    const child = step
      ? spawn(step.file, step.args, { stdio: 'inherit', env: {}, cwd: options.cwd })
      : spawn(file!, args, { stdio: 'inherit', env, cwd: options.cwd });
    // The exec step execs the command in its own place: the same pid.
    if (child.pid !== undefined) started(child.pid);
    // Signals sent to loopwatch go to the command, and loopwatch waits for it to end.
    // A Ctrl-C in a terminal reaches the terminal's whole foreground process group, the
    // command included: passing it on as well would deliver it twice (a server's
    // second SIGINT often means "stop now"), so a SIGINT is not passed on while
    // loopwatch is in its terminal's foreground group.
    const forward = (signal: NodeJS.Signals) => {
      if (signal === 'SIGINT' && inTerminalForeground()) return;
      child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const stopForwarding = () => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.on('error', (err) => {
      stopForwarding();
      reject(cannotStart(file!, err));
    });
    child.on('exit', (code, signal) => {
      stopForwarding();
      if (signal) resolvePromise({ exitCode: 128 + (constants.signals[signal] ?? 0), signal });
      else resolvePromise({ exitCode: code ?? 0, signal: null });
    });
  }).catch((err: unknown) => {
    // spawn() itself throws for errors other than ENOENT, EACCES and a few more (E2BIG).
    throw err instanceof LoopwatchError ? err : cannotStart(file!, err as Error);
  });
}

/** The command could not be started: said as a usage error, since nothing ran. */
function cannotStart(file: string, err: Error): LoopwatchError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new LoopwatchError('COMMAND_NOT_FOUND', `command not found: ${file}`);
  if (code === 'EACCES' || code === 'ENOEXEC') return new LoopwatchError('COMMAND_NOT_EXECUTABLE', `${file}: not executable (${code})`);
  return new LoopwatchError('USAGE', `could not start ${file} (${code ?? err.message})`);
}
