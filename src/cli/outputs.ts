/**
 * Where a report goes: the reporters a command writes (`--reporter NAME[=FILE]`, several
 * at once), each to its destination, checked before anything runs. Writing one that
 * fails is said with a code and does not stop the others; the text report always
 * comes out when it was asked for.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LoopwatchError } from '../errors';
import type { OtlpOptions } from '../otel/export-report';
import { printable } from '../report/printable';
import type { Report } from '../report/schema';
import { cpuProfileFileName, stallToCpuProfile } from '../report/to-cpuprofile';
import { reportToGithub } from '../report/to-github';
import { reportToHtml } from '../report/to-html';
import { reportToJson } from '../report/to-json';
import { reportToJunit } from '../report/to-junit';
import { reportToMarkdown } from '../report/to-markdown';
import { reportToText } from '../report/to-text';
import { verdictToText } from '../report/verdict-to-text';

export const REPORTERS = ['text', 'json', 'html', 'github', 'junit', 'markdown'] as const;
export type ReporterName = (typeof REPORTERS)[number] | 'cpuprofile';

export const DEFAULT_HTML_FILE = 'loopwatch-report.html';

/** Where a reporter writes when no file is given. */
const DEFAULT_FILES: Partial<Record<ReporterName, string>> = {
  json: 'loopwatch-report.json',
  html: DEFAULT_HTML_FILE,
  junit: 'loopwatch-junit.xml',
  markdown: 'loopwatch-report.md',
};

export interface ReporterSpec {
  name: ReporterName;
  /**
   * An absolute path, '-' for standard output, or undefined for the reporter's stream
   * (text and github: stderr or stdout). For `cpuprofile`, the directory.
   */
  file?: string;
}

/** Parses `--reporter` values: `junit=out.xml`, `text,github`. */
export function parseReporters(values: string[], cwd: string, options: { stdoutIsTheProgram: boolean }): ReporterSpec[] {
  const specs: ReporterSpec[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const [rawName, ...rest] = part.split('=');
      const name = rawName!.trim();
      if (!(REPORTERS as readonly string[]).includes(name)) {
        throw new LoopwatchError('USAGE', `--reporter ${part}: unknown reporter '${name}' (expected one of ${REPORTERS.join(', ')})`);
      }
      const file = rest.length > 0 ? rest.join('=') : undefined;
      const spec: ReporterSpec = { name: name as ReporterName };
      if (file === '') throw new LoopwatchError('USAGE', `--reporter ${part}: give a file after =, or leave out the =`);
      if (file === '-') {
        if (options.stdoutIsTheProgram) {
          throw new LoopwatchError('USAGE', `--reporter ${part}: standard output belongs to the program here; give a file`);
        }
        spec.file = '-';
      } else if (file !== undefined) {
        spec.file = checkOutputFile(`--reporter ${name}`, file, cwd);
      } else if (DEFAULT_FILES[spec.name]) {
        spec.file = checkOutputFile(`--reporter ${name}`, DEFAULT_FILES[spec.name]!, cwd);
      }
      specs.push(spec);
    }
  }
  return specs;
}

/**
 * The reporters when none is asked for: the text report (unless --quiet) and, on GitHub
 * Actions, the annotations.
 */
export function defaultReporters(env: NodeJS.ProcessEnv, quiet: boolean): ReporterSpec[] {
  const specs: ReporterSpec[] = quiet ? [] : [{ name: 'text' }];
  if (env.GITHUB_ACTIONS === 'true') specs.push({ name: 'github' });
  return specs;
}

/**
 * A directory loopwatch will write files into: made when missing, but its parent must
 * exist. Checked by making it and taking it away again, so that a path it could never
 * make (under /proc, where Node's recursive mkdir never returns) is said before anything runs.
 */
export function checkOutputDir(option: string, dir: string, cwd: string): string {
  const path = resolve(cwd, dir);
  if (existsSync(path)) {
    if (!statSync(path).isDirectory()) throw new LoopwatchError('OUTPUT_UNWRITABLE', `${option} ${dir}: is not a directory`);
    return path;
  }
  checkCanMake(option, dir, path);
  return path;
}

