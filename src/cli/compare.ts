import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LoopwatchError } from '../errors';
import { baselineFromReport, diffReports, type BaselineEntry } from '../gate/baseline';
import { projectRoot } from '../gate/root';
import { describeKey } from '../gate/keys';
import { printable } from '../report/printable';
import { formatMs } from '../report/to-text';
import type { CliIo } from './main';
import { VERSION } from './version';
import { checkOutputFile, safeWrite } from './outputs';
import { readReportInput } from './report';
import { nothingWatched } from './run';

/** `loopwatch baseline save report.json`: the report's call sites, keyed to survive unrelated edits. */
export function baselineSave(input: string, opts: { out: string }, io: CliIo): number {
  const out = checkOutputFile('--out', opts.out, io.cwd);
  const report = readReportInput(input, VERSION);
  if (report.processes.length === 0) throw nothingWatched(report.command);
  const root = projectRoot(io.cwd);
  const baseline = baselineFromReport(report, root);
  writeFileSync(out, JSON.stringify(baseline, null, 2) + '\n');
  safeWrite(io.stderr, `loopwatch: saved ${baseline.callSites.length} call site${baseline.callSites.length === 1 ? '' : 's'} to ${out}\n`);
  return 0;
}

/** `loopwatch diff old.json new.json`: what is new, gone, better and worse. */
export function diffCommand(before: string, after: string, opts: { tolerance: string }, io: CliIo): number {
  const tolerance = Number(opts.tolerance);
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new LoopwatchError('USAGE', `--tolerance takes a percentage (0 or more), not '${opts.tolerance}'`);
  const old = readReportInput(before, VERSION);
  const now = readReportInput(after, VERSION);
  const diff = diffReports(old, now, resolve(old.cwd), resolve(now.cwd), tolerance);
  const line = (e: BaselineEntry) => `  ${printable(describeKey(e, e.line))} (${e.kind}): ${formatMs(e.maxMs)} max, ${e.count} in all`;
  const lines = [`loopwatch diff: ${diff.added.length} new, ${diff.removed.length} gone, ${diff.worse.length} worse, ${diff.better.length} better, ${diff.unchanged} unchanged (tolerance ${tolerance}%)`];
  if (diff.added.length > 0) lines.push('new:', ...diff.added.map(line));
  if (diff.worse.length > 0) lines.push('worse:', ...diff.worse.map(({ before: b, after: a }) => `${line(a)} (was ${formatMs(b.maxMs)})`));
  if (diff.better.length > 0) lines.push('better:', ...diff.better.map(({ before: b, after: a }) => `${line(a)} (was ${formatMs(b.maxMs)})`));
  if (diff.removed.length > 0) lines.push('gone:', ...diff.removed.map(line));
  safeWrite(io.stdout, lines.join('\n') + '\n');
  return 0;
}
