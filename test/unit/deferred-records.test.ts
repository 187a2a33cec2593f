import { describe, expect, it } from 'vitest';
import { DeferredRecords } from '../../src/agent/deferred-records';
import type { GcRecord, RecordingRecord } from '../../src/recording/schema';

const pause = (start: number): GcRecord => ({ type: 'gc', start, durationMs: 2, kind: 'minor' });

describe('DeferredRecords', () => {
  it('builds nothing until flushed, then writes everything added, in order, in one batch', () => {
    const batches: RecordingRecord[][] = [];
    const built: number[] = [];
    const deferred = new DeferredRecords((records) => batches.push(records));
    deferred.add(() => (built.push(1), pause(1)));
    deferred.add(() => (built.push(2), pause(2)));
    expect(built).toEqual([]);
    deferred.flush();
    expect(batches).toEqual([[pause(1), pause(2)]]);
  });

  it('writes nothing when nothing was added, and each record once', () => {
    const batches: RecordingRecord[][] = [];
    const deferred = new DeferredRecords((records) => batches.push(records));
    deferred.flush();
    deferred.add(() => pause(1));
    deferred.flush();
    deferred.flush();
    expect(batches).toEqual([[pause(1)]]);
  });

  it('loses only the record that cannot be built', () => {
    const batches: RecordingRecord[][] = [];
    const deferred = new DeferredRecords((records) => batches.push(records));
    deferred.add(() => {
      throw new Error('broken');
    });
    deferred.add(() => pause(3));
    deferred.flush();
    expect(batches).toEqual([[pause(3)]]);
  });
});
