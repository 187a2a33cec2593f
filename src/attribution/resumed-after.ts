import type { Attribution } from './stack-to-call-site';
import type { SourceLines } from './source';

/**
 * V8 runs JSON.parse and JSON.stringify in C++ without checking for interrupts, so a
 * sample asked for during one is served only after it returned, at the next call in
 * the same function: the stack then shows the line after the culprit, and no JSON
 * frame. The same holds for a forced garbage collection (`global.gc()`, with
 * --expose-gc). When a sample came late and its stack shows plain JavaScript, the
 * source lines just before the resume point are searched for such a call.
 */

const NON_INTERRUPTIBLE = /\b(?:JSON\s*\.\s*(parse|stringify)|(gc))\s*\(/g;
/** How many lines above the resume point such a call may stand. */
const LOOK_BACK_LINES = 3;

export function attributeResumedSample(attribution: Attribution, source: SourceLines): Attribution | undefined {
  const site = attribution.callSite;
  if (attribution.category !== 'js' || !site?.file || site.line === null || site.column === null) return undefined;
  for (let line = site.line; line >= Math.max(1, site.line - LOOK_BACK_LINES); line--) {
    let text = source.line(site.file, line);
    if (text === undefined) return undefined;
    if (line === site.line) text = text.slice(0, site.column - 1);
    let last: RegExpExecArray | undefined;
    for (const match of text.matchAll(NON_INTERRUPTIBLE)) last = match as RegExpExecArray;
    if (last) {
      const method = last[1] ?? last[2]!;
      // The column V8 would report: the property name of the member call.
      const column = last.index + last[0].indexOf(method) + 1;
      const callSite = { ...site, line, column };
      return last[1] ? { callSite, operation: `JSON.${method}`, category: 'json' } : { callSite, operation: 'gc', category: 'gc' };
    }
  }
  return undefined;
}
