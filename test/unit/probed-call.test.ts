import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/attribution/frames';
import { attributeProbedCall } from '../../src/attribution/stack-to-call-site';

function f(file: string | null, fn: string | null, line: number | null = null, column: number | null = null): Frame {
  return { file, line, column, function: fn };
}

const TIMERS = f('node:internal/timers', 'listOnTimeout', 581, 17);

describe('attributeProbedCall', () => {
  it("a call the program made directly keeps the probe's operation and category", () => {
    const user = f('/app/server.js', 'hash', 12, 10);
    const a = attributeProbedCall([user, TIMERS], 'crypto.pbkdf2Sync', 'crypto');
    expect(a).toEqual({ callSite: user, operation: 'crypto.pbkdf2Sync', category: 'crypto', viaDependency: false });
  });

  it("a call made inside a dependency takes the dependency's operation and the package's category", () => {
    const user = f('/app/resolve.js', 'resolveHost', 31, 20);
    const stack = [f('/app/node_modules/dns-sync/index.js', 'resolve', 30, 20), user, TIMERS];
    const a = attributeProbedCall(stack, 'child_process.execFileSync', 'child_process');
    expect(a).toEqual({ callSite: user, operation: 'dns-sync.resolve', category: 'dns', viaDependency: true });
  });

  it("a call made inside a dependency of unknown nature keeps the probe's category", () => {
    const user = f('/app/config.js', 'load', 8, 3);
    const stack = [f('/app/node_modules/some-config/lib/read.js', 'readAll', 40, 12), user];
    const a = attributeProbedCall(stack, 'fs.readFileSync', 'fs');
    expect(a).toEqual({ callSite: user, operation: 'some-config.readAll', category: 'fs', viaDependency: true });
  });

  it("a require the program made (through Node's require helper) keeps the probe's operation", () => {
    const user = f('/app/routes.js', 'lazy', 5, 15);
    const stack = [f('node:internal/modules/helpers', 'require', 177, 18), user];
    const a = attributeProbedCall(stack, 'require', 'module');
    expect(a).toEqual({ callSite: user, operation: 'require', category: 'module', viaDependency: false });
  });

  it("a call with no frame of the program's own is named after the first dependency frame, with the probe's operation", () => {
    const dep = f('/app/node_modules/npm/lib/cli.js', 'run', 10, 3);
    const a = attributeProbedCall([dep], 'fs.readFileSync', 'fs');
    expect(a).toEqual({ callSite: dep, operation: 'fs.readFileSync', category: 'fs', viaDependency: false });
  });

  it("an empty stack keeps the probe's operation without a call site", () => {
    expect(attributeProbedCall([], 'fs.readFileSync', 'fs')).toEqual({ callSite: null, operation: 'fs.readFileSync', category: 'fs', viaDependency: false });
  });
});
