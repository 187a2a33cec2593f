import { basename } from 'node:path';
import { packageCategory } from '../../attribution/categories';
import { packageOf } from '../../attribution/frames';
import { debug } from '../debug';
import type { SyncCallProbes } from './sync-calls';
import { originalOf, shellLike, type AnyFunction, type Replacements } from './wrap';

/**
 * Timing the calls a program makes into native addons (.node files): bcrypt's hashing,
 * better-sqlite3's queries. A native call takes no V8 interrupt until it returns, so a
 * stack sample asked for during one is served in whatever JavaScript runs next, often in
 * another function or file; only timing the call itself says what blocked, and for how
 * long.
 *
 * Node's loader hands every .node file to `process.dlopen(module, filename)`. Its
 * replacement lets the addon load, then wraps what the addon exported, in place, before
 * the loader returns the exports to anyone:
 *
 * - each exported function, as a timed function of the same shape (wrap.ts);
 * - each exported class's prototype methods (`Statement.prototype.run`) and static
 *   methods, replaced on the prototype and on the class themselves, so that instances the
 *   addon makes in its own code are timed too;
 * - the class itself (a constructor called with `new` may block: opening a database),
 *   replaced on the exports by a timed constructor whose `prototype` is the class's own
 *   object, whose own properties are the class's and whose prototype is the class's
 *   parent: instances made either way are `instanceof` both, and the prototype's
 *   `constructor` is pointed at the replacement, so that the program never meets the
 *   class under two names.
 *
 * Calls are timed as Node's sync API calls are (sync-calls.ts): two clock reads for a
 * call shorter than the sync I/O threshold, the caller's stack for a longer one. Their
 * operation is the addon's name and the binding's own: `bcrypt.encrypt_sync`,
 * `better-sqlite3.Statement.run`; attribution names what the program called when the
 * stack shows it (`bcrypt.hashSync`, the package's JavaScript wrapper).
 *
 * Left alone, and counted by reason: accessors (a getter is never called to see what it
 * holds), properties that cannot be replaced (a frozen exports object, a read-only
 * method), symbol-keyed functions, and functions that are not native code (nothing an
 * addon exports should be; a function that is may be something else's). A class whose
 * prototype's `constructor` cannot be pointed at a replacement keeps its constructor
 * unwrapped, its methods still timed. Methods a class inherits from a class the addon
 * does not export are not seen. A function met twice (a class exported under two names)
 * gets the same replacement in both places; one met inside its own class (a static that
 * points back at the class) is left, as `circular`. Everything is put back by the
 * Replacements set's restore(), with the probes' other replacements.
 */

/** Why a function of an addon was left unwrapped. */
export type LeftReason = 'accessor' | 'not replaceable' | 'symbol key' | 'not native code' | 'constructor not replaceable' | 'circular';

/** What the probe did with one addon's exports. */
export interface AddonSummary {
  /** The npm package the .node file is in, or the file's own name outside node_modules. */
  name: string;
  file: string;
  /** Functions, methods and constructors now timed. */
  wrapped: number;
  /** Functions left as they were, by why. */
  left: Partial<Record<LeftReason, number>>;
}

/** Own keys of a function that are not methods of it (its shape, and the class's prototype). */
const FUNCTION_SHAPE = new Set(['prototype', 'length', 'name', 'arguments', 'caller']);

export class NativeAddonProbe {
  private readonly addons: AddonSummary[] = [];
  /** Original -> its replacement: a function met again gets the same one, so that `===` still holds between its places. */
  private readonly shells = new WeakMap<AnyFunction, AnyFunction>();
  /** Classes and prototypes whose members are being, or have been, wrapped. */
  private readonly visited = new WeakSet<object>();
  private active = true;

  private readonly isNative: (fn: AnyFunction) => boolean;

  constructor(
    private readonly replacements: Replacements,
    private readonly sync: SyncCallProbes,
    /** `isNative`: what counts as native code (tests stand JavaScript classes in for an addon's). */
    options: { isNative?: (fn: AnyFunction) => boolean } = {},
  ) {
    this.isNative = options.isNative ?? isNativeCode;
  }

  /** Replaces process.dlopen, through which Node loads every .node file. False if it could not. */
  install(): boolean {
    const probe = this;
    return this.replacements.replace(process, 'dlopen', (original) =>
      shellLike(original, {
        enter: () => true,
        exit(_state, args, _shell, threw) {
          if (!threw) probe.instrument(args[0] as { exports?: unknown } | undefined, args[1]);
        },
      }),
    );
  }

  /** Off: addons loaded from now on are left as they are (the replacements are put back by their set). */
  stop(): void {
    this.active = false;
  }

  /** Every addon loaded so far, and what was done with its exports. */
  summaries(): AddonSummary[] {
    return this.addons.map((a) => ({ ...a, left: { ...a.left } }));
  }

  /** Wraps what one addon exported. Never throws: a failure leaves the rest as it was. */
  instrument(module: { exports?: unknown } | undefined, filename: unknown): void {
    if (!this.active || typeof filename !== 'string' || module === null || typeof module !== 'object') return;
    try {
      const name = addonName(filename);
      const addon: AddonSummary = { name, file: filename, wrapped: 0, left: {} };
      const category = packageCategory(name) ?? 'native';
      const exports = module.exports;
      if (typeof exports === 'function') {
        // An addon whose exports are one function (or class): the program calls it by the package's name.
        this.wrapCallable(module, 'exports', name, category, addon);
      } else if (exports !== null && typeof exports === 'object') {
        this.wrapMembers(exports, name, category, addon, new Set());
      }
      this.addons.push(addon);
      const left = Object.entries(addon.left).map(([reason, n]) => `${n} ${reason}`);
      debug('native addon %s (%s): %d functions timed%s', name, filename, addon.wrapped, left.length > 0 ? `, left: ${left.join(', ')}` : '');
    } catch (err) {
      debug('could not time the native addon %s: %s', filename, err);
    }
  }

