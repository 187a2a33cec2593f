import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileSourceLines } from '../attribution/source';
import { fileSourceMaps } from '../attribution/source-maps';
import { LoopwatchError } from '../errors';
import { loadAjv } from '../gate/lazy';
import { readRecording, threadIdOf, unreadableFilesError, type DecodedRecording } from '../recording/decode';
import { RUN_MANIFEST_FILE } from '../recording/schema';
import { buildReport, MAX_GC_PAUSES, summarizeCallSites, type RunInfo } from '../report/build-report';
import { MAX_STACKS, MAX_STACKS_PER_STALL } from '../report/samples-to-profiles';
import { REPORT_SCHEMA_VERSION, type Report } from '../report/schema';

/**
 * Run information for a saved recording: what `loopwatch run` wrote in run.json, so that
 * the recording gives the report its run gave; else (a recording of loopwatch/register,
 * or a run whose loopwatch was stopped before the command ended) what its processes wrote.
 */
export function runInfoFromRecording(recording: DecodedRecording, toolVersion: string): RunInfo {
  const processes = recording.processes.filter((p) => threadIdOf(p) === 0);
  const manifest = recording.manifest;
  const first = processes[0];
  const startedAt = manifest?.startedAt ?? Math.min(...processes.map((p) => p.process.startedAt));
  const endedAt = Math.max(...processes.map((p) => p.exit?.at ?? p.lastSeenAt));
  const fromProcesses = Number.isFinite(endedAt - startedAt) ? endedAt - startedAt : 0;
  return {
    command: manifest?.command ?? (first ? first.process.argv : []),
    cwd: manifest?.cwd ?? (first ? first.process.cwd : process.cwd()),
    thresholdMs: manifest?.thresholdMs ?? (first ? first.process.thresholdMs : 0),
    startedAt: Number.isFinite(startedAt) ? startedAt : 0,
    durationMs: manifest?.durationMs ?? fromProcesses,
    exitCode: manifest?.exitCode ?? first?.exit?.exitCode ?? 0,
    signal: manifest ? manifest.signal : null,
    toolVersion: manifest?.tool.version ?? toolVersion,
    commandPid: manifest?.pid ?? null,
  };
}

/**
 * Builds the report of a recording, reading the program's source lines where attribution
 * needs them. What the recording itself holds that a reader should know (records skipped,
 * unreadable lines, a run that did not end) comes first in the report's warnings.
 */
export function reportFromRecording(recording: DecodedRecording, run: RunInfo): Report {
  let report: Report;
  try {
    report = buildReport(recording, run, { source: fileSourceLines(), maps: fileSourceMaps() });
  } catch (err) {
    throw new LoopwatchError('REPORT_FAILED', `could not make the report of ${recording.dir}: ${(err as Error).message}`);
  }
  const warnings = [...recording.warnings];
  if (recording.manifest && recording.manifest.durationMs === null) {
    warnings.push(
      `${join(recording.dir, RUN_MANIFEST_FILE)}: the run never ended (loopwatch was stopped before its command ended?): its duration and exit status are what its processes wrote`,
    );
  }
  for (const { file, problem } of recording.unreadableFiles) {
    warnings.push(`${file}: a watched process whose data cannot be read: ${problem}; it is not in this report`);
  }
  report.warnings = [...warnings, ...report.warnings];
  return report;
}

const REPORT_SHAPE = {
  type: 'object',
  required: ['schemaVersion', 'thresholdMs', 'processes', 'stalls', 'callSites', 'syncIo', 'totals'],
  properties: {
    schemaVersion: { const: REPORT_SCHEMA_VERSION },
    thresholdMs: { type: 'number' },
    processes: { type: 'array' },
    stalls: { type: 'array' },
    callSites: { type: 'array' },
    syncIo: { type: 'object', required: ['callSites', 'belowThreshold', 'totals'] },
  },
} as const;

/**
 * What `check`, `report` and `baseline` read: a JSON report saved with `--json` (or
 * `--reporter json`), or a recording directory kept with `--recording`, reported now.
 */
export function readReportInput(path: string, toolVersion: string): Report {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw new LoopwatchError('REPORT_UNREADABLE', `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  if (isDir) {
    const recording = readRecording(path);
    // A process whose data cannot be read would be left out of the report: never a report (or a verdict) without it.
    const unreadable = unreadableFilesError(recording);
    if (unreadable) throw unreadable;
    return reportFromRecording(recording, runInfoFromRecording(recording, toolVersion));
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LoopwatchError('REPORT_UNREADABLE', `${path}: not a loopwatch JSON report (${(err as Error).message})`);
  }
  const Ajv = loadAjv();
  const validate = new Ajv().compile(REPORT_SHAPE);
  if (!validate(value)) {
    const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
    const why =
      version !== undefined && version !== REPORT_SCHEMA_VERSION
        ? `schema version ${JSON.stringify(version)}; this loopwatch reads version ${REPORT_SCHEMA_VERSION}`
        : `${validate.errors?.[0]?.instancePath || 'the top level'} ${validate.errors?.[0]?.message ?? 'is not valid'}`;
    throw new LoopwatchError('REPORT_UNREADABLE', `${path}: not a loopwatch JSON report (${why})`);
  }
  // Version 2 reports written before these fields read as reports without them.
  const report = value as Report;
  report.cwd ??= process.cwd();
  report.warnings ??= [];
  report.frames ??= [];
  report.gcPauses ??= [];
  report.limits ??= { stacksPerStall: MAX_STACKS_PER_STALL, stacks: MAX_STACKS, gcPauses: MAX_GC_PAUSES, omittedStacks: 0, omittedStackMs: 0, omittedGcPauses: 0 };
  for (const p of report.processes) {
    p.unwatchedThreads ??= [];
    p.figuresAt ??= null;
  }
  // Reports written before call sites had parts had a row per line and operation: one row per line again, from their stalls.
  if (report.callSites.some((site) => !Array.isArray(site.parts))) report.callSites = summarizeCallSites(report.stalls.filter((s) => s.kind === 'event-loop'), report.frames);
  return report;
}
