import { Command, CommanderError, Option } from 'commander';
import { isUtf8 } from 'node:buffer';
import { resolve } from 'node:path';
import { DEFAULT_SYNC_IO_THRESHOLD_MS, DEFAULT_THRESHOLD_MS } from '../agent/config';
import { EXIT, LoopwatchError } from '../errors';
import { printable } from '../report/printable';
import { loadBudget, type BudgetFlags } from './budget';
import { checkCommand } from './check';
import { baselineSave, diffCommand } from './compare';
import { parseSyncIoThreshold, parseThreshold, resolveTarget, spellOutBareFlags } from './options';
import { environBytes, operandBytes, readOwnBytes, type Item, type OwnBytes } from './exact-bytes';
import { checkOutputDir, checkOutputFile, checkRecordingDir, DEFAULT_HTML_FILE, defaultReporters, parseReporters, safeWrite, type ReporterSpec } from './outputs';
import { reportCommand } from './report-command';
import { run } from './run';
import { protocolFromEnv, type OtlpOptions, type OtlpProtocol } from '../otel/export-report';
import { VERSION } from './version';

export interface CliIo {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** This process's own arguments and environment as bytes (the real process only: see exact-bytes.ts). */
  ownBytes?: () => OwnBytes | undefined;
}


const EXIT_STATUS_HELP = `
Exit status: the command's own when it failed (128 + the signal number when a
signal ended it); else ${EXIT.NOT_WATCHED} when no Node.js process was watched or no report
could be made; else ${EXIT.BUDGET_BROKEN} when the run broke its budget; else 0. Usage and
configuration errors exit ${EXIT.USAGE} before anything runs.`;

