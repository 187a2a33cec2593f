import { SYNC_SAMPLE_INTERVAL_MS, type SyncCallRecord, type SyncCallTotal, type SyncSampleRecord } from '../../recording/schema';
import { framesOf, holdStack, type HeldStack } from '../stack';
import { now, phaseAt, toEpoch } from './clock';
import { probeDepth } from './untimed';
import { shellLike, type AnyFunction, type Around } from './wrap';

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
  /**
   * Takes an interval of calls under the threshold after startup, with the one picked among
   * them (SyncSampleRecord); without it, short calls are only counted.
   */
  sample?(make: () => SyncSampleRecord): void;
}

interface Totals {
  count: number;
  totalMs: number;
  maxMs: number;
}

/**
 * The call of an operation picked by sampling, and where its operation's short-call
 * figures stood when it was: the calls it stands for are those from it to the next pick.
 */
interface Pick {
  stack: HeldStack;
  at: number;
  durationMs: number;
  target: string | undefined;
  /** Short calls of the operation counted before it (it included), and their time. */
  baseCount: number;
  baseMs: number;
}

/** One probed operation (`fs.readFileSync`): what it is called, and what its calls added up to. */
class SyncOperation {
  readonly totals = { startup: newTotals(), run: newTotals() };
  /**
   * Short calls after startup: how many are left until the next one is picked (so nearly
   * every call costs one decrement), the mean skip, the call picked last, and the long
   * calls after startup (the totals less these are the short ones).
   */
  skip = 1;
  meanSkip = 1;
  picked: Pick | undefined;
  readonly longRun = newTotals();
  constructor(
    readonly operation: string,
    readonly category: string,
    /** A function of a native addon: the addon it belongs to (SyncCallRecord.addon). */
    readonly addon?: string,
  ) {}
}

function newTotals(): Totals {
  return { count: 0, totalMs: 0, maxMs: 0 };
}

export class SyncCallProbes {
  private readonly operations: SyncOperation[] = [];
  /** Operations with a picked call whose calls are not written yet. */
  private readonly sampling = new Set<SyncOperation>();
  private active = true;

  constructor(private readonly sink: SyncCallSink) {}

  /**
   * A replacement for `original` that times each outermost call. `describe` names what a
   * call was about (the module a require loaded, the file an fs call used), read only
   * for recorded calls.
   */
  timed(operation: string, category: string, original: AnyFunction, describe?: (args: IArguments) => string | undefined): AnyFunction {
    return shellLike(original, this.around(operation, category, describe));
  }

  /**
   * A replacement for a function of a native addon (probes/native.ts), timed as a sync API
   * call is; its records name the addon, so that attribution can tell the addon's own
   * JavaScript wrapper from another package that called it.
   */
  timedAddonCall(operation: string, category: string, addon: string, original: AnyFunction): AnyFunction {
    return shellLike(original, this.aroundOperation(new SyncOperation(operation, category, addon)));
  }

  /** The timing of one operation's calls, for a replacement that also does other things (randomBytes). */
  around(operation: string, category: string, describe?: (args: IArguments) => string | undefined): Around<number> {
    return this.aroundOperation(new SyncOperation(operation, category), describe);
  }

  private aroundOperation(op: SyncOperation, describe?: (args: IArguments) => string | undefined): Around<number> {
    this.operations.push(op);
    const probes = this;
    return {
      enter() {
        if (probeDepth.value > 0 || !probes.active) return undefined;
        probeDepth.value += 1;
        return now();
      },
      exit(start, args, shell) {
        probeDepth.value -= 1;
        probes.done(op, start, shell, describe ? args : undefined, describe);
      },
    };
  }

