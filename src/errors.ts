/**
 * Errors loopwatch reports to its user. Each has a stable code and a message that
 * names what is wrong; usage errors exit with status 2 before anything is run.
 */

export type ErrorCode =
  | 'USAGE'
  | 'SCRIPT_NOT_FOUND'
  | 'COMMAND_NOT_FOUND'
  | 'RECORDING_UNREADABLE'
  | 'RECORDING_VERSION'
  | 'REPORT_UNWRITABLE';

export const USAGE_EXIT_CODE = 2;

export class LoopwatchError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number = USAGE_EXIT_CODE,
  ) {
    super(message);
    this.name = 'LoopwatchError';
  }
}
