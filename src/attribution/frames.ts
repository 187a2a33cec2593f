import { fileURLToPath } from 'node:url';
import type { RecordedFrame } from '../recording/schema';

/** A frame as reports show it: `file` is an absolute path, a `node:` specifier, or null for builtins. */
export interface Frame {
  file: string | null;
  line: number | null;
  column: number | null;
  function: string | null;
  /** A dependency's method: the class of the object it ran on (RecordedFrame.receiver). */
  receiver?: string;
  /** The location in the code that ran, when file, line and column come from a source map. */
  generated?: { file: string; line: number | null; column: number | null };
}

/** Whose code a frame runs: Node's own, a dependency's, or the program's. */
export type FrameOwner = 'node' | 'builtin' | 'dependency' | 'program';

/** ES modules report file: URLs; everything downstream speaks paths. */
export function normalizeFrame(frame: RecordedFrame): Frame {
  const normalized: Frame = { file: toPath(frame.file), line: frame.line, column: frame.column, function: frame.function };
  if (frame.receiver !== undefined) normalized.receiver = frame.receiver;
  if (frame.generated) normalized.generated = { ...frame.generated, file: toPath(frame.generated.file) ?? frame.generated.file };
  return normalized;
}

function toPath(file: string | null): string | null {
  if (file === '' || file === null) return null;
  if (!file.startsWith('file://')) return file;
  try {
    return fileURLToPath(file);
  } catch {
    return file; // Keep the URL as it is.
  }
}

export function ownerOf(frame: Frame): FrameOwner {
  const file = frame.file;
  if (file === null) return 'builtin';
  if (file.startsWith('node:') || !file.includes('/')) return 'node';
  if (packageOf(file) !== undefined) return 'dependency';
  return 'program';
}

/** The npm package a file belongs to (`bcryptjs`, `@scope/name`), from its last node_modules segment. */
export function packageOf(file: string): string | undefined {
  const marker = '/node_modules/';
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = file.slice(at + marker.length).split('/');
  if (parts[0]?.startsWith('@') && parts.length > 1) return `${parts[0]}/${parts[1]}`;
  return parts[0] || undefined;
}
