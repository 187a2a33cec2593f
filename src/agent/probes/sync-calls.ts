import type { SyncCallRecord, SyncCallTotal } from '../../recording/schema';
import { framesOf, holdStack } from '../stack';
import { now, phaseAt, toEpoch } from './clock';
import { callThrough, shellLike, type AnyFunction } from './wrap';

/**
 * Timing of synchronous calls. Every outermost call is counted; one that took at least the
 * sync-I/O threshold also has its caller's stack captured, raw (a few microseconds), and
 * goes to the sink, which formats and writes it after the call.
 * A fast call costs two clock reads (about 85 ns each on
 * the development machine) and a few additions.
 *
 * Calls made while another probed call is running (the readFileSync inside a
 * require, the openSync inside a readFileSync) belong to the outer call: only the
 * outermost is timed, so no time is counted twice.
 */
export interface SyncCallSink {
  thresholdMs: number;
  /**
   * Takes a recorded call. `make` builds the record: it formats the caller's stack,
   * held raw until then, so the sink can do that after the call has returned.
   */
  record(make: () => SyncCallRecord): void;
}

interface Totals {
  count: number;
  totalMs: number;
  maxMs: number;
}

/** One probed operation (`fs.readFileSync`): what it is called, and what its calls added up to. */
class SyncOperation {
  readonly totals = { startup: newTotals(), run: newTotals() };
  constructor(
    readonly operation: string,
    readonly category: string,
  ) {}
}

function newTotals(): Totals {
  return { count: 0, totalMs: 0, maxMs: 0 };
}

let depth = 0;

export class SyncCallProbes {
  private readonly operations: SyncOperation[] = [];

  constructor(private readonly sink: SyncCallSink) {}

  /**
   * A replacement for `original` that times each outermost call. `describe` names what a
   * call was about (the module a require loaded, the file an fs call used), read only
   * for recorded calls.
   */
  timed(operation: string, category: string, original: AnyFunction, describe?: (args: IArguments) => string | undefined): AnyFunction {
    const op = new SyncOperation(operation, category);
    this.operations.push(op);
    const probes = this;
    const replacement = shellLike(original, (self, args, newTarget) => {
      if (depth > 0) return callThrough(original, self, args, newTarget);
      depth += 1;
      const start = now();
      try {
        return callThrough(original, self, args, newTarget);
      } finally {
        depth -= 1;
        probes.done(op, start, replacement, describe ? args : undefined, describe);
      }
    });
    return replacement;
  }

  private done(
    op: SyncOperation,
    start: number,
    replacement: AnyFunction,
    args: IArguments | undefined,
    describe: ((args: IArguments) => string | undefined) | undefined,
  ): void {
    try {
      const durationMs = now() - start;
      const phase = phaseAt(start);
      const totals = op.totals[phase];
      totals.count += 1;
      totals.totalMs += durationMs;
      if (durationMs > totals.maxMs) totals.maxMs = durationMs;
      if (durationMs < this.sink.thresholdMs) return;
      const stack = holdStack(replacement);
      const target = args && describe ? describe(args) : undefined;
      const operation = op.operation;
      const category = op.category;
      this.sink.record(() => {
        const record: SyncCallRecord = { type: 'syncCall', operation, category, start: toEpoch(start), durationMs, phase, frames: framesOf(stack) };
        if (target !== undefined) record.target = target;
        return record;
      });
    } catch {
      // Timing must never break the program's call.
    }
  }

  totals(): SyncCallTotal[] {
    const all: SyncCallTotal[] = [];
    for (const op of this.operations) {
      for (const phase of ['startup', 'run'] as const) {
        const t = op.totals[phase];
        if (t.count > 0) all.push({ operation: op.operation, category: op.category, phase, ...t });
      }
    }
    return all;
  }
}