  /** Exported functions (and classes) of the exports object. */
  private wrapMembers(exports: object, prefix: string, category: string, addon: AddonSummary, skip: Set<string>): void {
    for (const key of Reflect.ownKeys(exports)) {
      if (typeof key === 'string' && skip.has(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(exports, key);
      if (!descriptor) continue;
      if (descriptor.get || descriptor.set) {
        count(addon, 'accessor');
        continue;
      }
      if (typeof descriptor.value !== 'function') continue;
      if (typeof key === 'symbol') {
        count(addon, 'symbol key');
        continue;
      }
      this.wrapCallable(exports, key, `${prefix}.${key}`, category, addon);
    }
  }

  /**
   * One exported function, with its class side when it has one: prototype methods and
   * statics first, in place, so that the constructor's replacement (which copies the
   * class's own properties) carries the timed statics.
   */
  private wrapCallable(owner: object, key: string, name: string, category: string, addon: AddonSummary): void {
    const fn = (Object.getOwnPropertyDescriptor(owner, key)?.value as AnyFunction | undefined)!;
    const made = this.shells.get(fn);
    if (made) {
      if (replaceable(owner, key)) this.replacements.replace(owner, key, () => made);
      return;
    }
    // Already one of loopwatch's (the same exports instrumented again).
    if (originalOf(fn) !== fn) return;
    if (!this.isNative(fn)) {
      count(addon, 'not native code');
      return;
    }
    if (this.visited.has(fn)) {
      count(addon, 'circular');
      return;
    }
    this.visited.add(fn);
    const prototype = ownPrototype(fn);
    if (prototype && !this.visited.has(prototype)) {
      this.visited.add(prototype);
      this.wrapMethods(prototype, name, category, addon);
    }
    this.wrapMembers(fn, name, category, addon, FUNCTION_SHAPE);
    if (!replaceable(owner, key)) {
      count(addon, 'not replaceable');
      return;
    }
    // The prototype's `constructor` must name the replacement too, or instances would
    // show the class under another name than the exports: checked before either changes.
    const constructorOnPrototype = prototype !== undefined && Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value === fn;
    if (constructorOnPrototype && !replaceable(prototype, 'constructor')) {
      count(addon, 'constructor not replaceable');
      return;
    }
    const shell = this.sync.timedAddonCall(name, category, addon.name, fn);
    // Statics a class inherits from its parent class are found through its prototype.
    const parent = Object.getPrototypeOf(fn) as object | null;
    if (parent !== Function.prototype) Object.setPrototypeOf(shell, parent);
    this.replacements.replace(owner, key, () => shell);
    if (constructorOnPrototype) this.replacements.replace(prototype, 'constructor', () => shell);
    this.shells.set(fn, shell);
    addon.wrapped += 1;
  }

  /** A class's prototype methods, in place. */
  private wrapMethods(prototype: object, prefix: string, category: string, addon: AddonSummary): void {
    for (const key of Reflect.ownKeys(prototype)) {
      if (key === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(prototype, key)!;
      if (descriptor.get || descriptor.set) {
        count(addon, 'accessor');
        continue;
      }
      const method = descriptor.value as unknown;
      if (typeof method !== 'function') continue;
      if (typeof key === 'symbol') {
        count(addon, 'symbol key');
        continue;
      }
      const made = this.shells.get(method);
      if (made) {
        if (replaceable(prototype, key)) this.replacements.replace(prototype, key, () => made);
        continue;
      }
      if (originalOf(method) !== method) continue;
      if (!this.isNative(method)) {
        count(addon, 'not native code');
        continue;
      }
      let shell: AnyFunction | undefined;
      const wrapped = this.replacements.replace(prototype, key, (original) => (shell = this.sync.timedAddonCall(`${prefix}.${key}`, category, addon.name, original)));
      if (wrapped) {
        this.shells.set(method, shell!);
        addon.wrapped += 1;
      } else {
        count(addon, 'not replaceable');
      }
    }
  }
}

function count(addon: AddonSummary, reason: LeftReason): void {
  addon.left[reason] = (addon.left[reason] ?? 0) + 1;
}

/**
 * The addon's name as the program knows it: the npm package whose node_modules folder
 * holds the .node file (`bcrypt`, from .../node_modules/bcrypt/prebuilds/linux-x64/
 * bcrypt.glibc.node), else the file's name without `.node`.
 */
export function addonName(filename: string): string {
  return packageOf(filename.replaceAll('\\', '/')) ?? basename(filename).replace(/\.node$/, '');
}

/** Native code, not JavaScript: what an addon's functions are (a replacement of loopwatch's is not). */
function isNativeCode(fn: AnyFunction): boolean {
  try {
    return /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn));
  } catch {
    return false;
  }
}

/** The function's own `prototype` object, read as a data property (never through a getter). */
function ownPrototype(fn: AnyFunction): object | undefined {
  const value = Object.getOwnPropertyDescriptor(fn, 'prototype')?.value as unknown;
  return value !== null && typeof value === 'object' ? value : undefined;
}

/** A data property holding a function that can be given another value. */
function replaceable(owner: object, key: string): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  return descriptor !== undefined && typeof descriptor.value === 'function' && (descriptor.writable === true || descriptor.configurable === true);
}
