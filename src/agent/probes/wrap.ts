/**
 * Replacing a function of a Node.js module without the program being able to tell, and
 * putting it back.
 *
 * The replacement is called the same way (`this`, arguments, `new`), returns what the
 * original returns and throws what it throws, and carries the original's own
 * properties: `name`, `length`, `prototype`, `fs.realpathSync.native`, the symbols
 * `util.promisify` reads (`dns.lookup`'s custom promisify arguments), each with its
 * descriptor. The module's property keeps its descriptor too. It is one stack frame of
 * loopwatch's, which the program's error stacks do not show (see own-frames.ts). What
 * still tells: Function.prototype.toString shows the replacement's source, and
 * `prototype.constructor` is the original.
 */
import { originalOf as ownOriginalOf, originals } from '../../contract/own-code';
import { enter, leave } from './own-frames';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type AnyFunction = Function;

/**
 * Replacement -> original, shared with every other copy of loopwatch in this thread
 * (contract/own-code.ts): none wraps what another replaced. A WeakMap, not a property:
 * the replacement's own keys stay the original's.
 */

/** Copies every own property of `from` onto `to`, descriptors included. */
function copyOwnProperties(from: AnyFunction, to: AnyFunction): void {
  for (const key of Reflect.ownKeys(from)) {
    const descriptor = Object.getOwnPropertyDescriptor(from, key)!;
    const existing = Object.getOwnPropertyDescriptor(to, key);
    if (existing && !existing.configurable) {
      // A plain function's `prototype` is not configurable but writable: it can take the
      // original's value, and become read-only as a class's is.
      if (existing.writable) Object.defineProperty(to, key, { value: descriptor.value, writable: descriptor.writable });
      continue;
    }
    Object.defineProperty(to, key, descriptor);
  }
}

/**
 * What a replacement does around one call. `enter` runs before the original and returns
 * undefined to let the call through untouched, or a state of the call's own, which
 * `exit` gets when the original returned or threw; `argsFor` may give the original
 * other arguments for it (a wrapped callback). None of them is on the stack while the
 * original runs, and the state is the only allocation, when there is one.
 */
export interface Around<State> {
  enter(self: unknown, args: IArguments, newTarget: AnyFunction | undefined): State | undefined;
  /** `shell` is the replacement itself: a stack captured here can start below it. `threw`: the original threw. */
  exit(state: State, args: IArguments, shell: AnyFunction, threw: boolean): void;
  argsFor?(state: State, args: IArguments): ArrayLike<unknown>;
}

/**
 * A function that runs `around` and calls `original`, of the same shape as `original`: a
 * constructible function with a `prototype` when the original has one, otherwise a
 * method, which has neither (an arrow function like fs.realpathSync.native has none).
 */
export function shellLike<State>(original: AnyFunction, around: Around<State>): AnyFunction {
  // The two shapes share one body, written out in each: a helper they both called would
  // be a second frame of loopwatch's under every call the program makes.
  if (Object.prototype.hasOwnProperty.call(original, 'prototype')) {
    const shell = function (this: unknown) {
      const state = around.enter(this, arguments, new.target);
      const passed = state !== undefined && around.argsFor ? around.argsFor(state, arguments) : arguments;
      const raised = enter();
      let threw = true;
      try {
        const result = new.target ? Reflect.construct(original, passed, new.target) : Reflect.apply(original, this, passed);
        threw = false;
        return result;
      } finally {
        leave(raised);
        if (state !== undefined) around.exit(state, arguments, shell, threw);
      }
    };
    return shell;
  }
  const method = {
    method(this: unknown) {
      const state = around.enter(this, arguments, undefined);
      const passed = state !== undefined && around.argsFor ? around.argsFor(state, arguments) : arguments;
      const raised = enter();
      let threw = true;
      try {
        const result = Reflect.apply(original, this, passed);
        threw = false;
        return result;
      } finally {
        leave(raised);
        if (state !== undefined) around.exit(state, arguments, method, threw);
      }
    },
  }.method;
  return method;
}

/** A replacement that calls through untouched (for tests). */
export const PASS_THROUGH: Around<never> = { enter: () => undefined, exit: () => {} };

interface Replaced {
  owner: object;
  key: string;
  descriptor: PropertyDescriptor;
  replacement: AnyFunction;
}

/**
 * A set of replacements that can be undone together: `restore` puts every original back,
 * except where the program (or another tool) replaced loopwatch's function in turn: that
 * one is theirs now, and loopwatch's inside it keeps calling through.
 */
export class Replacements {
  private readonly done: Replaced[] = [];

  /**
   * Replaces `owner[key]` by `makeReplacement(original)`, made to look like the original.
   * Returns false, changing nothing, when there is no such function, it is not
   * replaceable, or it was replaced already.
   */
  replace(owner: object, key: string, makeReplacement: (original: AnyFunction) => AnyFunction): boolean {
    const descriptor = Object.getOwnPropertyDescriptor(owner, key);
    if (!descriptor || typeof descriptor.value !== 'function') return false;
    if (!descriptor.writable && !descriptor.configurable) return false;
    const original = descriptor.value as AnyFunction;
    if (originals.has(original)) return false;
    const replacement = makeReplacement(original);
    copyOwnProperties(original, replacement);
    originals.set(replacement, original);
    Object.defineProperty(owner, key, { ...descriptor, value: replacement });
    this.done.push({ owner, key, descriptor, replacement });
    return true;
  }

  /** Puts the originals back; returns how many could not be (replaced again by someone else). */
  restore(): number {
    let kept = 0;
    for (const { owner, key, descriptor, replacement } of this.done.reverse()) {
      if (Object.getOwnPropertyDescriptor(owner, key)?.value === replacement) Object.defineProperty(owner, key, descriptor);
      else kept += 1;
    }
    this.done.length = 0;
    return kept;
  }
}

/** Replaces one function for good (tests; the agent uses a Replacements set). */
export function replaceFunction(owner: object, key: string, makeReplacement: (original: AnyFunction) => AnyFunction): boolean {
  return new Replacements().replace(owner, key, makeReplacement);
}

/** The function a replacement stands for (for tests and for loopwatch's own use). */
export function originalOf<F extends AnyFunction>(fn: F): F {
  return ownOriginalOf(fn);
}
