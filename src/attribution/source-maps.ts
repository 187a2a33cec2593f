/**
 * Source maps on disk, applied after the run: a program compiled with tsc (or any tool
 * that writes `//# sourceMappingURL=`) and run without --enable-source-maps records its
 * frames in the generated JavaScript; this maps them to the sources, keeping the
 * generated location beside. Frames the agent already mapped at run time (through the
 * program's own stack formatter) are left as they are.
 *
 * Decoding is Node's own (module.SourceMap). A map that is missing, unreadable or broken
 * leaves the generated location, and says so once per file (`problems`).
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordedFrame } from '../recording/schema';

export interface SourceMaps {
  /** The frame mapped to its source, or the frame itself when there is nothing to map. */
  map(frame: RecordedFrame): RecordedFrame;
  /** What could not be mapped, once per file, for the report's warnings. */
  problems(): string[];
}

export const NO_SOURCE_MAPS: SourceMaps = { map: (frame) => frame, problems: () => [] };

/** The last sourceMappingURL comment of a file (a later one wins, as in browsers and Node). */
const MAPPING_URL = /\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/gm;

interface LoadedMap {
  map: SourceMap;
  /** Where the map's relative `sources` start: the map file's directory (with its sourceRoot). */
  base: string;
}

export function fileSourceMaps(): SourceMaps {
  const maps = new Map<string, LoadedMap | null>();
  const problems = new Map<string, string>();

  function load(file: string): LoadedMap | null {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return null; // Not a file we can read (node: internals, a deleted temp file): nothing to map.
    }
    let url: string | undefined;
    for (const match of text.matchAll(MAPPING_URL)) url = match[1];
    if (url === undefined) return null;
    try {
      let json: string;
      let mapFile = file;
      if (url.startsWith('data:')) {
        const comma = url.indexOf(',');
        const meta = url.slice(5, comma);
        const data = url.slice(comma + 1);
        json = meta.endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
      } else {
        mapFile = url.startsWith('file://') ? fileURLToPath(url) : resolve(dirname(file), decodeURIComponent(url));
        json = readFileSync(mapFile, 'utf8');
      }
      const payload = JSON.parse(json) as { sourceRoot?: string };
      return { map: new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]), base: resolve(dirname(mapFile), payload.sourceRoot ?? '') };
    } catch (err) {
      problems.set(file, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
      return null;
    }
  }

  function mapped(file: string): LoadedMap | null {
    let entry = maps.get(file);
    if (entry === undefined) {
      entry = load(file);
      maps.set(file, entry);
    }
    return entry;
  }

  return {
    map(frame) {
      if (frame.generated || frame.file === null || frame.line === null || frame.column === null) return frame;
      const path = frame.file.startsWith('file://') ? safePath(frame.file) : frame.file;
      if (path === undefined || !isAbsolute(path)) return frame;
      const loaded = mapped(path);
      if (!loaded) return frame;
      const entry = loaded.map.findEntry(frame.line - 1, frame.column - 1) as {
        originalSource?: string;
        originalLine?: number;
        originalColumn?: number;
      };
      if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return frame;
      const source = entry.originalSource.startsWith('file://') ? safePath(entry.originalSource) : resolve(loaded.base, entry.originalSource);
      if (source === undefined) return frame;
      return {
        ...frame,
        file: source,
        line: entry.originalLine + 1,
        column: entry.originalColumn + 1,
        generated: { file: frame.file, line: frame.line, column: frame.column },
      };
    },
    problems: () => collapseDependencies(problems),
  };
}

function safePath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

/**
 * Maps that cannot be read in the program's own files are each worth a line; in its
 * dependencies (a package that ships `//# sourceMappingURL` comments without the maps)
 * there can be hundreds, all saying the same: one line, with a count and the first.
 */
function collapseDependencies(problems: Map<string, string>): string[] {
  const said = (file: string, why: string) => `${file}: its source map could not be read (${why}); its locations are in the generated code`;
  const own: string[] = [];
  const dependencies: Array<[string, string]> = [];
  for (const [file, why] of problems) {
    if (/[\\/]node_modules[\\/]/.test(file)) dependencies.push([file, why]);
    else own.push(said(file, why));
  }
  if (dependencies.length <= 1) return [...own, ...dependencies.map(([file, why]) => said(file, why))];
  const [file, why] = dependencies[0]!;
  return [...own, `${dependencies.length} files in node_modules have source maps that could not be read (the first: ${file}, ${why}); their locations are in the generated code`];
}
