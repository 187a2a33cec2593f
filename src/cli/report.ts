import { writeFileSync } from 'node:fs';
import { fileSourceLines } from '../attribution/source';
import type { Recording } from '../recording/decode';
import { buildReport, type RunInfo } from '../report/build-report';
import { reportToText } from '../report/to-text';

export interface ReportOutput {
  jsonFile?: string;
  quiet: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stderr: NodeJS.WriteStream;
}

/**
 * Writes the reports of a recording. Returns false (after saying why on stderr) when
 * a report could not be made, so that the caller keeps the recording.
 */
export function writeReports(recording: Recording, output: ReportOutput, run: RunInfo): boolean {
  try {
    const report = buildReport(recording, run, fileSourceLines());
    if (output.jsonFile) writeFileSync(output.jsonFile, JSON.stringify(report, null, 2) + '\n');
    if (!output.quiet) output.stderr.write(reportToText(report, { cwd: output.cwd, color: useColor(output) }));
    return true;
  } catch (err) {
    output.stderr.write(`loopwatch: could not report: ${(err as Error).message}\n`);
    return false;
  }
}

/** Colour only on a terminal, and never with NO_COLOR (https://no-color.org). */
function useColor(output: ReportOutput): boolean {
  if (output.env.NO_COLOR !== undefined && output.env.NO_COLOR !== '') return false;
  return output.stderr.isTTY === true;
}

/** Run information for a saved recording, from what its processes wrote. */
export function runInfoFromRecording(recording: Recording, toolVersion: string): RunInfo {
  const processes = recording.processes;
  const first = processes[0];
  const startedAt = Math.min(...processes.map((p) => p.process.startedAt));
  const endedAt = Math.max(...processes.map((p) => p.exit?.at ?? p.lastSeenAt));
  return {
    command: first ? first.process.argv : [],
    thresholdMs: first ? first.process.thresholdMs : 0,
    startedAt: Number.isFinite(startedAt) ? startedAt : 0,
    durationMs: Number.isFinite(endedAt - startedAt) ? endedAt - startedAt : 0,
    exitCode: first?.exit?.exitCode ?? 0,
    signal: null,
    toolVersion,
  };
}
