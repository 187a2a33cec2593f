import type { PoolQueue, PoolWorkRecord } from '../../recording/schema';
import { framesOf, holdStack, type HeldStack } from '../stack';
import { epochNow } from './clock';
import { enter, leave } from './own-frames';
import { shellLike, type AnyFunction, type Around } from './wrap';

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
  /** The program submitted work to this queue of the pool: called once per queue, after the first such call. */
  used?(queue: PoolQueue): void;
}

/** A randomBytes(n) without a callback: a sync call, timed by the sync probes. */
interface SyncCall {
  syncStart: number;
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
  private active = true;
  /** The queues the sink was told of. */
  private readonly told = new Set<PoolQueue>();

  constructor(private readonly sink: PoolWorkSink) {}

  /**
   * A replacement for `original` that tracks calls made with a callback (its last
   * argument). Calls without one (a sync randomBytes(n)) are timed by `sync` when given,
   * else go straight to the original, as do calls with `new`.
   */
  tracked(
    operation: string,
    category: string,
    original: AnyFunction,
    options: { target?: (args: IArguments) => string | undefined; sync?: Around<number>; queue?: PoolQueue } = {},
  ): AnyFunction {
    const tracker = this;
    const sync = options.sync;
    const queue = options.queue ?? 'work';
    return shellLike<InFlight | SyncCall>(original, {
      enter(self, args, newTarget) {
        const last = args.length > 0 ? args[args.length - 1] : undefined;
        if (typeof last !== 'function' || newTarget) {
          const start = sync?.enter(self, args, newTarget);
          return start === undefined ? undefined : { syncStart: start };
        }
        if (!tracker.active) return undefined;
        return tracker.watch(operation, category, options.target?.(args));
      },
      argsFor(state, args) {
        if ('syncStart' in state) return args;
        const passed = Array.prototype.slice.call(args);
        passed[passed.length - 1] = tracker.onDone(state, args[args.length - 1] as AnyFunction);
        return passed;
      },
      exit(state, args, shell, threw) {
        if ('syncStart' in state) return sync!.exit(state.syncStart, args, shell, threw);
        // Rejected at the call (bad arguments), the work was never queued: its callback will not run.
        if (threw) tracker.inFlight.delete(state);
        else tracker.queued(queue);
      },
    });
  }

  /**
   * A replacement that only notes that the program used a queue of the pool, for an API
   * whose calls are not tracked (dns.lookupService); its calls go straight through.
   */
  marking(original: AnyFunction, queue: PoolQueue): AnyFunction {
    const tracker = this;
    return shellLike<never>(original, {
      enter() {
        tracker.queued(queue);
        return undefined;
      },
      exit() {},
    });
  }

  /** The program's work reached this queue: the sink hears of it once. */
  queued(queue: PoolQueue): void {
    if (this.told.has(queue) || !this.sink.used) return;
    this.told.add(queue);
    try {
      this.sink.used(queue);
    } catch {
      // Telling must never break the program's call.
    }
  }

  /** Off: calls made from now on are not tracked (work already in flight finishes as it would). */
  stop(): void {
    this.active = false;
  }

  /** Starts tracking a call: its start and its caller's stack, held raw (loopwatch's own frames are left out when it is read). */
  private watch(operation: string, category: string, target: string | undefined): InFlight {
    const work: InFlight = { operation, category, start: epochNow(), stack: holdStack(this.watch), target };
    this.inFlight.add(work);
    return work;
  }

  /** The callback handed to the original: notes the end of the work, then calls the program's. */
  private onDone(work: InFlight, callback: AnyFunction): AnyFunction {
    const tracker = this;
    const done = function (this: unknown): unknown {
      tracker.finish(work, epochNow(), false);
      // V8 names an anonymous callback after the property of `this` that holds it
      // (`GetAddrInfoReqWrap.callback`): that property holds the program's own again.
      if (typeof this === 'object' && this !== null) {
        for (const key of Object.keys(this)) {
          if ((this as Record<string, unknown>)[key] === done) {
            (this as Record<string, unknown>)[key] = callback;
            break;
          }
        }
      }
      // This function is a frame of loopwatch's under the program's callback: room for it (see own-frames.ts).
      const raised = enter();
      try {
        return Reflect.apply(callback, this, arguments);
      } finally {
        leave(raised);
      }
    };
    return done;
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
