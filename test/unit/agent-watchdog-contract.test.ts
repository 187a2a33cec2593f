import { describe, expect, it } from 'vitest';
import { whyNoInspector } from '../../src/agent/inspector-available';
import { createHeartbeatBuffer, HeartbeatState } from '../../src/contract/heartbeat-state';
import { createPoolUseBuffer, PoolUseState, processThreads } from '../../src/contract/pool-use-state';
import { libuvNamesThreads } from '../../src/watchdog/pool-threads';

describe('whyNoInspector: the processes Node.js gives no inspector', () => {
  it('a node --test runner (it runs each test file in a process of its own)', () => {
    expect(whyNoInspector(['--test'], {})).toMatch(/node --test. runner process/);
    expect(whyNoInspector(['--require', 'x.js', '--test', '--test-reporter=tap'], {})).not.toBeNull();
  });

  it('but a runner that runs the tests in its own process has one', () => {
    expect(whyNoInspector(['--test', '--test-isolation=none'], {})).toBeNull();
    expect(whyNoInspector(['--test', '--experimental-test-isolation=none'], {})).toBeNull();
  });

  it('the process `node --watch` restarts the program from, not the program itself', () => {
    expect(whyNoInspector(['--watch'], {})).toMatch(/node --watch/);
    expect(whyNoInspector(['--watch-path=src'], {})).toMatch(/node --watch/);
    expect(whyNoInspector([], { NODE_OPTIONS: '--max-old-space-size=100 --watch' })).toMatch(/node --watch/);
    expect(whyNoInspector(['--watch'], { WATCH_REPORT_DEPENDENCIES: '1' })).toBeNull();
  });

  it('any other process, whatever its flags', () => {
    expect(whyNoInspector([], {})).toBeNull();
    expect(whyNoInspector(['--test-reporter=spec', '--enable-source-maps'], { NODE_OPTIONS: '--require ./x.js' })).toBeNull();
  });
});

describe('HeartbeatState: the session handshake', () => {
  it('the watchdog may claim a session while the main thread runs, and gives it back', () => {
    const state = new HeartbeatState(createHeartbeatBuffer());
    expect(state.claimSession()).toBe(true);
    state.sessionDetached();
    expect(state.claimSession()).toBe(true);
  });

  it('once the main thread is on its way out, no session can be claimed', () => {
    const state = new HeartbeatState(createHeartbeatBuffer());
    state.closeSession(0);
    expect(state.closing()).toBe(true);
    expect(state.claimSession()).toBe(false);
    // The refused claim leaves nothing held: an exit does not wait for it.
    const started = performance.now();
    state.closeSession(1_000);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('an exit waits for a held session to be given back, up to its limit', () => {
    const state = new HeartbeatState(createHeartbeatBuffer());
    expect(state.claimSession()).toBe(true);
    const started = performance.now();
    state.closeSession(50);
    // Nobody gave it back (no watchdog here): the exit went on at the limit, not before.
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
    expect(state.claimSession()).toBe(false);
  });

  it('after an exit that did not happen (a handled uncaught exception), sessions are allowed again', () => {
    const state = new HeartbeatState(createHeartbeatBuffer());
    state.closeSession(0);
    state.reopen();
    expect(state.claimSession()).toBe(true);
  });
});

describe('PoolUseState: whether the program has used the threadpool', () => {
  it('nothing is used until the program says so; the work queue is probed with any use, the DNS queue with its own', () => {
    const use = new PoolUseState(createPoolUseBuffer(7));
    expect([use.used('work'), use.used('dns')]).toEqual([false, false]);
    use.markUsed('work');
    expect([use.used('work'), use.used('dns')]).toEqual([true, false]);
    const dnsFirst = new PoolUseState(createPoolUseBuffer(7));
    dnsFirst.markUsed('dns');
    expect([dnsFirst.used('work'), dnsFirst.used('dns')]).toEqual([true, true]);
  });

  it('a waiting watchdog is woken by the first use, and by nothing after it', async () => {
    const use = new PoolUseState(createPoolUseBuffer(-1));
    const seen = use.signal();
    const woken = use.changed(seen);
    use.markUsed('work');
    await woken;
    const again = use.signal();
    use.markUsed('work');
    expect(use.signal()).toBe(again);
  });

  it('counts the program\'s worker threads, and keeps the thread count the agent started with', () => {
    const use = new PoolUseState(createPoolUseBuffer(9));
    use.programThread(1);
    use.programThread(1);
    use.programThread(-1);
    expect(use.programThreads()).toBe(1);
    expect(use.threadsAtStart()).toBe(9);
  });

  it('reads the process\'s thread count from /proc/self/stat, whatever its command name holds', () => {
    const stat = '4242 (node (a) b) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 11 0 100 1 1 ';
    expect(processThreads(() => stat)).toBe(11);
    expect(processThreads(() => { throw new Error('ENOENT'); })).toBe(-1);
  });

  it('libuv names its pool threads from 1.50 on', () => {
    expect(libuvNamesThreads('1.46.0')).toBe(false);
    expect(libuvNamesThreads('1.50.0')).toBe(true);
    expect(libuvNamesThreads('1.52.1')).toBe(true);
    expect(libuvNamesThreads(undefined)).toBe(false);
  });
});
