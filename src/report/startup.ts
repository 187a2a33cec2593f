import type { ProcessRecording } from '../recording/decode';
import type { StartupModule } from '../recording/schema';
import type { StartupSummary } from './schema';

/** Modules listed under the main module, and children under each: the longest. */
const MAX_MODULES = 20;
const MAX_CHILDREN = 5;

/**
 * What a process's time before the first turn of its event loop went to, from its startup
 * record: Node.js's own start, loopwatch's setup, and the main module's evaluation, split
 * into the modules it require()d (each timed, with the longest of theirs) and its own code.
 * Null when the recording has none (a worker thread, a recording made before them).
 */
export function summarizeStartup(p: ProcessRecording): StartupSummary | null {
  const r = p.startup;
  if (!r) return null;
  const end = r.mainEvaluated ?? r.loopStart ?? p.exit?.at ?? p.lastSeenAt;
  const mainMs = Math.max(0, end - r.setupEnd);
  // Loaded after loopwatch's setup and before the first turn: the main module's (and any later preload's).
  const during = r.modules.filter((m) => m.start >= r.setupEnd && m.start < end);
  const top = during.filter((m) => m.depth === 0);
  const modulesMs = top.reduce((n, m) => n + m.durationMs, 0);
  const children = (parent: StartupModule) =>
    during
      .filter((m) => m.depth === parent.depth + 1 && m.start >= parent.start && m.start + m.durationMs <= parent.start + parent.durationMs + 1e-6)
      .sort((a, b) => b.durationMs - a.durationMs);
  const listed = [...top].sort((a, b) => b.durationMs - a.durationMs);
  return {
    beforeLoopMs: end - r.processStart,
    loopTurned: r.loopStart !== null,
    loopStartAt: r.loopStart,
    mainEvaluatedAt: r.mainEvaluated ?? null,
    nodeMs: r.setupStart - r.processStart,
    loopwatchMs: r.setupEnd - r.setupStart,
    main: r.main,
    mainMs,
    mainOwnMs: Math.max(0, mainMs - modulesMs),
    modules: listed.slice(0, MAX_MODULES).map((m) => {
      const own = children(m);
      return {
        request: m.request,
        parent: m.parent,
        start: m.start,
        durationMs: m.durationMs,
        ownMs: Math.max(0, m.durationMs - own.reduce((n, c) => n + c.durationMs, 0)),
        children: own.slice(0, MAX_CHILDREN).map((c) => ({ request: c.request, durationMs: c.durationMs })),
        omittedChildren: Math.max(0, own.length - MAX_CHILDREN),
      };
    }),
    omittedModules: Math.max(0, listed.length - MAX_MODULES) + r.omitted.count,
  };
}
