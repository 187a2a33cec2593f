import { causeKey, type WeightedSample } from '../attribution/samples-to-stall';
import type { Frame, SampledStack, Stall, StallCause } from './schema';

/**
 * Caps on the profiles a report carries. A stall's samples mostly repeat a few stacks
 * (a native call, one hot loop), so 20 distinct stacks cover nearly all of a stall's
 * time; 20,000 stacks in all, at ~100 bytes each in the JSON, keep a run of 10,000
 * stalls to a couple of megabytes.
 */
export const MAX_STACKS_PER_STALL = 20;
export const MAX_STACKS = 20_000;

/** One distinct stack of a stall, frames as they are, before the caps. */
export interface StallStack {
  /** Innermost first. */
  frames: Frame[];
  durationMs: number;
  samples: number;
  cause?: number;
}

/**
 * A stall's weighted samples grouped by distinct stack (and the cause they went to),
 * heaviest first.
 */
export function stacksOfStall(weighted: WeightedSample[], causes: StallCause[]): StallStack[] {
  const causeIndex = new Map<string, number>();
  causes.forEach((cause, i) => {
    const key = causeKey(cause);
    if (!causeIndex.has(key)) causeIndex.set(key, i);
  });
  const stacks = new Map<string, StallStack>();
  for (const sample of weighted) {
    const cause = causeIndex.get(sample.causeKey);
    const key = `${sample.stack.map(frameKey).join('\n')}\n#${cause ?? ''}`;
    const stack = stacks.get(key) ?? { frames: sample.stack, durationMs: 0, samples: 0 };
    if (cause !== undefined) stack.cause = cause;
    stack.durationMs += sample.to - sample.from;
    stack.samples += 1;
    stacks.set(key, stack);
  }
  return [...stacks.values()].sort((a, b) => b.durationMs - a.durationMs);
}

/** What bounding the profiles gave: the shared frame table and what the caps left out. */
export interface BoundProfiles {
  frames: Frame[];
  omittedStacks: number;
  omittedStackMs: number;
}

/**
 * Gives each stall its `profile`, within the caps. When the report's cap is reached,
 * every stall keeps its heaviest stack before any keeps its second (longest stalls
 * first): each stall's flame view stays, shallower. Frames are numbered in the stalls'
 * time order.
 */
export function boundProfiles(
  stalls: Array<{ stall: Stall; stacks: StallStack[] }>,
  limits: { stacksPerStall: number; stacks: number } = { stacksPerStall: MAX_STACKS_PER_STALL, stacks: MAX_STACKS },
): BoundProfiles {
  const withSamples = stalls.filter((s) => s.stacks.length > 0);
  const kept = new Map<Stall, number>(withSamples.map((s) => [s.stall, 0]));
  const longestFirst = [...withSamples].sort((a, b) => b.stall.durationMs - a.stall.durationMs);
  let budget = limits.stacks;
  for (let round = 0; round < limits.stacksPerStall && budget > 0; round++) {
    for (const { stall, stacks } of longestFirst) {
      if (budget === 0) break;
      if (stacks.length <= round) continue;
      kept.set(stall, round + 1);
      budget -= 1;
    }
  }

  const frames: Frame[] = [];
  const frameIndex = new Map<string, number>();
  const indexOf = (frame: Frame): number => {
    const key = frameKey(frame);
    let index = frameIndex.get(key);
    if (index === undefined) {
      index = frames.length;
      frames.push(frame);
      frameIndex.set(key, index);
    }
    return index;
  };
  let omittedStacks = 0;
  let omittedStackMs = 0;
  for (const { stall, stacks } of withSamples) {
    const count = kept.get(stall) ?? 0;
    const left = stacks.slice(count);
    const omittedMs = left.reduce((sum, s) => sum + s.durationMs, 0);
    stall.profile = {
      stacks: stacks.slice(0, count).map((s) => {
        const sampled: SampledStack = { frames: s.frames.map(indexOf), durationMs: s.durationMs, samples: s.samples };
        if (s.cause !== undefined) sampled.cause = s.cause;
        return sampled;
      }),
      omittedStacks: left.length,
      omittedMs,
    };
    omittedStacks += left.length;
    omittedStackMs += omittedMs;
  }
  return { frames, omittedStacks, omittedStackMs };
}

function frameKey(frame: Frame): string {
  return JSON.stringify([frame.file, frame.line, frame.column, frame.function]);
}
