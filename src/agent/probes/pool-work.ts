import type { PoolWorkRecord } from '../../recording/schema';
import { framesOf, holdStack, type HeldStack } from '../stack';
import { epochNow } from './clock';
import { callThrough, shellLike, type AnyFunction } from './wrap';

/**
 * Tracking of the work the program hands to libuv's threadpool through callback APIs
 * (dns.lookup, crypto.pbkdf2, zlib.gzip...). Each call keeps its start time and a raw
 * stack (a few microseconds; not formatted). When its callback runs at least the
 * threshold after the call, the work is recorded with its stack: that is the work that
 * fills the pool when it starves. Work still running when the process exits is
 * recorded then.
 *
 * Promise APIs (dns.promises.lookup) are not tracked: watching a promise means adding
 * a handler to it, and a handled promise no longer reports its unhandled rejection.
 */
export interface PoolWorkSink {
  thresholdMs: number;
  /** Takes recorded work; `make` builds the record, formatting its stack (see SyncCallSink). */
  record(make: () => PoolWorkRecord): void;
}

interface InFlight {
  operation: string;
  category: string;
  start: number;
  stack: HeldStack;
  target: string | undefined;
}

export class PoolWorkTracker {
  private readonly inFlight = new Set<InFlight>();

  constructor(private readonly sink: PoolWorkSink) {}

  /**
   * A replacement for `original` that tracks calls made with a callback (its last
   * argument). Calls without one (a sync randomBytes(n), a call the original rejects)
   * go to `otherwise`, or straight to the original.
   */
  tracked(
    operation: string,
    category: string,
    original: AnyFunction,
    options: { target?: (args: IArguments) => string | undefined; otherwise?: AnyFunction } = {},
  ): AnyFunction {
    const tracker = this;
    const fallback = options.otherwise ?? original;
    const replacement = shellLike(original, (self, args, newTarget) => {
      const last = args.length > 0 ? args[args.length - 1] : undefined;
      if (newTarget || typeof last !== 'function') return callThrough(fallback, self, args, newTarget);
      const passed = Array.prototype.slice.call(args);
      const work = tracker.watch(operation, category, replacement, options.target?.(args));
      passed[passed.length - 1] = tracker.onDone(work, last as AnyFunction);
      try {
        return Reflect.apply(original, self, passed);
      } catch (err) {
        // Rejected at the call (bad arguments): no work was queued.
        tracker.inFlight.delete(work);
        throw err;
      }
    });
    return replacement;
  }

  private watch(operation: string, category: string, replacement: AnyFunction, target: string | undefined): InFlight {
    const work: InFlight = { operation, category, start: epochNow(), stack: holdStack(replacement), target };
    this.inFlight.add(work);
    return work;
  }

  /** The callback handed to the original: notes the end of the work, then calls the program's. */
  private onDone(work: InFlight, callback: AnyFunction): AnyFunction {
    const tracker = this;
    return function (this: unknown): unknown {
      tracker.finish(work, epochNow(), false);
      return Reflect.apply(callback, this, arguments);
    };
  }

  private finish(work: InFlight, end: number, inProgressAtExit: boolean): void {
    if (!this.inFlight.delete(work)) return;
    if (end - work.start < this.sink.thresholdMs) return;
    try {
      this.sink.record(() => {
        const { operation, category, start, target } = work;
        const record: PoolWorkRecord = { type: 'poolWork', operation, category, start, end, inProgressAtExit, frames: framesOf(work.stack) };
        if (target !== undefined) record.target = target;
        return record;
      });
    } catch {
      // Tracking must never break the program's callback.
    }
  }

  /** At exit: the work still waiting for its callback. */
  flush(): void {
    const now = epochNow();
    for (const work of [...this.inFlight]) this.finish(work, now, true);
  }
}
