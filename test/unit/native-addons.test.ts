import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installProbes } from '../../src/agent/probes/install';
import { addonName, NativeAddonProbe } from '../../src/agent/probes/native';
import { PoolWorkTracker } from '../../src/agent/probes/pool-work';
import { SyncCallProbes } from '../../src/agent/probes/sync-calls';
import { originalOf, Replacements, type AnyFunction } from '../../src/agent/probes/wrap';
import type { SyncCallRecord } from '../../src/recording/schema';

/**
 * The native addon probe on stand-ins: JavaScript classes and functions counted as
 * native code, so that each awkward shape (getters, read-only methods, frozen exports,
 * a class exported twice) can be made on purpose. The last block loads a real addon
 * (bcrypt's prebuilt N-API binary) through the replaced process.dlopen.
 */

const FILE = '/app/node_modules/fake-addon/build/Release/fake.node';

/** JavaScript stand-ins count as an addon's native code. */
const STAND_INS = (): boolean => true;

/**
 * A probe that records every call (threshold 0), taking functions for native code by
 * `isNative`, or by the probe's own check (what it does in a program) when none is given.
 */
function setUp(isNative?: (fn: AnyFunction) => boolean) {
  const records: SyncCallRecord[] = [];
  const sync = new SyncCallProbes({ thresholdMs: 0, record: (make) => records.push(make()) });
  const replacements = new Replacements();
  const probe = new NativeAddonProbe(replacements, sync, isNative ? { isNative } : {});
  return { probe, replacements, sync, records };
}

/** Every own property of an object, with its descriptor, in key order. */
function ownProperties(o: object): Array<[PropertyKey, PropertyDescriptor]> {
  return Reflect.ownKeys(o).map((key) => [key, Object.getOwnPropertyDescriptor(o, key)!]);
}

/** A class standing in for an addon's: a method, a static, a getter that must never be read. */
function makeDatabaseClass() {
  const reads = { open: 0 };
  class Database {
    constructor(readonly file: string) {}
    query(sql: string): string {
      return `${this.file}: ${sql}`;
    }
    get open(): boolean {
      reads.open += 1;
      return true;
    }
    static version(): string {
      return '3.53';
    }
  }
  return { Database, reads };
}