/** Parses the command line and does the work. Resolves to the exit status; never calls process.exit. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let result: Promise<number> = Promise.resolve(0);
  const program = new Command('loopwatch')
    .description('Find what blocks the Node.js event loop, and name the line.')
    .version(VERSION, '-V, --version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => safeWrite(io.stdout, text),
      writeErr: (text) => safeWrite(io.stderr, text),
      // One line with its code, as every error loopwatch reports.
      // What the user typed is in it ("unknown option '--x'"): shown escaped, as in every error line.
      outputError: (text, write) =>
        write(`loopwatch: ${printable(text.replace(/^error: /, '').trimEnd().replace(/\n\(Did you mean/, ' (Did you mean'), 1000)} [ERR_LOOPWATCH_USAGE]\n`),
    })
    .hook('preAction', (_program, command) => refuseEmptyValues(command));

  const runCommand = program
    .command('run')
    .description('run a script or command with the agent in every Node.js process, then report the stalls on stderr')
    .usage('[options] <script> [args...]\n       loopwatch run [options] -- <command> [args...]')
    .argument('<target...>', 'a script to run with node, or a command after --')
    .addOption(new Option('-t, --threshold <ms>', 'a stall is a stretch in which the event loop was blocked longer than this (default: 50, or the configuration\'s)'))
    .addOption(
      new Option('--sync-io-threshold <ms>', 'sync API calls at least this long are listed by call site; shorter ones are counted').default(
        DEFAULT_SYNC_IO_THRESHOLD_MS,
      ),
    )
    .option('--no-sync-io', 'do not time sync API calls (fs.*Sync, crypto.pbkdf2Sync, require...)')
    .option('--recording <dir>', 'keep the raw recording in this directory (for `loopwatch report`)')
    .option('--live', 'print a line for each stall while the program runs (on stderr), beside the report at the end');
  addOutputOptions(runCommand);
  addBudgetOptions(runCommand);
  runCommand
    .passThroughOptions()
    .addHelpText('after', `
The program runs untouched: its arguments, stdin, stdout and stderr are its own.
Where the report goes: the text report is printed on stderr when the command has
ended, after the program's own output (-q for none); --json, --html and
--reporter write the other formats to files, whose paths you give (or the
defaults, in the working directory).
The exit status is passed through: loopwatch exits with the command's status,
unless a budget was broken or nothing could be watched (below).${EXIT_STATUS_HELP}`)
    .action((target: string[], opts: RunFlags) => {
      const budget = loadBudget(opts, io.cwd);
      const thresholdMs = opts.threshold !== undefined ? parseThreshold(opts.threshold) : (budget.thresholdMs ?? DEFAULT_THRESHOLD_MS);
      const threshold = opts.syncIoThreshold;
      const syncIoThresholdMs = !opts.syncIo ? null : typeof threshold === 'number' ? threshold : parseSyncIoThreshold(threshold);
      const reporters = reportersOf(opts, io, { stdoutIsTheProgram: true });
      const otlp = otlpOf(opts, io.env);
      const isCommand = operandsAreACommand(spelled, runCommand);
      const own = notAllUtf8(io);
      const operands = own && (operandBytes(target, own) ?? target.map((t) => Buffer.from(t)));
      const firstBytes = operands && !isUtf8(operands[0]!) ? operands[0] : undefined;
      const command = resolveTarget(target, isCommand, io.cwd, io.env, firstBytes);
      // Checked last, since it makes the directory: nothing else can fail before the run now.
      const recording = opts.recording !== undefined ? checkRecordingDir('--recording', opts.recording, io.cwd) : undefined;
      result = run({
        command,
        thresholdMs,
        syncIoThresholdMs,
        reporters,
        ...(otlp ? { otlp } : {}),
        live: opts.live === true,
        gate: budget.gate,
        root: budget.root,
        ...(recording ? { recordingDir: recording.path, recordingDirMade: recording.made } : {}),
        ...(own && operands ? { bytes: { command: commandBytes(command, operands, isCommand, io.cwd), environ: environBytes(own) } } : {}),
        cwd: io.cwd,
        env: io.env,
        stdout: io.stdout,
        stderr: io.stderr,
        toolVersion: VERSION,
      });
    });

  const reportCmd = program
    .command('report')
    .description('report on a recording kept with `loopwatch run --recording <dir>`, or on a saved JSON report')
    .argument('<input>', 'a recording directory, or a JSON report');
  addOutputOptions(reportCmd);
  reportCmd.action((input: string, opts: OutputFlags) => {
    const reporters = reportersOf(opts, io, { stdoutIsTheProgram: false });
    result = reportCommand(resolve(io.cwd, input), reporters, otlpOf(opts, io.env), io);
  });

  const checkCmd = program
    .command('check')
    .description('hold a saved JSON report (or a recording) to a budget: exit 3 when it breaks it')
    .argument('<input>', 'a JSON report saved with --json, or a recording directory');
  addOutputOptions(checkCmd);
  addBudgetOptions(checkCmd);
  checkCmd.addHelpText('after', EXIT_STATUS_HELP.replace("the command's own when it failed (128 + the signal number when a\nsignal ended it); else ", ''));
  checkCmd.action((input: string, opts: OutputFlags & BudgetFlags) => {
    const budget = loadBudget(opts, io.cwd);
    const reporters = reportersOf(opts, io, { stdoutIsTheProgram: false });
    result = Promise.resolve(checkCommand(resolve(io.cwd, input), budget, reporters, io));
  });

  const baseline = program.command('baseline').description('save the call sites a project already knows about');
  baseline
    .command('save')
    .description('save a report\'s call sites as a baseline, for --baseline')
    .argument('<input>', 'a JSON report, or a recording directory')
    .option('--out <file>', 'where to write it', 'loopwatch.baseline.json')
    .action((input: string, opts: { out: string }) => {
      result = Promise.resolve(baselineSave(resolve(io.cwd, input), opts, io));
    });

  program
    .command('diff')
    .description('compare the call sites of two reports: new, gone, better, worse')
    .argument('<before>', 'a JSON report, or a recording directory')
    .argument('<after>', 'a JSON report, or a recording directory')
    .option('--tolerance <percent>', 'a change in a call site\'s longest blocking smaller than this is no change', '50')
    .action((before: string, after: string, opts: { tolerance: string }) => {
      result = Promise.resolve(diffCommand(resolve(io.cwd, before), resolve(io.cwd, after), opts, io));
    });

  // Options with an optional value (--html) never take the next argument.
  const spelled = spellOutBareFlags(argv, program, ['--html', '--otlp'], ['run']);
  try {
    await program.parseAsync(spelled);
    return await result;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT.USAGE;
    if (err instanceof LoopwatchError) {
      safeWrite(io.stderr, err.toLine() + '\n');
      return err.exitCode;
    }
    safeWrite(io.stderr, `loopwatch: internal error, please report it: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.INTERNAL;
  }
}

interface OutputFlags {
  json?: string;
  /** `--otlp` alone: '' (the variables' endpoint, else localhost:4318); `--otlp=URL`: the collector. */
  otlp?: string | true;
  otlpProtocol?: string;
  /** `--html` alone: '' (see spellOutBareFlags); `--html=FILE`: the file. */
  html?: string | true;
  cpuprofileDir?: string;
  reporter: string[];
  quiet?: boolean;
}

