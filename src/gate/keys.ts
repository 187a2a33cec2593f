/**
 * Call sites under names that survive edits elsewhere in the file and a checkout in
 * another directory: the path relative to the project root (a dependency's from its
 * node_modules folder on, however it was hoisted), the function and the operation.
 * The line is kept beside as a hint, not as part of the identity.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { VerdictFrame } from './verdict';

export type CallSiteKind = 'stall' | 'sync-io' | 'threadpool';

export interface CallSiteKey {
  kind: CallSiteKind;
  /** Relative to the project root, with `/`; `node_modules/<pkg>/...` for a dependency; absolute when outside the root; null without a call site. */
  path: string | null;
  function: string | null;
  operation: string;
}

/** The path a call site is known by. */
export function keyPath(file: string | null, root: string): string | null {
  if (file === null) return null;
  if (!isAbsolute(file)) return file; // node:internal/..., or already relative
  const marker = `${sep}node_modules${sep}`;
  const at = file.lastIndexOf(marker);
  if (at >= 0) return `node_modules/${file.slice(at + marker.length).split(sep).join('/')}`;
  const rel = relative(root, file);
  if (rel.startsWith('..') || isAbsolute(rel)) return file;
  return rel.split(sep).join('/');
}

export function callSiteKey(kind: CallSiteKind, callSite: VerdictFrame | null, operation: string, root: string): CallSiteKey {
  return { kind, path: keyPath(callSite?.file ?? null, root), function: callSite?.function ?? null, operation };
}

export function keyString(key: CallSiteKey): string {
  return JSON.stringify([key.kind, key.path, key.function, key.operation]);
}

/** `src/auth.js:14 hash crypto.pbkdf2Sync`, for people. */
export function describeKey(key: CallSiteKey, line?: number | null): string {
  const where = key.path === null ? '(no call site)' : line ? `${key.path}:${line}` : key.path;
  const fn = key.function ? ` in ${key.function}` : '';
  return `${where}${fn} ${key.operation}`;
}
