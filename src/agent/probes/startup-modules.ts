import { MAX_STARTUP_MODULES, MIN_STARTUP_MODULE_MS, type StartupModule } from '../../recording/schema';
import { now, phaseAt, toEpoch } from './clock';
import type { AnyFunction, Around } from './wrap';

interface Loading {
  request: string;
  parent: string | null;
  start: number;
  depth: number;
}

/**
 * Every require() before the event loop's first turn, nested ones too, each timed from
 * the call to its return (two clock reads and a small object a call, at startup only;
 * afterwards a call costs one comparison). What the startup section of the report is made
 * of: the sync-call probe times only the outermost call, and only long ones.
 */
export class StartupModules {
  private readonly modules: StartupModule[] = [];
  private readonly omitted = { count: 0, totalMs: 0 };
  private depth = 0;
  private done = false;

  /** Timing of Module.prototype.require's calls (`this` is the calling module). */
  readonly around: Around<Loading> = {
    enter: (self, args) => {
      if (this.done) return undefined;
      try {
        const start = now();
        if (phaseAt(start) === 'run') {
          this.done = true;
          return undefined;
        }
        const request: unknown = args[0];
        const filename = (self as { filename?: unknown } | null)?.filename;
        // A request that is not a string makes require() throw; its name here must not.
        const loading = { request: typeof request === 'string' ? request : typeof request, parent: typeof filename === 'string' ? filename : null, start, depth: this.depth };
        this.depth += 1;
        return loading;
      } catch {
        return undefined;
      }
    },
    exit: (loading) => {
      this.depth -= 1;
      try {
        const durationMs = now() - loading.start;
        if (durationMs < MIN_STARTUP_MODULE_MS || this.modules.length >= MAX_STARTUP_MODULES) {
          this.omitted.count += 1;
          this.omitted.totalMs += durationMs;
          return;
        }
        this.modules.push({ request: loading.request, parent: loading.parent, start: toEpoch(loading.start), durationMs, depth: loading.depth });
      } catch {
        // Timing must never break the program's require().
      }
    },
  };

  /** The modules timed so far, in call order, and what was left out; timing stops. */
  take(): { modules: StartupModule[]; omitted: { count: number; totalMs: number } } {
    this.done = true;
    return { modules: [...this.modules].sort((a, b) => a.start - b.start), omitted: this.omitted };
  }
}

/** Both timings of one require() call: the startup list's, and the sync-call probe's when it timed the call. */
class BothTimings {
  constructor(
    readonly loading: Loading,
    readonly probe: number | undefined,
  ) {}
}

/**
 * One replacement for require() doing what both want: the startup list's timing around
 * the sync-call probe's (which times only outermost calls), each only while it wants to.
 */
export function requireTimings(startup: StartupModules, probe: Around<number> | undefined): Around<BothTimings | number> {
  return {
    enter(self: unknown, args: IArguments, newTarget: AnyFunction | undefined) {
      const loading = startup.around.enter(self, args, newTarget);
      const timed = probe?.enter(self, args, newTarget);
      return loading === undefined ? timed : new BothTimings(loading, timed);
    },
    exit(state: BothTimings | number, args: IArguments, shell: AnyFunction, threw: boolean) {
      if (!(state instanceof BothTimings)) {
        probe?.exit(state, args, shell, threw);
        return;
      }
      if (state.probe !== undefined) probe?.exit(state.probe, args, shell, threw);
      startup.around.exit(state.loading, args, shell, threw);
    },
  };
}