interface RunFlags extends OutputFlags, BudgetFlags {
  threshold?: string;
  syncIoThreshold: string | number;
  /** False with --no-sync-io. */
  syncIo: boolean;
  recording?: string;
  live?: boolean;
}

/** `--html` alone writes loopwatch-report.html; only `--html=FILE` names the file (spellOutBareFlags). */
function htmlOption(): Option {
  const option = new Option('--html [file]', `write the HTML report: --html for ${DEFAULT_HTML_FILE}, --html=FILE to name it`);
  option.flags = '--html[=file]';
  return option;
}

/** `--otlp` alone exports to the endpoint the OTEL_EXPORTER_OTLP_* variables name; `--otlp=URL` names the collector. */
function otlpOption(): Option {
  const option = new Option('--otlp [endpoint]', 'export the stalls as OpenTelemetry spans and metrics over OTLP/HTTP: --otlp for the OTEL_EXPORTER_OTLP_* endpoint (else http://localhost:4318), --otlp=URL to name one');
  option.flags = '--otlp[=endpoint]';
  return option;
}

function addOutputOptions(command: Command): void {
  command
    .addOption(otlpOption())
    .addOption(new Option('--otlp-protocol <protocol>', 'http/protobuf (default, or OTEL_EXPORTER_OTLP_PROTOCOL) or http/json').choices(['http/protobuf', 'http/json']))
    .option('--json <file>', 'write the JSON report to this file (the same as --reporter json=<file>)')
    .addOption(htmlOption())
    .option('--cpuprofile-dir <dir>', 'write each sampled stall as a .cpuprofile (Chrome DevTools, speedscope) into this directory')
    .option(
      '--reporter <name[=file]>',
      'text (stderr), json, github (workflow annotations), junit, markdown; repeat it or list them with commas; replaces the default (text, and github on GitHub Actions)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('-q, --quiet', 'print no text report');
}

function addBudgetOptions(command: Command): void {
  command
    .option('--config <file>', 'the budget (default: loopwatch.config.json, or "loopwatch" in package.json)')
    .option('--fail-on-stall <ms>', 'break the budget when a stall is longer than this')
    .option('--max-total-blocked <ms>', 'break the budget when the stalls block for longer than this in all')
    .option('--baseline <file>', 'break the budget only on call sites this baseline does not know, or that got worse');
}

/** What --otlp asks for, checked now (a URL that is not one is a usage error before anything runs). */
function otlpOf(opts: OutputFlags, env: NodeJS.ProcessEnv): OtlpOptions | undefined {
  if (opts.otlp === undefined) return undefined;
  const protocol = (opts.otlpProtocol as OtlpProtocol | undefined) ?? protocolFromEnv(env);
  const otlp: OtlpOptions = { protocol, version: VERSION };
  if (typeof opts.otlp === 'string' && opts.otlp !== '') {
    let url: URL;
    try {
      url = new URL(opts.otlp);
    } catch {
      throw new LoopwatchError('USAGE', `--otlp=${opts.otlp}: not a URL (for instance --otlp=http://localhost:4318)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LoopwatchError('USAGE', `--otlp=${opts.otlp}: OTLP/HTTP takes an http: or https: URL`);
    otlp.endpoint = opts.otlp;
  }
  return otlp;
}

function reportersOf(opts: OutputFlags, io: CliIo, where: { stdoutIsTheProgram: boolean }): ReporterSpec[] {
  const explicit = parseReporters(opts.reporter, io.cwd, where);
  if (opts.json !== undefined) explicit.push({ name: 'json', file: checkOutputFile('--json', opts.json, io.cwd) });
  if (opts.html !== undefined) {
    const file = opts.html === true || opts.html === '' ? DEFAULT_HTML_FILE : opts.html;
    explicit.push({ name: 'html', file: checkOutputFile('--html', file, io.cwd) });
  }
  if (opts.cpuprofileDir !== undefined) explicit.push({ name: 'cpuprofile', file: checkOutputDir('--cpuprofile-dir', opts.cpuprofileDir, io.cwd) });
  if (opts.reporter.length > 0) return explicit.filter((r) => !(opts.quiet && r.name === 'text'));
  return [...defaultReporters(io.env, opts.quiet === true), ...explicit];
}

/**
 * Whether `run`'s operands came after `--` (a command) rather than as a script: the
 * first token after `run` that is neither an option nor an option's value decides.
 * (`loopwatch run --json node -- node app.js` has `node` as the value of --json.)
 */
function operandsAreACommand(argv: string[], command: Command): boolean {
  const takesValue = new Set<string>();
  for (const option of command.options) {
    if (option.required) for (const flag of [option.short, option.long]) if (flag) takesValue.add(flag);
  }
  for (let i = argv.indexOf('run') + 1; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return true;
    if (!token.startsWith('-') || token === '-') return false;
    if (!token.includes('=') && takesValue.has(token)) i += 1;
  }
  return false;
}

/** Options whose value may be empty: `--html=` and `--otlp=` are the bare flags (spellOutBareFlags). */
const EMPTY_ALLOWED = new Set(['html', 'otlp']);

/** `--recording ''` would record into the working directory, `--json ''` write to it: no option takes an empty value. */
function refuseEmptyValues(command: Command): void {
  for (const option of command.options) {
    const key = option.attributeName();
    const value: unknown = command.getOptionValue(key);
    const values = Array.isArray(value) ? value : [value];
    if (!EMPTY_ALLOWED.has(key) && values.some((v) => typeof v === 'string' && v.trim() === '')) {
      throw new LoopwatchError('USAGE', `${option.long ?? option.flags} takes a value, not '${String(values.find((v) => typeof v === 'string' && v.trim() === ''))}'`);
    }
  }
}

/** loopwatch's own arguments and environment as bytes, when some of them are not UTF-8 (else undefined: the common case). */
function notAllUtf8(io: CliIo): OwnBytes | undefined {
  const own = io.ownBytes?.();
  return own && !(own.argv.every((b) => isUtf8(b)) && own.environ.every((b) => isUtf8(b))) ? own : undefined;
}

/**
 * The command as the exec step passes it: the resolved command, with the operands' own
 * bytes (a script's name made absolute, as resolveTarget does; a command's name that is
 * not UTF-8 as given, for env to find on PATH as resolveTarget did).
 */
function commandBytes(command: string[], operands: Buffer[], isCommand: boolean, cwd: string): Item[] {
  const [first, ...rest] = operands;
  const name = isUtf8(first!) ? undefined : first!;
  if (isCommand) return [name ?? command[0]!, ...rest];
  return [command[0]!, name ? (name[0] === 0x2f ? name : Buffer.concat([Buffer.from(cwd + '/'), name])) : command[1]!, ...rest];
}

function defaultIo(): CliIo {
  // A closed or full stdout/stderr (`| true`, 2>/dev/full) must not become an uncaught
  // EPIPE that turns the program's exit status into 1.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  return { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr, ownBytes: readOwnBytes };
}
