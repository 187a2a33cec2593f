import { writeSync } from 'node:fs';
import { debuglog, format } from 'node:util';

/**
 * `NODE_DEBUG=loopwatch` shows what the agent could not do; otherwise it stays silent.
 *
 * Written as util.debuglog writes (`LOOPWATCH <pid>: ...`), but straight to fd 2 and never
 * through process.stderr: that stream is the program's, and a write to it when stderr is
 * closed (`2>&1 >/dev/null | true`) raises EPIPE in the program as an unhandled 'error'
 * event, which ended a program that writes nothing to stderr itself with status 1. A line
 * that cannot be written is dropped.
 */
const enabled = debuglog('loopwatch').enabled;

export function debug(message: string, ...args: unknown[]): void {
  if (!enabled) return;
  try {
    writeSync(2, `LOOPWATCH ${process.pid}: ${format(message, ...args)}\n`);
  } catch {
    // stderr closed, full or gone: the line is lost, the program is not.
  }
}
