import type { Report } from './schema';

/** An array of numbers as JSON.stringify indents it: one number a line. */
const INDENTED_NUMBERS = /\[\n\s+(-?[\d.eE+-]+(?:,\n\s+-?[\d.eE+-]+)*)\n\s*\]/g;

/**
 * The JSON report as `--json` writes it: indented for people, except arrays of numbers
 * (a profile's frame indexes), which stay on one line: one number a line would triple
 * the size of a big run's profiles. Newlines in JSON strings are escaped, so a newline
 * after `[` is always indentation.
 */
export function reportToJson(report: Report): string {
  return JSON.stringify(report, null, 2).replace(INDENTED_NUMBERS, (_, numbers: string) => `[${numbers.split(/,\n\s+/).join(', ')}]`) + '\n';
}
