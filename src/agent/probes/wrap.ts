/**
 * Replacing a function of a Node.js module without the program being able to tell.
 *
 * The replacement is called the same way (`this`, arguments, `new`), returns what the
 * original returns and throws what it throws, and carries the original's own
 * properties: `name`, `length`, `prototype`, `fs.realpathSync.native`, the symbols
 * `util.promisify` reads (`dns.lookup`'s custom promisify arguments), each with its
 * descriptor. The module's property keeps its descriptor too. What still tells:
 * Function.prototype.toString shows the replacement's source, `prototype.constructor`
 * is the original, and the stack of an error the original throws has one frame of
 * loopwatch's.
 */

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type AnyFunction = Function;

/** Replacement -> original. A WeakMap, not a property: the replacement's own keys stay the original's. */
const originals = new WeakMap<AnyFunction, AnyFunction>();

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

/** How a replacement runs a call: `newTarget` is set for `new`. */
export type Invoke = (self: unknown, args: IArguments, newTarget: AnyFunction | undefined) => unknown;

/**
 * A function that passes its calls to `invoke`, of the same shape as `original`: a
 * constructible function with a `prototype` when the original has one, otherwise a
 * method, which has neither (an arrow function like fs.realpathSync.native has none).
 */
export function shellLike(original: AnyFunction, invoke: Invoke): AnyFunction {
  if (Object.prototype.hasOwnProperty.call(original, 'prototype')) {
    return function (this: unknown) {
      return invoke(this, arguments, new.target);
    };
  }
  return {
    method(this: unknown) {
      return invoke(this, arguments, undefined);
    },
  }.method;
}

/** Calls `original` as the replacement was called. */
export function callThrough(original: AnyFunction, self: unknown, args: IArguments | unknown[], newTarget: AnyFunction | undefined): unknown {
  return newTarget ? Reflect.construct(original, args, newTarget) : Reflect.apply(original, self, args);
}

/**
 * Replaces `owner[key]` by `makeReplacement(original)`, made to look like the original.
 * Returns false, changing nothing, when there is no such function, it is not
 * replaceable, or it was replaced already.
 */
export function replaceFunction(owner: object, key: string, makeReplacement: (original: AnyFunction) => AnyFunction): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  if (!descriptor || typeof descriptor.value !== 'function') return false;
  if (!descriptor.writable && !descriptor.configurable) return false;
  const original = descriptor.value as AnyFunction;
  if (originals.has(original)) return false;
  const replacement = makeReplacement(original);
  copyOwnProperties(original, replacement);
  originals.set(replacement, original);
  Object.defineProperty(owner, key, { ...descriptor, value: replacement });
  return true;
}

/** The function a replacement stands for (for tests and for loopwatch's own use). */
export function originalOf<F extends AnyFunction>(fn: F): F {
  return (originals.get(fn) as F | undefined) ?? fn;
}