describe('NativeAddonProbe.instrument', () => {
  it('times an exported function in place: same exports object, same shape, same result', () => {
    const { probe, records } = setUp(STAND_INS);
    function compute(a: number, b: number): number {
      return a + b;
    }
    const exports = { compute };
    const before = ownProperties(compute);
    const module = { exports };
    probe.instrument(module, FILE);
    expect(module.exports).toBe(exports);
    expect(exports.compute).not.toBe(compute);
    expect(originalOf(exports.compute)).toBe(compute);
    expect(ownProperties(exports.compute)).toEqual(before);
    expect(exports.compute(2, 3)).toBe(5);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ operation: 'fake-addon.compute', category: 'native', addon: 'fake-addon' });
  });

  it("takes the category from the package's nature where it is known", () => {
    const { probe, records } = setUp(STAND_INS);
    const exports = { encrypt_sync: (data: string) => `hashed ${data}` };
    probe.instrument({ exports }, '/app/node_modules/bcrypt/prebuilds/linux-x64/bcrypt.glibc.node');
    exports.encrypt_sync('pw');
    expect(records[0]).toMatchObject({ operation: 'bcrypt.encrypt_sync', category: 'crypto', addon: 'bcrypt' });
  });

  it('times a class: its constructor, prototype methods and statics, and never reads a getter', () => {
    const { probe, records } = setUp(STAND_INS);
    const { Database, reads } = makeDatabaseClass();
    const exports: { Database: typeof Database } = { Database };
    probe.instrument({ exports }, FILE);
    const Wrapped = exports.Database;
    expect(Wrapped).not.toBe(Database);
    const db = new Wrapped('a.db');
    expect(db.query('select 1')).toBe('a.db: select 1');
    expect(Wrapped.version()).toBe('3.53');
    expect(reads.open).toBe(0);
    expect(records.map((r) => r.operation)).toEqual(['fake-addon.Database', 'fake-addon.Database.query', 'fake-addon.Database.version']);
    expect(probe.summaries()).toEqual([{ name: 'fake-addon', file: FILE, wrapped: 3, left: { accessor: 1 } }]);
  });

  it('keeps instanceof and constructor identity, for instances made with `new` and by the addon itself', () => {
    const { probe } = setUp(STAND_INS);
    const { Database } = makeDatabaseClass();
    const exports: { Database: typeof Database } = { Database };
    probe.instrument({ exports }, FILE);
    const Wrapped = exports.Database;
    // The addon's own code constructs with the class it holds, not with the exports' one.
    const made = [new Wrapped('a.db'), new Database('b.db')];
    for (const db of made) {
      expect(db).toBeInstanceOf(Wrapped);
      expect(db).toBeInstanceOf(Database);
      expect(db.constructor).toBe(Wrapped);
      expect(Object.getPrototypeOf(db)).toBe(Wrapped.prototype);
    }
    expect(Wrapped.prototype).toBe(Database.prototype);
  });

  it("keeps a class's parent: statics it inherits are still found", () => {
    const { probe } = setUp(STAND_INS);
    class Base {
      static create(): string {
        return 'made by Base';
      }
    }
    class Derived extends Base {}
    const exports: { Derived: typeof Derived } = { Derived };
    probe.instrument({ exports }, FILE);
    expect(exports.Derived).not.toBe(Derived);
    expect(Object.getPrototypeOf(exports.Derived)).toBe(Base);
    expect(exports.Derived.create()).toBe('made by Base');
    expect(new exports.Derived()).toBeInstanceOf(Base);
  });

  it('gives a class exported under two names one replacement, so that both names stay the same function', () => {
    const { probe } = setUp(STAND_INS);
    const { Database } = makeDatabaseClass();
    const exports = { Database, DB: Database };
    probe.instrument({ exports }, FILE);
    expect(exports.Database).not.toBe(Database);
    expect(exports.DB).toBe(exports.Database);
    expect(probe.summaries()[0]!.wrapped).toBe(3);
  });

  it('leaves a static that points back at its own class, and counts it', () => {
    const { probe } = setUp(STAND_INS);
    const { Database } = makeDatabaseClass();
    Object.defineProperty(Database, 'Self', { value: Database, writable: true, enumerable: true, configurable: true });
    const exports: { Database: typeof Database } = { Database };
    probe.instrument({ exports }, FILE);
    expect(exports.Database).not.toBe(Database);
    expect(probe.summaries()[0]!.left).toEqual({ accessor: 1, circular: 1 });
  });

  it('leaves read-only methods and a frozen exports object, counts them, and still times what it can', () => {
    const { probe, records } = setUp(STAND_INS);
    const { Database } = makeDatabaseClass();
    const fixed = function fixed(): number {
      return 1;
    };
    Object.defineProperty(Database.prototype, 'fixed', { value: fixed, writable: false, enumerable: false, configurable: false });
    const compute = (): number => 2;
    const exports = Object.freeze({ Database, compute });
    probe.instrument({ exports }, FILE);
    expect(exports.Database).toBe(Database);
    expect(exports.compute).toBe(compute);
    expect(Object.getOwnPropertyDescriptor(Database.prototype, 'fixed')!.value).toBe(fixed);
    // The prototype is not frozen: its other method is timed in place.
    expect(new Database('a.db').query('q')).toBe('a.db: q');
    expect(records.map((r) => r.operation)).toEqual(['fake-addon.Database.query']);
    expect(probe.summaries()[0]!.left).toEqual({ accessor: 1, 'not replaceable': 3 });
  });

  it("leaves a class's constructor when its prototype's constructor cannot point at a replacement", () => {
    const { probe } = setUp(STAND_INS);
    const { Database } = makeDatabaseClass();
    Object.defineProperty(Database.prototype, 'constructor', { value: Database, writable: false, configurable: false });
    const exports: { Database: typeof Database } = { Database };
    probe.instrument({ exports }, FILE);
    expect(exports.Database).toBe(Database);
    expect(originalOf(Database.prototype.query)).not.toBe(Database.prototype.query);
    expect(probe.summaries()[0]!.left).toEqual({ accessor: 1, 'constructor not replaceable': 1 });
  });

  it('leaves exported getters and symbol-keyed functions, and counts them', () => {
    const { probe } = setUp(STAND_INS);
    let reads = 0;
    const exports = {};
    Object.defineProperty(exports, 'lazy', { get: () => (reads += 1, () => 0), enumerable: true, configurable: true });
    Object.defineProperty(exports, Symbol('hidden'), { value: () => 0, enumerable: true, configurable: true, writable: true });
    probe.instrument({ exports }, FILE);
    expect(reads).toBe(0);
    expect(probe.summaries()[0]).toMatchObject({ wrapped: 0, left: { accessor: 1, 'symbol key': 1 } });
  });

  it('leaves functions that are not native code, with the real check', () => {
    const { probe } = setUp();
    const compute = (): number => 1;
    const exports = { compute, bound: Math.max.bind(null) };
    probe.instrument({ exports }, FILE);
    expect(exports.compute).toBe(compute);
    // A bound function reads as native code.
    expect(originalOf(exports.bound)).not.toBe(exports.bound);
    expect(probe.summaries()[0]).toMatchObject({ wrapped: 1, left: { 'not native code': 1 } });
  });

  it('times exports that are one function, named after the package', () => {
    const { probe, records } = setUp(STAND_INS);
    const addon = (n: number): number => n * 2;
    const module: { exports: unknown } = { exports: addon };
    probe.instrument(module, FILE);
    expect(module.exports).not.toBe(addon);
    expect((module.exports as (n: number) => number)(21)).toBe(42);
    expect(records[0]!.operation).toBe('fake-addon');
  });

  it('puts everything back on restore(), and instruments nothing once stopped', () => {
    const { probe, replacements } = setUp(STAND_INS);
    const { Database } = makeDatabaseClass();
    const query = Database.prototype.query;
    const version = Database.version;
    const exports: { Database: typeof Database; compute: () => number } = { Database, compute: () => 1 };
    const compute = exports.compute;
    const before = { exports: ownProperties(exports), prototype: ownProperties(Database.prototype), statics: ownProperties(Database) };
    probe.instrument({ exports }, FILE);
    expect(exports.Database).not.toBe(Database);
    probe.stop();
    expect(replacements.restore()).toBe(0);
    expect(exports.Database).toBe(Database);
    expect(exports.compute).toBe(compute);
    expect(Database.prototype.query).toBe(query);
    expect(Database.prototype.constructor).toBe(Database);
    expect(Database.version).toBe(version);
    expect({ exports: ownProperties(exports), prototype: ownProperties(Database.prototype), statics: ownProperties(Database) }).toEqual(before);
    const later = { compute };
    probe.instrument({ exports: later }, FILE);
    expect(later.compute).toBe(compute);
  });

  it('records a call shorter than the threshold only in the totals', () => {
    const sync = new SyncCallProbes({ thresholdMs: 1_000, record: () => expect.fail('no call should be recorded') });
    const probe = new NativeAddonProbe(new Replacements(), sync, { isNative: () => true });
    const exports = { quick: () => 1 };
    probe.instrument({ exports }, FILE);
    exports.quick();
    exports.quick();
    expect(sync.totals()).toEqual([expect.objectContaining({ operation: 'fake-addon.quick', category: 'native', count: 2 })]);
  });
});

