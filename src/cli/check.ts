import { EXIT, LoopwatchError } from '../errors';
import { evaluate } from '../gate/evaluate';
import type { Budget } from './budget';
import type { CliIo } from './main';
import { VERSION } from './version';
import { safeWrite, writeOutputs, type ReporterSpec } from './outputs';
import { readReportInput } from './report';
import { nothingWatched } from './run';

/**
 * `loopwatch check report.json`: the gate on its own, for CI pipelines that record in
 * one step and gate in another. Exits BUDGET_BROKEN when the report breaks the budget,
 * NOT_WATCHED when the report watched no process (never an all-clear).
 */
export function checkCommand(input: string, budget: Budget, reporters: ReporterSpec[], io: CliIo): number {
  if (!budget.gate) {
    throw new LoopwatchError(
      'USAGE',
      'no budget to check against: add loopwatch.config.json (or "loopwatch" in package.json), or give --config <file>, --fail-on-stall <ms>, --max-total-blocked <ms> or --baseline <file>',
    );
  }
  const report = readReportInput(input, VERSION);
  if (report.processes.length === 0) throw nothingWatched(report.command);
  report.verdict = evaluate(report, budget.gate);
  const status = report.verdict.passed ? EXIT.OK : EXIT.BUDGET_BROKEN;
  if (report.exitCode !== 0) {
    safeWrite(io.stderr, `loopwatch: note: the command of this report failed (exit status ${report.exitCode}); this checks its budget only\n`);
  }
  const failures = writeOutputs(report, reporters, { ...io, streamFor: 'stdout', root: budget.root, exitCode: status });
  if (failures.length > 0 && status === EXIT.OK) return EXIT.NOT_WATCHED;
  return status;
}
