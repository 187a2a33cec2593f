import { describe, expect, it } from 'vitest';
import { UNKNOWN_NATIVE_CALL } from '../../src/attribution/late-samples';
import { reportToText } from '../../src/report/to-text';
import { cause, frame, report, ROOT, stall } from './reports';

describe('the text report on native code whose call is not known', () => {
  it('says why it names no line, instead of naming the line where JavaScript resumed', () => {
    const native = cause(null, UNKNOWN_NATIVE_CALL, 'native', 240, { samples: 0, stack: [frame('server.js', 31, 'handle')] });
    const resumed = cause(frame('server.js', 31, 'handle'), 'handle', 'js', 1.2);
    const s = stall(100, [native, resumed]);
    const text = reportToText(
      report({
        stalls: [s],
        callSites: [{ callSite: null, operation: UNKNOWN_NATIVE_CALL, category: 'native', parts: [{ operation: UNKNOWN_NATIVE_CALL, category: 'native', count: 1, totalMs: 240 }], threads: [0], count: 1, totalMs: 240, maxMs: 240, p95Ms: 240 }],
      }),
      { cwd: ROOT, color: false },
    );
    expect(text).toContain(' 1. line not known: the native call had returned when the stack was sampled\n');
    expect(text).toContain(`    ${UNKNOWN_NATIVE_CALL} (native): 1 stall, 240 ms total, 240 ms max\n`);
    expect(text).not.toContain('server.js:31');
  });
});