describe('addonName', () => {
  it('is the package whose node_modules folder holds the file, scoped or not', () => {
    expect(addonName('/app/node_modules/bcrypt/prebuilds/linux-x64/bcrypt.glibc.node')).toBe('bcrypt');
    expect(addonName('/app/node_modules/@scope/fast/build/Release/fast.node')).toBe('@scope/fast');
    expect(addonName('/app/node_modules/a/node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe('better-sqlite3');
  });

  it("is the file's own name outside node_modules", () => {
    expect(addonName('/app/build/Release/hasher.node')).toBe('hasher');
  });
});

describe('NativeAddonProbe.install, with a real addon', () => {
  const bcryptFile = join(__dirname, '..', '..', 'node_modules', 'bcrypt', 'prebuilds', `${process.platform}-${process.arch}`, 'bcrypt.glibc.node');
  let undo: (() => void) | undefined;
  afterEach(() => undo?.());

  it("wraps bcrypt's binding as process.dlopen loads it, and puts process.dlopen back", () => {
    const { probe, replacements, records } = setUp();
    const dlopen = process.dlopen;
    expect(probe.install()).toBe(true);
    undo = () => replacements.restore();
    expect(process.dlopen).not.toBe(dlopen);
    expect(process.dlopen.name).toBe(dlopen.name);
    expect(process.dlopen.length).toBe(dlopen.length);
    // Node's .node loader goes through process.dlopen, as it does for every require().
    const binding = createRequire(__filename)(bcryptFile) as Record<string, AnyFunction>;
    expect(originalOf(binding.encrypt_sync!)).not.toBe(binding.encrypt_sync);
    const salt = binding.gen_salt_sync!('b', 4, Buffer.alloc(16, 7)) as string;
    const hash = binding.encrypt_sync!('password', salt) as string;
    expect(binding.compare_sync!('password', hash)).toBe(true);
    expect(records.map((r) => r.operation)).toEqual(['bcrypt.gen_salt_sync', 'bcrypt.encrypt_sync', 'bcrypt.compare_sync']);
    expect(records.every((r) => r.addon === 'bcrypt' && r.category === 'crypto')).toBe(true);
    expect(probe.summaries()).toEqual([{ name: 'bcrypt', file: bcryptFile, wrapped: 7, left: {} }]);
    replacements.restore();
    undo = undefined;
    expect(process.dlopen).toBe(dlopen);
    expect(originalOf(binding.encrypt_sync!)).toBe(binding.encrypt_sync);
  });

  it('is part of the probes the agent installs: addons loaded later are timed, and uninstall puts them back', () => {
    const records: SyncCallRecord[] = [];
    const sync = new SyncCallProbes({ thresholdMs: 0, record: (make) => records.push(make()) });
    const installed = installProbes({ sync, pool: new PoolWorkTracker({ thresholdMs: 50, record: () => {} }) });
    undo = () => installed.uninstall();
    // Loaded again into a module of its own: an N-API addon gives each load fresh exports.
    const module = { exports: {} as Record<string, AnyFunction> };
    process.dlopen(module, bcryptFile);
    const getRounds = module.exports.get_rounds!;
    expect(originalOf(getRounds)).not.toBe(getRounds);
    expect(getRounds('$2b$10$nOUIs5kJ7naTuTFkBy1veuK0kSxUFXfuaOKdOKf9xYT0KKIGSJwFa')).toBe(10);
    expect(records.map((r) => r.operation)).toEqual(['bcrypt.get_rounds']);
    installed.uninstall();
    undo = undefined;
    expect(module.exports.get_rounds).toBe(originalOf(getRounds));
    // With the probes off, an addon loaded now is left as it is.
    const later = { exports: {} as Record<string, AnyFunction> };
    process.dlopen(later, bcryptFile);
    expect(originalOf(later.exports.get_rounds!)).toBe(later.exports.get_rounds);
  });
});
