import { basename } from 'node:path';
import type { Report, Stall } from '../schema';

/**
 * The timeline's rows. A lane is one event loop: a process's main thread, or one of its
 * watched worker threads, a (pid, threadId) pair that `laneKey` is the one place to
 * spell; lanes are drawn from this list whatever their number. A process's threads come
 * right under it.
 */
export interface LaneIndex {
  lanes: PageLane[];
  /** The lane of a stall. */
  of(stall: Stall): number;
  /** The lane of a thread (0: the process's main thread). */
  ofThread(pid: number, threadId: number | undefined): number;
}

export function laneKey(pid: number, threadId: number | null): string {
  return threadId === null ? `${pid}` : `${pid}/${threadId}`;
}

export function laneIndex(report: Report): LaneIndex {
  const lanes: PageLane[] = [];
  const byKey = new Map<string, number>();
  const add = (pid: number, threadId: number | null, label: string): number => {
    const key = laneKey(pid, threadId);
    let index = byKey.get(key);
    if (index === undefined) {
      index = lanes.length;
      lanes.push({ pid, threadId, label });
      byKey.set(key, index);
    }
    return index;
  };
  const threadLabel = (pid: number, threadId: number, name: string | null) => `pid ${pid} worker thread ${threadId}${name ? ` ${name}` : ''}`;
  for (const p of report.processes) {
    add(p.pid, null, `pid ${p.pid} ${describeProgram(p.argv)}`);
    // Reports saved before worker threads were watched have no `threads`.
    for (const t of p.threads ?? []) add(p.pid, t.threadId, threadLabel(p.pid, t.threadId, t.name));
  }
  // Main threads are lanes keyed by the pid alone: a pid's lane whatever the report's age.
  const ofThread = (pid: number, threadId: number | undefined) =>
    threadId ? add(pid, threadId, threadLabel(pid, threadId, null)) : add(pid, null, `pid ${pid}`);
  return { lanes, of: (stall) => ofThread(stall.pid, stall.threadId), ofThread };
}

/** A process named by its script (`process.argv[1]`; Node's own options are not in argv), else by node itself (`node -e`). */
function describeProgram(argv: string[]): string {
  return basename(argv[1] ?? argv[0] ?? '');
}

/** The stretch of time the timeline spans: the run, and anything recorded outside it. */
export function runSpan(report: Report): { start: number; end: number } {
  let start = report.startedAt;
  let end = report.startedAt + report.durationMs;
  for (const p of report.processes) {
    start = Math.min(start, p.startedAt);
    end = Math.max(end, p.startedAt + p.durationMs);
  }
  for (const s of report.stalls) end = Math.max(end, s.start + s.durationMs);
  if (report.stalls[0]) start = Math.min(start, report.stalls[0].start);
  return { start, end: Math.max(end, start + 1) };
}
