/**
 * What loopwatch exits with, and the errors it reports to its user. Each error has a
 * stable code, shown after its message (`[ERR_LOOPWATCH_CONFIG]`), and an exit status.
 *
 * Exit statuses, in the order a run decides them:
 * - the command's own status when it failed (128 + the signal number when a signal
 *   ended it): the program's failure always wins;
 * - 2: loopwatch was used wrongly (an option, the configuration, a file it cannot
 *   read or write), said before anything runs;
 * - 4: nothing could be said: no Node.js process was watched, a watched process's
 *   recording cannot be read, or the report could not be made; never an all-clear;
 * - 3: the program passed, but the run broke its budget (`loopwatch check`, a
 *   configuration, `--fail-on-stall`);
 * - 0: the program passed and so did the budget, if one was given.
 */
import { printable } from './report/printable';

/** An error's line is cut after this many characters of message (a 10,000-character path is data, not a message). */
const MAX_MESSAGE_LENGTH = 1000;

export const EXIT = {
  OK: 0,
  /** loopwatch itself failed unexpectedly (a bug: the message has the stack). */
  INTERNAL: 1,
  USAGE: 2,
  BUDGET_BROKEN: 3,
  NOT_WATCHED: 4,
} as const;

/** Kept for the modules that speak of usage errors by this name. */
export const USAGE_EXIT_CODE = EXIT.USAGE;

const CODES = {
  USAGE: EXIT.USAGE,
  CONFIG: EXIT.USAGE,
  SCRIPT_NOT_FOUND: EXIT.USAGE,
  COMMAND_NOT_FOUND: EXIT.USAGE,
  COMMAND_NOT_EXECUTABLE: EXIT.USAGE,
  OUTPUT_UNWRITABLE: EXIT.USAGE,
  RECORDING_UNREADABLE: EXIT.USAGE,
  RECORDING_VERSION: EXIT.USAGE,
  NOT_A_RECORDING: EXIT.USAGE,
  REPORT_UNREADABLE: EXIT.USAGE,
  BASELINE_UNREADABLE: EXIT.USAGE,
  /** monitor() in a process loopwatch already watches. */
  ALREADY_RUNNING: EXIT.USAGE,
  NOTHING_WATCHED: EXIT.NOT_WATCHED,
  REPORT_FAILED: EXIT.NOT_WATCHED,
} as const;

export type ErrorCode = keyof typeof CODES;

export class LoopwatchError extends Error {
  readonly exitCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    exitCode?: number,
  ) {
    super(message);
    this.name = 'LoopwatchError';
    this.exitCode = exitCode ?? CODES[code];
  }

  /** `ERR_LOOPWATCH_CONFIG`: what scripts and searches can match on. */
  get fullCode(): string {
    return `ERR_LOOPWATCH_${this.code}`;
  }

  /**
   * The one line loopwatch prints for it. A message can hold what a user or a program
   * gave (a path, an option, a script's name): its control characters are shown escaped,
   * so that it stays one line and cannot act on the terminal or start a CI log command.
   */
  toLine(): string {
    return `loopwatch: ${printable(this.message, MAX_MESSAGE_LENGTH)} [${this.fullCode}]`;
  }
}
