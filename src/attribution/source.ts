import { readFileSync } from 'node:fs';

/**
 * Reads the program's source lines, for the few things a stack cannot say (which
 * zlib convenience method was called, which JSON call just returned). Attribution
 * takes it as a parameter so that it stays a pure function in tests.
 */
export interface SourceLines {
  /** 1-based line of a file, or undefined when the file cannot be read. */
  line(file: string, line: number): string | undefined;
}

export function fileSourceLines(): SourceLines {
  const cache = new Map<string, string[] | null>();
  return {
    line(file, line) {
      let lines = cache.get(file);
      if (lines === undefined) {
        try {
          lines = readFileSync(file, 'utf8').split(/\r?\n/);
        } catch {
          lines = null;
        }
        cache.set(file, lines);
      }
      return lines?.[line - 1];
    },
  };
}

export const NO_SOURCE: SourceLines = { line: () => undefined };

/** The identifier that starts at a 1-based column (V8 puts a member call's column on the property name). */
export function identifierAt(text: string, column: number): string | undefined {
  const match = /^[A-Za-z_$][\w$]*/.exec(text.slice(column - 1));
  return match?.[0];
}
