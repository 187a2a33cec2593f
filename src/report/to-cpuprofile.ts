import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Frame } from '../attribution/frames';
import type { Report, Stall } from './schema';

/**
 * A stall's samples as a `.cpuprofile`: the format of V8's profiler (the inspector's
 * Profiler.Profile), which Chrome DevTools (Performance panel, "Load profile") and
 * speedscope open. Lines and columns are 0-based there; times are microseconds.
 */
export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  /** The node each sample was taken in, in time order. */
  samples: number[];
  /** Microseconds from the previous sample (the profile's start for the first) to this one. */
  timeDeltas: number[];
}

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  hitCount: number;
  children: number[];
}

const ROOT_ID = 1;

/**
 * The profile of one stall, from the stacks its profile kept (the report's caps apply).
 * The report keeps each distinct stack with the time it covered, not the samples' order:
 * each stack is one sample here, heaviest first, lasting that time, so that every viewer's
 * totals are the report's. A last sample in the root (no time) closes the profile:
 * viewers give each sample the time until the next.
 */
export function stallToCpuProfile(stall: Stall, frames: Frame[]): CpuProfile | undefined {
  const stacks = stall.profile?.stacks ?? [];
  if (stacks.length === 0) return undefined;
  const nodes: CpuProfileNode[] = [node(ROOT_ID, { file: null, line: null, column: null, function: '(root)' })];
  const children = new Map<string, number>();
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let previousUs = 0;
  for (const stack of stacks) {
    let parent = nodes[0]!;
    // Innermost first in the report; a profile's tree grows from the outermost frame.
    for (let depth = stack.frames.length - 1; depth >= 0; depth--) {
      const frameIndex = stack.frames[depth]!;
      const key = `${parent.id}/${frameIndex}`;
      let id = children.get(key);
      if (id === undefined) {
        id = nodes.length + 1;
        nodes.push(node(id, frames[frameIndex] ?? { file: null, line: null, column: null, function: '(unknown)' }));
        parent.children.push(id);
        children.set(key, id);
      }
      parent = nodes[id - 1]!;
    }
    parent.hitCount += 1;
    samples.push(parent.id);
    timeDeltas.push(previousUs);
    previousUs = Math.round(stack.durationMs * 1000);
  }
  samples.push(ROOT_ID);
  nodes[0]!.hitCount += 1;
  timeDeltas.push(previousUs);
  const startTime = Math.round(stall.start * 1000);
  return { nodes, startTime, endTime: startTime + timeDeltas.reduce((a, b) => a + b, 0), samples, timeDeltas };
}

function node(id: number, frame: Frame): CpuProfileNode {
  return {
    id,
    callFrame: {
      functionName: frame.function ?? '',
      // Scripts are named by url; no viewer needs V8's ids of a process long gone.
      scriptId: '0',
      url: frame.file === null ? '' : isAbsolute(frame.file) ? pathToFileURL(frame.file).href : frame.file,
      lineNumber: frame.line === null ? -1 : frame.line - 1,
      columnNumber: frame.column === null ? -1 : frame.column - 1,
    },
    hitCount: 0,
    children: [],
  };
}

/** The file name of a stall's profile: its place in the report's stalls, and its process. */
export function cpuProfileFileName(report: Report, stallIndex: number): string {
  const width = String(report.stalls.length).length;
  const stall = report.stalls[stallIndex]!;
  return `stall-${String(stallIndex + 1).padStart(width, '0')}-pid${stall.pid}.cpuprofile`;
}
