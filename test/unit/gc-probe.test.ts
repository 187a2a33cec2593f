import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { GcProbe, OBSERVE_AFTER_TROUBLE_MS } from '../../src/agent/probes/gc';
import type { GcRecord } from '../../src/recording/schema';

// A real collection, made on demand: V8's gc(), exposed for this test only.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** A full collection, then a turn of the event loop: Node delivers 'gc' entries from an immediate. */
async function collectAndDeliver(): Promise<void> {
  collect();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

function probe(observing: 'always' | 'when late'): { gc: GcProbe; records: GcRecord[] } {
  const records: GcRecord[] = [];
  return { gc: new GcProbe((r) => records.push(r), observing), records };
}

describe('GcProbe', () => {
  it("'always' counts every collection from its start", async () => {
    const { gc } = probe('always');
    gc.start();
    expect(gc.isObserving()).toBe(true);
    await collectAndDeliver();
    gc.stop();
    expect(gc.totals().byKind.major?.count ?? 0).toBeGreaterThanOrEqual(1);
  });

  it("'when late' observes nothing until the loop is in trouble, then for a while, then stops", async () => {
    const { gc } = probe('when late');
    gc.start();
    expect(gc.isObserving()).toBe(false);
    await collectAndDeliver();
    expect(gc.totals().count).toBe(0);

    const now = performance.now();
    gc.trouble(now);
    expect(gc.isObserving()).toBe(true);
    await collectAndDeliver();
    const seen = gc.totals().byKind.major?.count ?? 0;
    expect(seen).toBeGreaterThanOrEqual(1);

    // Still within the window: connected; past it: disconnected, and collections go unseen.
    gc.beat(now + OBSERVE_AFTER_TROUBLE_MS - 1);
    expect(gc.isObserving()).toBe(true);
    gc.beat(now + OBSERVE_AFTER_TROUBLE_MS + 1);
    expect(gc.isObserving()).toBe(false);
    await collectAndDeliver();
    expect(gc.totals().byKind.major?.count ?? 0).toBe(seen);

    // Trouble again: observed again. After stop(), trouble connects nothing.
    gc.trouble(performance.now());
    expect(gc.isObserving()).toBe(true);
    gc.stop();
    expect(gc.isObserving()).toBe(false);
    gc.trouble(performance.now());
    expect(gc.isObserving()).toBe(false);
  });

});
