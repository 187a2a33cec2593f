import { describe, expect, it } from 'vitest';
import { attributeResumedSample } from '../../src/attribution/resumed-after';
import type { Attribution } from '../../src/attribution/stack-to-call-site';
import type { SourceLines } from '../../src/attribution/source';

const FILE = '/app/handler.js';

function sourceOf(lines: string[]): SourceLines {
  return { line: (file, line) => (file === FILE ? lines[line - 1] : undefined) };
}

/** A sample resumed at `line:column` in plain JS. */
function jsAt(line: number, column: number, fn = 'handler'): Attribution {
  return { callSite: { file: FILE, line, column, function: fn }, operation: fn, category: 'js' };
}

describe('attributeResumedSample', () => {
  it('finds a JSON.parse on the same line before the column; column is that of `parse`', () => {
    const text = '  const n = JSON.parse(body).items.length; report(n);';
    const lines = ['function handler(body) {', text, '}'];
    const resumedColumn = text.indexOf('report') + 1;
    const a = attributeResumedSample(jsAt(2, resumedColumn), sourceOf(lines));
    expect(a).toEqual({
      callSite: { file: FILE, line: 2, column: text.indexOf('parse') + 1, function: 'handler' },
      operation: 'JSON.parse',
      category: 'json',
    });
  });

  it('ignores a JSON call on the same line after the column', () => {
    const text = '  report(n); const s = JSON.stringify(n);';
    const a = attributeResumedSample(jsAt(2, 3), sourceOf(['function handler(n) {', text]));
    expect(a).toBeUndefined();
  });

  it('finds JSON.stringify on a line above', () => {
    const lines = ['function handler(obj) {', '  const s = JSON.stringify(obj);', '  send(s);'];
    const a = attributeResumedSample(jsAt(3, 3), sourceOf(lines));
    expect(a).toEqual({
      callSite: { file: FILE, line: 2, column: lines[1]!.indexOf('stringify') + 1, function: 'handler' },
      operation: 'JSON.stringify',
      category: 'json',
    });
  });

  it('looks up to 3 lines above, not 4', () => {
    const lines = [
      '  const a = JSON.parse(s);', // 1
      '  one();', // 2
      '  two();', // 3
      '  three();', // 4
      '  four();', // 5
    ];
    expect(attributeResumedSample(jsAt(4, 3), sourceOf(lines))?.callSite?.line).toBe(1);
    expect(attributeResumedSample(jsAt(5, 3), sourceOf(lines))).toBeUndefined();
  });

  it('takes the nearest JSON call: the last on the nearest line', () => {
    const lines = ['  JSON.parse(a);', '  const x = JSON.parse(b), y = JSON.stringify(c);', '  next();'];
    const a = attributeResumedSample(jsAt(3, 3), sourceOf(lines));
    expect(a?.operation).toBe('JSON.stringify');
    expect(a?.callSite?.line).toBe(2);
    expect(a?.callSite?.column).toBe(lines[1]!.indexOf('stringify') + 1);
  });

  it('accepts spaces around the dot and before the parenthesis', () => {
    const text = '  const v = JSON . parse (raw);';
    const a = attributeResumedSample(jsAt(2, 3), sourceOf([text, '  use(v);']));
    expect(a?.operation).toBe('JSON.parse');
    expect(a?.callSite?.column).toBe(text.indexOf('parse') + 1);
  });

  it('does not take a mention of JSON.parse that is not a call, or another object', () => {
    const lines = ['  const p = JSON.parse;', '  const q = MYJSON.parse(x);', '  next();'];
    expect(attributeResumedSample(jsAt(3, 3), sourceOf(lines))).toBeUndefined();
  });

  it('returns undefined when there is no JSON call nearby', () => {
    const lines = ['function handler() {', '  let i = 0;', '  while (i < 1e9) i++;'];
    expect(attributeResumedSample(jsAt(3, 3), sourceOf(lines))).toBeUndefined();
  });

  it('returns undefined when the source cannot be read', () => {
    expect(attributeResumedSample(jsAt(3, 3), { line: () => undefined })).toBeUndefined();
  });

  it('returns undefined when the category is not js', () => {
    const lines = ['  const a = JSON.parse(s);', '  crypto.pbkdf2Sync(p, s, 1e5, 64, "sha512");'];
    const a: Attribution = {
      callSite: { file: FILE, line: 2, column: 10, function: 'hash' },
      operation: 'crypto.pbkdf2Sync',
      category: 'crypto',
    };
    expect(attributeResumedSample(a, sourceOf(lines))).toBeUndefined();
  });

  it('returns undefined without a call site, a line or a column', () => {
    const lines = ['  const a = JSON.parse(s);', '  next();'];
    expect(attributeResumedSample({ callSite: null, operation: 'x', category: 'js' }, sourceOf(lines))).toBeUndefined();
    expect(attributeResumedSample({ ...jsAt(2, 3), callSite: { file: FILE, line: 2, column: null, function: 'h' } }, sourceOf(lines))).toBeUndefined();
    expect(attributeResumedSample({ ...jsAt(2, 3), callSite: { file: FILE, line: null, column: 3, function: 'h' } }, sourceOf(lines))).toBeUndefined();
    expect(attributeResumedSample({ ...jsAt(2, 3), callSite: { file: null, line: 2, column: 3, function: 'h' } }, sourceOf(lines))).toBeUndefined();
  });

  it('does not look above line 1', () => {
    const lines = ['  next(); JSON.parse(s);'];
    expect(attributeResumedSample(jsAt(1, 3), sourceOf(lines))).toBeUndefined();
  });
});
