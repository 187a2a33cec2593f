import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_SYNC_IO_THRESHOLD_MS, DEFAULT_THRESHOLD_MS } from '../agent/config';
import { LoopwatchError, USAGE_EXIT_CODE } from '../errors';
import { readRecording } from '../recording/decode';
import { checkOutputFile, parseSyncIoThreshold, parseThreshold, resolveTarget } from './options';
import { runInfoFromRecording, writeReports } from './report';
import { run } from './run';

export interface CliIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** Parses the command line and does the work. Resolves to the exit status; never calls process.exit. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let result: Promise<number> = Promise.resolve(0);
  const program = new Command('loopwatch')
    .description('Find what blocks the Node.js event loop, and name the line.')
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`loopwatch: ${text.replace(/^error: /, '')}`),
    });

  program
    .command('run')
    .description('run a script or command with the agent in every Node.js process, then report the stalls')
    .usage('[options] <script> [args...]\n       loopwatch run [options] -- <command> [args...]')
    .argument('<target...>', 'a script to run with node, or a command after --')
    .addOption(new Option('-t, --threshold <ms>', 'a stall is a stretch in which the event loop was blocked longer than this').default(DEFAULT_THRESHOLD_MS))
    .addOption(
      new Option('--sync-io-threshold <ms>', 'sync API calls at least this long are listed by call site; shorter ones are counted').default(
        DEFAULT_SYNC_IO_THRESHOLD_MS,
      ),
    )
    .option('--no-sync-io', 'do not time sync API calls (fs.*Sync, crypto.pbkdf2Sync, require...)')
    .option('--json <file>', 'write the JSON report to this file')
    .option('--recording <dir>', 'keep the raw recording in this directory (for `loopwatch report`)')
    .option('-q, --quiet', 'print no text report')
    .passThroughOptions()
    .action((target: string[], opts: RunFlags) => {
      const thresholdMs = typeof opts.threshold === 'number' ? opts.threshold : parseThreshold(opts.threshold);
      const threshold = opts.syncIoThreshold;
      const syncIoThresholdMs = !opts.syncIo ? null : typeof threshold === 'number' ? threshold : parseSyncIoThreshold(threshold);
      const jsonFile = opts.json === undefined ? undefined : checkOutputFile('--json', opts.json, io.cwd);
      const command = resolveTarget(target, usedDoubleDash(argv, target), io.cwd, io.env);
      result = run({
        command,
        thresholdMs,
        syncIoThresholdMs,
        jsonFile,
        recordingDir: opts.recording,
        quiet: opts.quiet === true,
        cwd: io.cwd,
        env: io.env,
        stderr: io.stderr,
        toolVersion: VERSION,
      });
    });

  program
    .command('report')
    .description('report on a recording kept with `loopwatch run --recording <dir>`')
    .argument('<dir>', 'the recording directory')
    .option('--json <file>', 'write the JSON report to this file')
    .option('-q, --quiet', 'print no text report')
    .action((dir: string, opts: { json?: string; quiet?: boolean }) => {
      // A directory that is not a recording fails here, with the usage exit status.
      const recording = readRecording(resolve(io.cwd, dir));
      const jsonFile = opts.json === undefined ? undefined : checkOutputFile('--json', opts.json, io.cwd);
      const output = { jsonFile, quiet: opts.quiet === true, cwd: io.cwd, env: io.env, stderr: io.stderr };
      const ok = writeReports(recording, output, runInfoFromRecording(recording, VERSION));
      result = Promise.resolve(ok ? 0 : 1);
    });

  try {
    await program.parseAsync(argv);
    return await result;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    if (err instanceof LoopwatchError) {
      io.stderr.write(`loopwatch: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`loopwatch: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

interface RunFlags {
  threshold: string | number;
  syncIoThreshold: string | number;
  /** False with --no-sync-io. */
  syncIo: boolean;
  json?: string;
  recording?: string;
  quiet?: boolean;
}

/** Whether the operands came after `--` (a command) rather than as a script. */
function usedDoubleDash(argv: string[], operands: string[]): boolean {
  const runAt = argv.indexOf('run');
  const dashAt = argv.indexOf('--', runAt + 1);
  if (dashAt < 0) return false;
  // `--` counts when it comes before the first operand (not as an argument of the script).
  const firstOperandAt = argv.indexOf(operands[0]!, runAt + 1);
  return firstOperandAt < 0 || dashAt < firstOperandAt;
}

function defaultIo(): CliIo {
  return { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr };
}
