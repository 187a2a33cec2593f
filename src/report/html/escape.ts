/**
 * The one way markup is made. Everything the HTML report shows came from the program
 * (paths, function names, argv, host names, module names), so every interpolated value
 * is escaped, unless it is itself markup built by `html`:
 *
 *   html`<td title="${file}">${where}</td>`
 *
 * escapes `file` and `where`, in text and in quoted attribute values alike. Control
 * characters (ESC, BEL, a newline inside a name) and the Unicode controls that reorder
 * text are shown escaped (`\x1b`), as in the text report: a page shows them as nothing,
 * or lets them rearrange what is around them.
 */
import { escapeControls, hasControls } from '../printable';


/** Markup built by `html`: the only thing inserted into markup as it is. */
export class Markup {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

/** What may be interpolated: text (escaped), markup, or a list of them. */
export type Interpolated = string | number | Markup | null | undefined | false | readonly Interpolated[];

export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Markup {
  let text = strings[0]!;
  values.forEach((value, i) => {
    text += render(value) + strings[i + 1]!;
  });
  return new Markup(text);
}

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * loopwatch's own text, inserted as it is: the page's stylesheet and script, and JSON
 * that jsonForScript made safe for its block. Never anything from the program.
 */
export function verbatim(ownText: string): Markup {
  return new Markup(ownText);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return escapeControls(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * JSON for a `<script type="application/json">` block. `<` and `>` escaped, no text
 * can close the element or open a comment (`</script>`, `<!--`); `&` too, so that the
 * block reads the same to an HTML or XML parser; U+2028 and U+2029, which some
 * JavaScript parsers took for line ends. All as \u escapes, which JSON.parse reads back.
 * Control characters in strings are shown escaped (`\x1b`) before that, as escapeHtml
 * shows them: the page script writes these strings as text.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' && hasControls(v) ? escapeControls(v) : v)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