/**
 * The directory `run --recording` writes the recording into: a new one (made now, so that
 * nothing runs when it cannot be), or an empty one. A directory that holds anything
 * (an earlier run's recording) is refused: one recording is one run, never two mixed.
 */
export function checkRecordingDir(option: string, dir: string, cwd: string): { path: string; made: boolean } {
  const path = resolve(cwd, dir);
  if (!existsSync(path)) {
    checkCanMake(option, dir, path);
    mkdirSync(path);
    return { path, made: true };
  }
  if (!statSync(path).isDirectory()) throw new LoopwatchError('OUTPUT_UNWRITABLE', `${option} ${dir}: is not a directory`);
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch (err) {
    throw new LoopwatchError('OUTPUT_UNWRITABLE', `${option} ${dir}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (entries.length > 0) {
    throw new LoopwatchError(
      'OUTPUT_UNWRITABLE',
      `${option} ${dir}: is not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}; a recording of an earlier run?): a run records into a new or empty directory, never mixed with another; give another, or remove this one`,
    );
  }
  return { path, made: false };
}

/** Whether `path` can be made: its parent is a directory where a directory can be made (and is, and is taken away). */
function checkCanMake(option: string, dir: string, path: string): void {
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new LoopwatchError('OUTPUT_UNWRITABLE', `${option} ${dir}: directory ${parent} does not exist`);
  }
  try {
    mkdirSync(path);
    rmdirSync(path);
  } catch (err) {
    throw new LoopwatchError('OUTPUT_UNWRITABLE', `${option} ${dir}: cannot make it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * A file loopwatch will write, checked now so that no run ends with nowhere to put its
 * report: its directory exists, it is not a directory, and it can be opened for writing
 * (a path under /proc passes the first two and fails this).
 */
export function checkOutputFile(option: string, file: string, cwd: string): string {
  const path = resolve(cwd, file);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new LoopwatchError('OUTPUT_UNWRITABLE', `${option} ${file}: directory ${dir} does not exist`);
  }
  if (existsSync(path) && statSync(path).isDirectory()) throw new LoopwatchError('OUTPUT_UNWRITABLE', `${option} ${file}: is a directory`);
  const existed = existsSync(path);
  try {
    closeSync(openSync(path, existed ? 'r+' : 'wx'));
    if (!existed) unlinkSync(path);
  } catch (err) {
    throw new LoopwatchError('OUTPUT_UNWRITABLE', `${option} ${file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return path;
}

export interface OutputContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where the text report and annotations go: stderr in `run` (stdout is the program's), stdout in `check`. */
  streamFor: 'stderr' | 'stdout';
  /** Relative paths in the gate's outputs start here (the project root). */
  root: string;
  /** Shown at the end of the text verdict when the budget is broken. */
  exitCode?: number;
}

/** Writes every reporter. Returns the failures, each already said on stderr with its code. */
export function writeOutputs(report: Report, specs: ReporterSpec[], ctx: OutputContext): LoopwatchError[] {
  const failures: LoopwatchError[] = [];
  const stream = ctx.streamFor === 'stderr' ? ctx.stderr : ctx.stdout;
  // Where the files went, said last, after the text report.
  const written: string[] = [];
  for (const spec of specs) {
    try {
      if (spec.name === 'cpuprofile') {
        written.push(writeCpuProfiles(report, spec.file!));
        continue;
      }
      const text = render(report, spec.name, ctx, stream);
      if (spec.file === undefined) safeWrite(stream, text);
      else if (spec.file === '-') safeWrite(ctx.stdout, text);
      else writeFileSync(spec.file, text);
      if (spec.name === 'github') appendStepSummary(report, ctx);
      if (spec.name === 'html' && spec.file !== undefined && spec.file !== '-') written.push(`HTML report: ${spec.file}`);
    } catch (err) {
      const failure =
        err instanceof LoopwatchError
          ? err
          : new LoopwatchError('REPORT_FAILED', `could not write the ${spec.name} report${spec.file && spec.file !== '-' ? ` to ${spec.file}` : ''}: ${printable((err as Error).message)}`);
      failures.push(failure);
      safeWrite(ctx.stderr, failure.toLine() + '\n');
    }
  }
  for (const line of written) safeWrite(ctx.stderr, `loopwatch: ${line}\n`);
  return failures;
}

/** One `.cpuprofile` per event-loop stall that has samples, named by its place in the report. */
function writeCpuProfiles(report: Report, dir: string): string {
  // Its parent was there when the options were checked: one level to make, never a recursive mkdir.
  if (!existsSync(dir)) mkdirSync(dir);
  let count = 0;
  report.stalls.forEach((stall, i) => {
    const profile = stallToCpuProfile(stall, report.frames);
    if (!profile) return;
    writeFileSync(join(dir, cpuProfileFileName(report, i)), JSON.stringify(profile));
    count += 1;
  });
  return `${count} CPU ${count === 1 ? 'profile' : 'profiles'} (one per sampled stall) in ${dir}`;
}

function render(report: Report, name: ReporterName, ctx: OutputContext, stream: { isTTY?: boolean }): string {
  switch (name) {
    case 'text': {
      const color = useColor(ctx.env, stream);
      let text = reportToText(report, { cwd: ctx.cwd, color });
      const verdictOptions: { cwd: string; color: boolean; exitCode?: number } = { cwd: ctx.cwd, color };
      if (ctx.exitCode !== undefined) verdictOptions.exitCode = ctx.exitCode;
      if (report.verdict) text += verdictToText(report.verdict, verdictOptions);
      return text;
    }
    case 'json':
      return reportToJson(report);
    case 'html':
      return reportToHtml(report, { cwd: ctx.cwd });
    case 'cpuprofile':
      return '';
    case 'github':
      return reportToGithub(report, githubWorkspace(ctx));
    case 'junit':
      return reportToJunit(report, ctx.root);
    case 'markdown':
      return reportToMarkdown(report, ctx.root);
  }
}

/** On GitHub Actions, the summary of the step gets the Markdown report too. */
function appendStepSummary(report: Report, ctx: OutputContext): void {
  const file = ctx.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  try {
    appendFileSync(file, reportToMarkdown(report, githubWorkspace(ctx)));
  } catch (err) {
    throw new LoopwatchError('REPORT_FAILED', `could not append to $GITHUB_STEP_SUMMARY (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Annotation paths are relative to the repository root: GITHUB_WORKSPACE on Actions, else the project root. */
function githubWorkspace(ctx: OutputContext): string {
  return ctx.env.GITHUB_WORKSPACE ? resolve(ctx.env.GITHUB_WORKSPACE) : ctx.root;
}

/** Colour only on a terminal, and never with NO_COLOR (https://no-color.org). */
function useColor(env: NodeJS.ProcessEnv, stream: { isTTY?: boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

/**
 * Exports a report's stalls over OTLP. Never fails the command: what went wrong is one
 * warning. The SDK and exporters are loaded only here.
 */
export async function exportToOtlp(report: Report, otlp: OtlpOptions, stderr: NodeJS.WritableStream): Promise<void> {
  const where = otlp.endpoint ?? 'the OTEL_EXPORTER_OTLP_* endpoint';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { exportReport } = require('../otel/export-report') as typeof import('../otel/export-report');
    const result = await exportReport(report, otlp);
    if (result.problem) safeWrite(stderr, `loopwatch: warning: OpenTelemetry export to ${where} failed: ${printable(result.problem, 300)}\n`);
    else safeWrite(stderr, `loopwatch: exported ${result.spans} ${result.spans === 1 ? 'span' : 'spans'} over OTLP (${otlp.protocol}) to ${where}\n`);
  } catch (err) {
    safeWrite(stderr, `loopwatch: warning: OpenTelemetry export to ${where} failed: ${printable((err as Error).message, 300)}\n`);
  }
}

/**
 * Writes to a stream that may be broken or full (stderr closed by `| true`, or /dev/full):
 * a report that cannot be printed must never turn into an exception, or into an exit
 * status other than the program's.
 */
export function safeWrite(stream: NodeJS.WritableStream, text: string): void {
  try {
    stream.write(text, () => {});
  } catch {
    // Nowhere left to say it.
  }
}