  /** Off: the replacements call through untimed (those the agent could not put back). */
  stop(): void {
    this.active = false;
    this.writePicks(true);
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
      if (durationMs < this.sink.thresholdMs) {
        if (phase === 'run' && this.sink.sample && --op.skip <= 0) this.pickShortCall(op, start, durationMs, replacement, args, describe);
        return;
      }
      if (phase === 'run') {
        op.longRun.count += 1;
        op.longRun.totalMs += durationMs;
      }
      const stack = holdStack(replacement);
      const target = args && describe ? describe(args) : undefined;
      const operation = op.operation;
      const category = op.category;
      const addon = op.addon;
      this.sink.record(() => {
        const record: SyncCallRecord = { type: 'syncCall', operation, category, start: toEpoch(start), durationMs, phase, frames: framesOf(stack) };
        if (target !== undefined) record.target = target;
        if (addon !== undefined) record.addon = addon;
        return record;
      });
    } catch {
      // Timing must never break the program's call.
    }
  }

  /**
   * A short call after startup picked by sampling: the calls since the previous pick are
   * that one's, and this one stands for those until the next. The skip to the next pick is
   * drawn at random (geometric: every call equally likely to be picked, wherever it is made,
   * so the calls each call site is credited with are an unbiased estimate), with a mean that
   * doubles while picks come more often than every SYNC_SAMPLE_INTERVAL_MS and halves when
   * they come ten times less often: a few stack captures a second per operation, however
   * many calls.
   */
  private pickShortCall(
    op: SyncOperation,
    start: number,
    durationMs: number,
    replacement: AnyFunction,
    args: IArguments | undefined,
    describe: ((args: IArguments) => string | undefined) | undefined,
  ): void {
    const previous = op.picked;
    if (previous) {
      const sincePreviousMs = start - previous.at;
      if (sincePreviousMs < SYNC_SAMPLE_INTERVAL_MS) op.meanSkip = Math.min(op.meanSkip * 2, MAX_MEAN_SKIP);
      else if (sincePreviousMs > 10 * SYNC_SAMPLE_INTERVAL_MS) op.meanSkip = Math.max(1, op.meanSkip / 2);
      // The calls up to this one (not included) were the previous pick's.
      this.writePick(op, previous, start, -1, -durationMs);
    }
    op.skip = geometricSkip(op.meanSkip);
    const short = shortCalls(op);
    op.picked = {
      stack: holdStack(replacement),
      at: start,
      durationMs,
      target: args && describe ? describe(args) : undefined,
      baseCount: short.count - 1,
      baseMs: short.totalMs - durationMs,
    };
    this.sampling.add(op);
  }

  /**
   * Writes the calls each picked call stands for so far, and goes on counting from there:
   * called with the running totals (every second, while the loop is free) and at exit
   * (`final`), so that a process killed outright loses at most a second of them.
   */
  writePicks(final = false): void {
    try {
      for (const op of this.sampling) {
        const picked = op.picked!;
        this.writePick(op, picked, now(), 0, 0);
        if (final) {
          op.picked = undefined;
          this.sampling.delete(op);
        }
      }
    } catch {
      // Sampling must never break the program.
    }
  }

  /** The record of `picked`'s calls, from its base to the operation's short calls now (less `countAdjust`, `msAdjust`). */
  private writePick(op: SyncOperation, picked: Pick, endMs: number, countAdjust: number, msAdjust: number): void {
    const short = shortCalls(op);
    const calls = short.count + countAdjust - picked.baseCount;
    const totalMs = short.totalMs + msAdjust - picked.baseMs;
    picked.baseCount += calls;
    picked.baseMs += totalMs;
    if (calls <= 0) return;
    const { operation, category, addon } = op;
    const { stack, at, durationMs, target } = picked;
    this.sink.sample?.(() => {
      const record: SyncSampleRecord = {
        type: 'syncSample',
        operation,
        category,
        start: toEpoch(at),
        end: toEpoch(endMs),
        calls,
        totalMs: Math.max(0, totalMs),
        at: toEpoch(at),
        durationMs,
        frames: framesOf(stack),
      };
      if (target !== undefined) record.target = target;
      if (addon !== undefined) record.addon = addon;
      return record;
    });
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

/** Most calls between two picks on average: a billion calls a second would still give a pick every 10 ms. */
const MAX_MEAN_SKIP = 10_000_000;

/** An operation's calls under the threshold after startup: all its calls then, less the long ones. */
function shortCalls(op: SyncOperation): { count: number; totalMs: number } {
  const run = op.totals.run;
  return { count: run.count - op.longRun.count, totalMs: run.totalMs - op.longRun.totalMs };
}

/** Calls to the next pick, 1 or more, geometric with mean `mean`: each call picked with probability 1 / mean. */
function geometricSkip(mean: number): number {
  if (mean <= 1) return 1;
  return 1 + Math.floor(Math.log(1 - Math.random()) / Math.log(1 - 1 / mean));
}
