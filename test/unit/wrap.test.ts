import fs from 'node:fs';
import util from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PoolWorkTracker } from '../../src/agent/probes/pool-work';
import { SyncCallProbes } from '../../src/agent/probes/sync-calls';
import { originalOf, PASS_THROUGH, replaceFunction, shellLike, type AnyFunction } from '../../src/agent/probes/wrap';
import type { PoolWorkRecord, SyncCallRecord } from '../../src/recording/schema';

/** The simplest replacement, made the way the probes make theirs. */
function passThrough(original: AnyFunction): AnyFunction {
  return shellLike(original, PASS_THROUGH);
}

/** Every own property of a function, with its descriptor, in key order. */
function ownProperties(fn: AnyFunction): Array<[PropertyKey, PropertyDescriptor]> {
  return Reflect.ownKeys(fn).map((key) => [key, Object.getOwnPropertyDescriptor(fn, key)!]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Blocks the thread for about `ms` milliseconds. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('replaceFunction on test functions', () => {
  function makeOwner() {
    function add(this: { base: number } | undefined, a: number, b: number): number {
      return (this?.base ?? 0) + a + b;
    }
    return { add };
  }

  it('replaces the property and calls the replacement', () => {
    const owner = makeOwner();
    let calls = 0;
    const replaced = replaceFunction(owner, 'add', (original) => function (this: unknown) {
      calls += 1;
      return Reflect.apply(original, this, arguments);
    });
    expect(replaced).toBe(true);
    expect(owner.add.call(undefined, 1, 2)).toBe(3);
    expect(calls).toBe(1);
  });

  it('keeps name and length', () => {
    const owner = makeOwner();
    replaceFunction(owner, 'add', passThrough);
    expect(owner.add.name).toBe('add');
    expect(owner.add.length).toBe(2);
  });

  it('keeps every own key and its descriptor, extra and symbol-keyed ones included', () => {
    const owner = makeOwner();
    const extra = Symbol('extra');
    Object.defineProperty(owner.add, 'native', { value: () => 1, writable: true, enumerable: true, configurable: true });
    Object.defineProperty(owner.add, extra, { value: 42, writable: false, enumerable: false, configurable: true });
    const original = owner.add;
    const before = ownProperties(original);
    replaceFunction(owner, 'add', passThrough);
    expect(owner.add).not.toBe(original);
    expect(ownProperties(owner.add)).toEqual(before);
  });

  it('passes `this` through to the original (method call)', () => {
    const owner = { base: 10, ...makeOwner() };
    replaceFunction(owner, 'add', passThrough);
    expect(owner.add(1, 2)).toBe(13);
  });

  it('returns the very object the original returned', () => {
    const result = { big: true };
    const owner = { make: () => result };
    replaceFunction(owner, 'make', passThrough);
    expect(owner.make()).toBe(result);
  });

  it('throws the very error the original threw', () => {
    const error = new Error('boom');
    const owner = {
      fail(): never {
        throw error;
      },
    };
    replaceFunction(owner, 'fail', passThrough);
    let thrown: unknown;
    try {
      owner.fail();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBe(error);
  });

  it('still constructs with `new` a wrapped constructor function, and instanceof holds', () => {
    function Point(this: { x: number; y: number }, x: number, y: number) {
      this.x = x;
      this.y = y;
    }
    const owner: { Point: AnyFunction } = { Point };
    replaceFunction(owner, 'Point', passThrough);
    const Wrapped = owner.Point as unknown as new (x: number, y: number) => { x: number; y: number };
    const p = new Wrapped(1, 2);
    expect(p).toEqual({ x: 1, y: 2 });
    expect(p).toBeInstanceOf(Point);
    expect(p).toBeInstanceOf(Wrapped);
  });

  it('still constructs with `new` a wrapped class, and instanceof holds', () => {
    class Box {
      constructor(readonly value: number) {}
      double(): number {
        return this.value * 2;
      }
    }
    const owner: { Box: AnyFunction } = { Box };
    replaceFunction(owner, 'Box', passThrough);
    const Wrapped = owner.Box as unknown as typeof Box;
    const box = new Wrapped(4);
    expect(box.double()).toBe(8);
    expect(box).toBeInstanceOf(Box);
    expect(box).toBeInstanceOf(Wrapped);
  });

  it('keeps a class prototype descriptor (not writable) and its own keys', () => {
    class Box {
      static make(): Box {
        return new Box();
      }
    }
    const owner: { Box: AnyFunction } = { Box };
    const before = ownProperties(Box);
    replaceFunction(owner, 'Box', passThrough);
    expect(ownProperties(owner.Box)).toEqual(before);
  });

  it('keeps the own keys of a function without prototype (arrow function, method)', () => {
    const owner = { arrow: (a: number) => a, method(a: number) { return a; } };
    const arrowKeys = Reflect.ownKeys(owner.arrow);
    const methodKeys = Reflect.ownKeys(owner.method);
    replaceFunction(owner, 'arrow', passThrough);
    replaceFunction(owner, 'method', passThrough);
    expect(Reflect.ownKeys(owner.arrow)).toEqual(arrowKeys);
    expect(Reflect.ownKeys(owner.method)).toEqual(methodKeys);
  });

  it("keeps the owner property's descriptor (writable, enumerable, configurable)", () => {
    const owner = {};
    const fn = (): number => 1;
    Object.defineProperty(owner, 'hidden', { value: fn, writable: true, enumerable: false, configurable: false });
    expect(replaceFunction(owner, 'hidden', passThrough)).toBe(true);
    const after = Object.getOwnPropertyDescriptor(owner, 'hidden')!;
    expect(after.value).not.toBe(fn);
    expect({ ...after, value: undefined }).toEqual({ value: undefined, writable: true, enumerable: false, configurable: false });
  });

  it('replaces a read-only but configurable property, which stays read-only', () => {
    const owner = {};
    const fn = (): number => 1;
    Object.defineProperty(owner, 'readOnly', { value: fn, writable: false, enumerable: true, configurable: true });
    expect(replaceFunction(owner, 'readOnly', passThrough)).toBe(true);
    const after = Object.getOwnPropertyDescriptor(owner, 'readOnly')!;
    expect(originalOf(after.value as AnyFunction)).toBe(fn);
    expect(after.writable).toBe(false);
    expect(after.enumerable).toBe(true);
    expect(after.configurable).toBe(true);
  });

  it('returns false and changes nothing for a missing key', () => {
    const owner: Record<string, unknown> = {};
    let made = false;
    const replaced = replaceFunction(owner, 'missing', (original) => ((made = true), original));
    expect(replaced).toBe(false);
    expect(made).toBe(false);
    expect(Reflect.ownKeys(owner)).toEqual([]);
  });

  it('returns false and changes nothing for a property that is not a function', () => {
    const owner = { value: 42 };
    expect(replaceFunction(owner, 'value', passThrough)).toBe(false);
    expect(owner.value).toBe(42);
  });

  it('returns false and changes nothing for an accessor property', () => {
    const fn = (): number => 1;
    const owner = {};
    Object.defineProperty(owner, 'getter', { get: () => fn, enumerable: true, configurable: true });
    const before = Object.getOwnPropertyDescriptor(owner, 'getter');
    expect(replaceFunction(owner, 'getter', passThrough)).toBe(false);
    expect(Object.getOwnPropertyDescriptor(owner, 'getter')).toEqual(before);
  });

  it('returns false and changes nothing for a non-writable non-configurable property', () => {
    const fn = (): number => 1;
    const owner = {};
    Object.defineProperty(owner, 'frozen', { value: fn, writable: false, enumerable: true, configurable: false });
    let made = false;
    expect(replaceFunction(owner, 'frozen', (original) => ((made = true), passThrough(original)))).toBe(false);
    expect(made).toBe(false);
    expect(Object.getOwnPropertyDescriptor(owner, 'frozen')!.value).toBe(fn);
  });

  it('returns false and changes nothing for a function replaced already', () => {
    const owner = makeOwner();
    replaceFunction(owner, 'add', passThrough);
    const first = owner.add;
    let made = false;
    expect(replaceFunction(owner, 'add', (original) => ((made = true), passThrough(original)))).toBe(false);
    expect(made).toBe(false);
    expect(owner.add).toBe(first);
  });

  it('originalOf gives back the original of a replacement', () => {
    const owner = makeOwner();
    const original = owner.add;
    replaceFunction(owner, 'add', passThrough);
    expect(originalOf(owner.add)).toBe(original);
  });

  it('originalOf gives back a function that was never replaced as it is', () => {
    const fn = (): void => {};
    expect(originalOf(fn)).toBe(fn);
  });
});

describe('replaceFunction on real Node.js functions', () => {
  const saved = new Map<string, PropertyDescriptor>();
  const nativeDescriptor = Object.getOwnPropertyDescriptor(fs.realpathSync, 'native')!;

  beforeEach(() => {
    for (const key of ['readFileSync', 'realpathSync', 'exists']) saved.set(key, Object.getOwnPropertyDescriptor(fs, key)!);
  });

  afterEach(() => {
    for (const [key, descriptor] of saved) Object.defineProperty(fs, key, descriptor);
    Object.defineProperty(fs.realpathSync, 'native', nativeDescriptor);
  });

  it('fs.readFileSync keeps name, length, own properties, and the module property descriptor', () => {
    const original = fs.readFileSync;
    const before = ownProperties(original);
    const moduleDescriptor = Object.getOwnPropertyDescriptor(fs, 'readFileSync')!;
    expect(replaceFunction(fs, 'readFileSync', passThrough)).toBe(true);
    expect(fs.readFileSync).not.toBe(original);
    expect(fs.readFileSync.name).toBe('readFileSync');
    expect(fs.readFileSync.length).toBe(original.length);
    expect(ownProperties(fs.readFileSync)).toEqual(before);
    expect(Object.getOwnPropertyDescriptor(fs, 'readFileSync')).toEqual({ ...moduleDescriptor, value: fs.readFileSync });
  });

  it('fs.readFileSync still reads files and throws its own errors', () => {
    replaceFunction(fs, 'readFileSync', passThrough);
    expect(fs.readFileSync(__filename, 'utf8')).toContain("describe('replaceFunction on real Node.js functions'");
    let thrown: NodeJS.ErrnoException | undefined;
    try {
      fs.readFileSync('/nonexistent/loopwatch-test-file');
    } catch (err) {
      thrown = err as NodeJS.ErrnoException;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown!.code).toBe('ENOENT');
  });

  it('fs.realpathSync keeps its extra `native` property', () => {
    const native = fs.realpathSync.native;
    const before = ownProperties(fs.realpathSync);
    replaceFunction(fs, 'realpathSync', passThrough);
    expect(ownProperties(fs.realpathSync)).toEqual(before);
    expect(fs.realpathSync.native).toBe(native);
    expect(fs.realpathSync('/')).toBe('/');
  });

  it('fs.realpathSync.native (an arrow function) keeps its own keys and descriptors', () => {
    const before = ownProperties(fs.realpathSync.native);
    expect(replaceFunction(fs.realpathSync, 'native', passThrough)).toBe(true);
    expect(ownProperties(fs.realpathSync.native)).toEqual(before);
  });

  it('fs.exists keeps its util.promisify.custom, which util.promisify still uses', async () => {
    const custom = (fs.exists as unknown as Record<symbol, unknown>)[util.promisify.custom];
    expect(typeof custom).toBe('function');
    const before = ownProperties(fs.exists);
    replaceFunction(fs, 'exists', passThrough);
    expect(ownProperties(fs.exists)).toEqual(before);
    const promised = util.promisify(fs.exists);
    expect(promised).toBe(custom);
    // The custom one resolves with a boolean, where a plain promisify would reject with `true` as the error.
    await expect(promised(__filename)).resolves.toBe(true);
  });
});

describe('SyncCallProbes.timed', () => {
  function probes(thresholdMs: number) {
    const records: SyncCallRecord[] = [];
    return { records, probes: new SyncCallProbes({ thresholdMs, record: (make) => records.push(make()) }) };
  }

  it('records a call at or over the threshold with operation, category, phase and duration', () => {
    const { records, probes: p } = probes(0);
    const read = p.timed('fs.readFileSync', 'fs', () => 'data') as () => string;
    expect(read()).toBe('data');
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record.type).toBe('syncCall');
    expect(record.operation).toBe('fs.readFileSync');
    expect(record.category).toBe('fs');
    expect(record.phase).toBe('run');
    expect(record.durationMs).toBeGreaterThanOrEqual(0);
    expect(record.start).toBeLessThanOrEqual(performance.timeOrigin + performance.now());
  });

  it('records nothing for a call under the threshold', () => {
    const { records, probes: p } = probes(1e9);
    const read = p.timed('fs.readFileSync', 'fs', () => 'data') as () => string;
    expect(read()).toBe('data');
    expect(records).toEqual([]);
  });

  it("records the duration of a slow call, at least as long as it blocked", () => {
    const { records, probes: p } = probes(5);
    const slow = p.timed('crypto.pbkdf2Sync', 'crypto', () => busy(20)) as () => void;
    slow();
    expect(records).toHaveLength(1);
    expect(records[0]!.durationMs).toBeGreaterThanOrEqual(20);
  });

  it('the stack is captured during the call and can be formatted after it returned', () => {
    const later: Array<() => SyncCallRecord> = [];
    const p = new SyncCallProbes({ thresholdMs: 0, record: (make) => later.push(make) });
    const read = p.timed('fs.readFileSync', 'fs', () => 'data') as () => string;
    function callerInTest(): string {
      return read();
    }
    callerInTest();
    const record = later[0]!();
    expect(record.frames[0]).toMatchObject({ file: __filename, function: 'callerInTest' });
  });

  it("the recorded stack starts at the caller, in this file", () => {
    const { records, probes: p } = probes(0);
    const read = p.timed('fs.readFileSync', 'fs', () => 'data') as () => string;
    function callerInTest(): string {
      return read();
    }
    callerInTest();
    const first = records[0]!.frames[0]!;
    expect(first.file).toBe(__filename);
    expect(first.function).toBe('callerInTest');
  });

  it("takes `target` from the describe callback, given the call's arguments", () => {
    const { records, probes: p } = probes(0);
    const load = p.timed('require', 'module', (id: string) => ({ id }), (args) => String(args[0])) as (id: string) => unknown;
    load('./big-module');
    expect(records[0]!.target).toBe('./big-module');
  });

  it('leaves `target` out when describe gives undefined or there is no describe', () => {
    const { records, probes: p } = probes(0);
    (p.timed('require', 'module', () => 1, () => undefined) as () => unknown)();
    (p.timed('fs.statSync', 'fs', () => 1) as () => unknown)();
    expect(records).toHaveLength(2);
    expect('target' in records[0]!).toBe(false);
    expect('target' in records[1]!).toBe(false);
  });

  it('passes `this`, arguments and the return value through', () => {
    const { probes: p } = probes(0);
    const result = {};
    const owner = {
      tag: 'owner',
      run: p.timed('fs.readFileSync', 'fs', function (this: { tag: string }, a: number, b: string) {
        return { self: this, a, b, result };
      }) as (a: number, b: string) => { self: unknown; a: number; b: string; result: object },
    };
    const out = owner.run(1, 'x');
    expect(out.self).toBe(owner);
    expect(out.a).toBe(1);
    expect(out.b).toBe('x');
    expect(out.result).toBe(result);
  });

  it('constructs with `new` through the timed replacement, and instanceof holds', () => {
    const { records, probes: p } = probes(0);
    class Thing {
      constructor(readonly n: number) {}
    }
    const owner: { Thing: AnyFunction } = { Thing };
    replaceFunction(owner, 'Thing', (original) => p.timed('zlib.Thing', 'zlib', original));
    const Timed = owner.Thing as unknown as typeof Thing;
    const thing = new Timed(3);
    expect(thing).toBeInstanceOf(Timed);
    expect(thing.n).toBe(3);
    expect(thing).toBeInstanceOf(Thing);
    expect(records).toHaveLength(1);
  });

  it('records only the outer call of nested timed calls', () => {
    const { records, probes: p } = probes(0);
    const inner = p.timed('fs.openSync', 'fs', () => 7) as () => number;
    const outer = p.timed('fs.readFileSync', 'fs', () => inner() + 1) as () => number;
    expect(outer()).toBe(8);
    expect(records.map((r) => r.operation)).toEqual(['fs.readFileSync']);
  });

  it('times the inner function again once the outer call has returned', () => {
    const { records, probes: p } = probes(0);
    const inner = p.timed('fs.openSync', 'fs', () => 7) as () => number;
    const outer = p.timed('fs.readFileSync', 'fs', () => inner()) as () => number;
    outer();
    inner();
    expect(records.map((r) => r.operation)).toEqual(['fs.readFileSync', 'fs.openSync']);
  });

  it('totals() counts every call per operation, recorded or not', () => {
    const { records, probes: p } = probes(1e9);
    const read = p.timed('fs.readFileSync', 'fs', () => 1) as () => number;
    const stat = p.timed('fs.statSync', 'fs', () => 1) as () => number;
    read();
    read();
    read();
    stat();
    expect(records).toEqual([]);
    const totals = p.totals();
    expect(totals.map((t) => [t.operation, t.category, t.phase, t.count])).toEqual([
      ['fs.readFileSync', 'fs', 'run', 3],
      ['fs.statSync', 'fs', 'run', 1],
    ]);
    for (const t of totals) {
      expect(t.totalMs).toBeGreaterThanOrEqual(0);
      expect(t.maxMs).toBeLessThanOrEqual(t.totalMs);
    }
  });

  it('totals() adds up durations and keeps the longest', () => {
    const { probes: p } = probes(1e9);
    const work = p.timed('crypto.scryptSync', 'crypto', (ms: number) => busy(ms)) as (ms: number) => void;
    work(2);
    work(15);
    const [total] = p.totals();
    expect(total!.count).toBe(2);
    expect(total!.maxMs).toBeGreaterThanOrEqual(15);
    expect(total!.totalMs).toBeGreaterThanOrEqual(17);
    expect(total!.totalMs).toBeGreaterThanOrEqual(total!.maxMs);
  });

  it('totals() leaves out operations never called', () => {
    const { probes: p } = probes(0);
    p.timed('fs.readFileSync', 'fs', () => 1);
    expect(p.totals()).toEqual([]);
  });

  it('an error thrown by the original propagates unchanged, and the call is still counted and recorded', () => {
    const { records, probes: p } = probes(0);
    const error = new Error('ENOENT-ish');
    const fail = p.timed('fs.readFileSync', 'fs', () => {
      throw error;
    }) as () => never;
    expect(() => fail()).toThrow(error);
    let thrown: unknown;
    try {
      fail();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBe(error);
    expect(p.totals()[0]!.count).toBe(2);
    expect(records).toHaveLength(2);
  });

  it('a nested call still works normally after an outer call threw', () => {
    const { records, probes: p } = probes(0);
    const fail = p.timed('fs.readFileSync', 'fs', () => {
      throw new Error('x');
    }) as () => never;
    const ok = p.timed('fs.statSync', 'fs', () => 1) as () => number;
    expect(() => fail()).toThrow('x');
    ok();
    expect(records.map((r) => r.operation)).toEqual(['fs.readFileSync', 'fs.statSync']);
  });

  it('a sink that throws does not break the call', () => {
    const p = new SyncCallProbes({
      thresholdMs: 0,
      record: () => {
        throw new Error('sink broken');
      },
    });
    const read = p.timed('fs.readFileSync', 'fs', () => 'data') as () => string;
    expect(read()).toBe('data');
  });

  it('wrapped by replaceFunction, looks like the original (real fs.readFileSync)', () => {
    const saved = Object.getOwnPropertyDescriptor(fs, 'readFileSync')!;
    try {
      const original = fs.readFileSync;
      const before = ownProperties(original);
      const { records, probes: p } = probes(0);
      expect(replaceFunction(fs, 'readFileSync', (o) => p.timed('fs.readFileSync', 'fs', o))).toBe(true);
      expect(ownProperties(fs.readFileSync)).toEqual(before);
      expect(fs.readFileSync(__filename, 'utf8')).toBe(original(__filename, 'utf8'));
      expect(records).toHaveLength(1);
      expect(records[0]!.frames[0]!.file).toBe(__filename);
    } finally {
      Object.defineProperty(fs, 'readFileSync', saved);
    }
  });
});

describe('PoolWorkTracker.tracked', () => {
  /** A callback API: calls back `this` and its arguments after `delayMs` on a timer. */
  function fakeApi(this: unknown, delayMs: number, value: string, callback: (err: null, value: string, self: unknown) => void): string {
    const self = this;
    setTimeout(() => callback.call({ from: 'timer' }, null, value, self), delayMs);
    return 'submitted';
  }

  function tracker(thresholdMs: number) {
    const records: PoolWorkRecord[] = [];
    return { records, tracker: new PoolWorkTracker({ thresholdMs, record: (make) => records.push(make()) }) };
  }

  type Api = (delayMs: number, value: string, callback: (this: unknown, ...args: unknown[]) => void) => string;

  it('returns what the original returns, and the callback gets the same arguments and `this`', async () => {
    const { tracker: t } = tracker(1e9);
    const owner = { name: 'owner', api: t.tracked('dns.lookup', 'dns', fakeApi) as Api };
    let got: { self: unknown; args: unknown[] } | undefined;
    const returned = owner.api(1, 'v', function (this: unknown, ...args: unknown[]) {
      got = { self: this, args };
    });
    expect(returned).toBe('submitted');
    await sleep(20);
    expect(got!.self).toEqual({ from: 'timer' });
    expect(got!.args).toEqual([null, 'v', owner]);
  });

  it('records work whose callback ran at least the threshold after the call, with its target', async () => {
    const { records, tracker: t } = tracker(20);
    const api = t.tracked('dns.lookup', 'dns', fakeApi, { target: (args) => String(args[1]) }) as Api;
    const before = performance.timeOrigin + performance.now();
    api(40, 'example.test', () => {});
    await sleep(80);
    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record.type).toBe('poolWork');
    expect(record.operation).toBe('dns.lookup');
    expect(record.category).toBe('dns');
    expect(record.target).toBe('example.test');
    expect(record.inProgressAtExit).toBe(false);
    expect(record.start).toBeGreaterThanOrEqual(before);
    expect(record.end - record.start).toBeGreaterThanOrEqual(20);
  });

  it('records the caller of the tracked function as the first frame', async () => {
    const { records, tracker: t } = tracker(0);
    const api = t.tracked('crypto.pbkdf2', 'crypto', fakeApi) as Api;
    function startWork(): void {
      api(1, 'v', () => {});
    }
    startWork();
    await sleep(20);
    expect(records[0]!.frames[0]!.file).toBe(__filename);
    expect(records[0]!.frames[0]!.function).toBe('startWork');
  });

  it('records nothing when the callback ran before the threshold', async () => {
    const { records, tracker: t } = tracker(1e9);
    const api = t.tracked('dns.lookup', 'dns', fakeApi) as Api;
    let called = false;
    api(5, 'v', () => {
      called = true;
    });
    await sleep(30);
    expect(called).toBe(true);
    expect(records).toEqual([]);
  });

  it('leaves `target` out without a target option', async () => {
    const { records, tracker: t } = tracker(0);
    (t.tracked('zlib.gzip', 'zlib', fakeApi) as Api)(1, 'v', () => {});
    await sleep(20);
    expect(records).toHaveLength(1);
    expect('target' in records[0]!).toBe(false);
  });

  it('flush() records work still in flight as inProgressAtExit', async () => {
    const { records, tracker: t } = tracker(10);
    const api = t.tracked('dns.lookup', 'dns', fakeApi, { target: (args) => String(args[1]) }) as Api;
    let called = false;
    api(200, 'slow.test', () => {
      called = true;
    });
    await sleep(30);
    t.flush();
    expect(called).toBe(false);
    expect(records).toHaveLength(1);
    expect(records[0]!.inProgressAtExit).toBe(true);
    expect(records[0]!.target).toBe('slow.test');
    expect(records[0]!.end - records[0]!.start).toBeGreaterThanOrEqual(10);
    await sleep(200);
    // The callback running later records nothing more.
    expect(called).toBe(true);
    expect(records).toHaveLength(1);
  });

  it('flush() records nothing for work that already called back', async () => {
    const { records, tracker: t } = tracker(1e9);
    (t.tracked('dns.lookup', 'dns', fakeApi) as Api)(1, 'v', () => {});
    await sleep(20);
    t.flush();
    expect(records).toEqual([]);
  });

  it('a call without a callback is timed by `sync` when given, with `this` and arguments passed through', () => {
    const { records, tracker: t } = tracker(0);
    const seen: unknown[] = [];
    const original = function (this: unknown, ...args: unknown[]): string {
      seen.push(this, ...args);
      return 'sync result';
    };
    const timed: Array<[number, number]> = [];
    const sync = { enter: () => 7, exit: (start: number, args: IArguments) => void timed.push([start, args.length]) };
    const owner = { randomBytes: t.tracked('crypto.randomBytes', 'crypto', original, { sync }) as (...args: unknown[]) => string };
    expect(owner.randomBytes(16)).toBe('sync result');
    expect(seen).toEqual([owner, 16]);
    expect(timed).toEqual([[7, 1]]);
    t.flush();
    expect(records).toEqual([]);
  });

  it('a call without a callback goes to the original without `sync`', () => {
    const { records, tracker: t } = tracker(0);
    const api = t.tracked('crypto.randomBytes', 'crypto', (n: number) => `bytes:${n}`) as (n: number) => string;
    expect(api(8)).toBe('bytes:8');
    t.flush();
    expect(records).toEqual([]);
  });

  it('an error the original throws at the call propagates unchanged', () => {
    const { tracker: t } = tracker(0);
    const error = new TypeError('bad host');
    const api = t.tracked('dns.lookup', 'dns', () => {
      throw error;
    }) as (host: unknown, cb: () => void) => void;
    let thrown: unknown;
    try {
      api(42, () => {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBe(error);
  });

  it('work the original rejected at the call (it threw) is not reported in flight at exit', () => {
    const { records, tracker: t } = tracker(0);
    const api = t.tracked('dns.lookup', 'dns', () => {
      throw new TypeError('bad host');
    }) as (host: unknown, cb: () => void) => void;
    expect(() => api(42, () => {})).toThrow('bad host');
    t.flush();
    expect(records).toEqual([]);
  });

  it('wrapped by replaceFunction, keeps the original callback API looking the same', async () => {
    const owner = { lookup: fakeApi };
    const before = ownProperties(fakeApi);
    const { tracker: t } = tracker(1e9);
    expect(replaceFunction(owner, 'lookup', (o) => t.tracked('dns.lookup', 'dns', o))).toBe(true);
    expect(ownProperties(owner.lookup)).toEqual(before);
    const value = await new Promise((resolve) => (owner.lookup as unknown as Api)(1, 'ok', (_err, v) => resolve(v)));
    expect(value).toBe('ok');
  });
});
