/**
 * Text that came from the program (file and function names, paths, argv, host names),
 * made safe to print on a terminal or into a CI log: control characters are shown
 * escaped (`\x1b[2J` cannot clear the screen, a newline cannot start a `::error::`
 * line), and so are the Unicode characters that reorder or break lines; a very long
 * string is cut, saying how much was left out.
 */

/** C0 and C1 controls, DEL, line and paragraph separators, bidi embeddings, overrides and isolates, BOM. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

const UNSAFE_TEST = new RegExp(UNSAFE.source);

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Program-controlled strings longer than this are cut (a 10,000-character function name is data, not a report). */
export const MAX_PRINTED_LENGTH = 300;

export function printable(text: string, maxLength = MAX_PRINTED_LENGTH): string {
  let shown = text;
  if (shown.length > maxLength) shown = `${shown.slice(0, maxLength)}...(${text.length - maxLength} more characters)`;
  return shown.replace(UNSAFE, (c) => NAMED[c] ?? escapeCode(c));
}

/**
 * Only the control and reordering characters shown escaped, the length kept: for formats
 * with an escaping of their own for some of them (`keep`: GitHub's workflow commands
 * carry CR and LF as %0D and %0A).
 */
export function escapeControls(text: string, keep = ''): string {
  return text.replace(UNSAFE, (c) => (keep.includes(c) ? c : (NAMED[c] ?? escapeCode(c))));
}

/** Whether the text holds a character printable() would show escaped. */
export function hasControls(text: string): boolean {
  return UNSAFE_TEST.test(text);
}

function escapeCode(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * JSON for a terminal or a log, to be pasted back: JSON.stringify leaves DEL, the C1
 * controls, U+2028/U+2029 and the bidi controls as they are; they become \u escapes,
 * which JSON reads back as the same characters.
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
