import { EXIT } from '../errors';
import type { CliIo } from './main';
import { VERSION } from './version';
import type { OtlpOptions } from '../otel/export-report';
import { exportToOtlp, writeOutputs, type ReporterSpec } from './outputs';
import { readReportInput } from './report';
import { nothingWatched } from './run';

/** `loopwatch report <recording or report.json>`: the same report again, in any format, and to OpenTelemetry. */
export async function reportCommand(input: string, reporters: ReporterSpec[], otlp: OtlpOptions | undefined, io: CliIo): Promise<number> {
  const report = readReportInput(input, VERSION);
  if (report.processes.length === 0) throw nothingWatched(report.command);
  const failures = writeOutputs(report, reporters, { ...io, streamFor: 'stderr', root: report.cwd });
  if (otlp) await exportToOtlp(report, otlp, io.stderr);
  return failures.length > 0 ? EXIT.NOT_WATCHED : EXIT.OK;
}
