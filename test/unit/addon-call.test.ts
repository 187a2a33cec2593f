import { describe, expect, it } from 'vitest';
import { attributeStall } from '../../src/attribution/attribute';
import type { Frame } from '../../src/attribution/frames';
import { attributeAddonCall, attributeSyncCall } from '../../src/attribution/stack-to-call-site';
import type { SampleRecord, StallRecord, SyncCallRecord } from '../../src/recording/schema';

/**
 * Naming a timed call into a native addon: what the program called, when its stack
 * shows it, else the binding's own function; and the stall it blocked.
 */

function f(file: string | null, fn: string | null, line: number | null = null, column: number | null = null): Frame {
  return { file, line, column, function: fn };
}

const USER = f('/app/login.js', 'login', 14, 22);
const TIMERS = f('node:internal/timers', 'listOnTimeout', 581, 17);
const BCRYPT_HASH_SYNC = f('/app/node_modules/bcrypt/bcrypt.js', 'hashSync', 91, 21);

describe('attributeAddonCall', () => {
  it("a binding the program called directly keeps the binding's name and the probe's category", () => {
    const a = attributeAddonCall([USER, TIMERS], 'better-sqlite3.Statement.run', 'fs', 'better-sqlite3');
    expect(a).toEqual({ callSite: USER, operation: 'better-sqlite3.Statement.run', category: 'fs', viaDependency: false });
  });

  it("a binding called by its own package's JavaScript is named after what the program called, as the program's own call", () => {
    const a = attributeAddonCall([BCRYPT_HASH_SYNC, USER, TIMERS], 'bcrypt.encrypt_sync', 'crypto', 'bcrypt');
    expect(a).toEqual({ callSite: USER, operation: 'bcrypt.hashSync', category: 'crypto', viaDependency: false });
  });

  it('names the outermost function of the package when its JavaScript calls itself on the way', () => {
    const inner = f('/app/node_modules/better-sqlite3/lib/methods/pragma.js', 'prepare', 10, 3);
    const outer = f('/app/node_modules/better-sqlite3/lib/methods/pragma.js', 'pragma', 4, 10);
    const a = attributeAddonCall([inner, outer, USER], 'better-sqlite3.Database.prepare', 'fs', 'better-sqlite3');
    expect(a).toMatchObject({ operation: 'better-sqlite3.pragma', viaDependency: false });
  });

  it('a binding called through another package is named after that package, as any call a dependency made', () => {
    const wrapper = f('/app/node_modules/better-sqlite3/lib/methods/wrappers.js', 'exec', 9, 17);
    const orm = f('/app/node_modules/tiny-orm/index.js', 'migrate', 40, 5);
    const a = attributeAddonCall([wrapper, orm, USER], 'better-sqlite3.Database.exec', 'fs', 'better-sqlite3');
    expect(a).toEqual({ callSite: USER, operation: 'tiny-orm.migrate', category: 'fs', viaDependency: true });
  });

  it('attributeSyncCall names a recorded addon call by these rules', () => {
    const record: SyncCallRecord = {
      type: 'syncCall',
      operation: 'bcrypt.encrypt_sync',
      category: 'crypto',
      addon: 'bcrypt',
      start: 1000,
      durationMs: 120,
      phase: 'run',
      frames: [BCRYPT_HASH_SYNC, USER, TIMERS],
    };
    expect(attributeSyncCall(record)).toMatchObject({ callSite: USER, operation: 'bcrypt.hashSync', category: 'crypto', viaDependency: false });
  });
});

describe('a stall blocked in an addon call', () => {
  const stall: StallRecord = { type: 'stall', seq: 3, start: 1000, end: 1130, durationMs: 130, inProgressAtExit: false, phase: 'run' };
  const call: SyncCallRecord = {
    type: 'syncCall',
    operation: 'bcrypt.encrypt_sync',
    category: 'crypto',
    addon: 'bcrypt',
    start: 1001,
    durationMs: 120,
    phase: 'run',
    frames: [BCRYPT_HASH_SYNC, USER, TIMERS],
  };
  const settings = { pid: 7, sampleIntervalMs: 10 };

  it("is the call's exact time at the program's line, when the late sample came back inside the package's wrapper", () => {
    // Asked for at 1030, served as the binding returned into bcrypt's hashSync.
    const sample: SampleRecord = { type: 'sample', seq: 3, requestedAt: 1030, at: 1121.5, frames: [BCRYPT_HASH_SYNC, USER, TIMERS] };
    const found = attributeStall(stall, { samples: [sample], syncCalls: [call], gcPauses: [] }, settings);
    expect(found.causes[0]).toMatchObject({ operation: 'bcrypt.hashSync', category: 'crypto', durationMs: 120, exact: true, calls: 1 });
    expect(found.causes[0]!.callSite).toEqual(USER);
    // The rest is the program's own work around the call, at the same line.
    expect(found.causes.slice(1).map((c) => [c.operation, c.durationMs])).toEqual([['login', 10]]);
  });

  it("is the call's exact time at the program's line, when the late sample came back in the next line", () => {
    const next = f('/app/login.js', 'login', 15, 3);
    const sample: SampleRecord = { type: 'sample', seq: 3, requestedAt: 1030, at: 1121.5, frames: [next, TIMERS] };
    const found = attributeStall(stall, { samples: [sample], syncCalls: [call], gcPauses: [] }, settings);
    expect(found.causes.map((c) => [c.operation, c.callSite?.line, c.durationMs])).toEqual([
      ['bcrypt.hashSync', 14, 120],
      ['login', 15, 8.5],
      ['login', 14, 1.5],
    ]);
  });
});
