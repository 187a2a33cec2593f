import { isAbsolute } from 'node:path';
import { ownerOf, type Frame } from '../../attribution/frames';
import { callSiteRowKey } from '../../attribution/samples-to-stall';
import type { CallSiteSummary, Report, Stall } from '../schema';
import { describeCallSite, describeParts, displayPath, hostNote } from '../to-text';
import { laneIndex, runSpan } from './lanes';

/**
 * The page script's data (page-types.d.ts), from the report model. What the page shows
 * without its script (the timeline's marks, the tables) is markup; this is what it draws
 * on demand: tooltips, a stall's flame view, a call site's stack and sampled frames.
 */
export function toPageData(report: Report, cwd: string): PageData {
  const frames: PageFrame[] = report.frames.map((frame) => pageFrame(frame, cwd));
  // Call sites' stacks are not in the profiles' frame table: their frames join it here.
  const frameIndex = new Map<string, number>(report.frames.map((frame, i) => [frameKey(frame), i]));
  const indexOf = (frame: Frame): number => {
    const key = frameKey(frame);
    let index = frameIndex.get(key);
    if (index === undefined) {
      index = frames.length;
      frames.push(pageFrame(frame, cwd));
      frameIndex.set(key, index);
    }
    return index;
  };

  const stackNodes: PageData['stackNodes'] = [];
  const nodeIndex = new Map<string, number>();
  /** The innermost node of a stack (frames innermost first), adding the nodes it lacks. */
  const nodeOf = (frames: number[]): number => {
    let node = -1;
    for (let depth = frames.length - 1; depth >= 0; depth--) {
      const key = `${node}/${frames[depth]!}`;
      let next = nodeIndex.get(key);
      if (next === undefined) {
        next = stackNodes.length;
        stackNodes.push([node, frames[depth]!]);
        nodeIndex.set(key, next);
      }
      node = next;
    }
    return node;
  };

  const siteIndex = new Map(report.callSites.map((site, i) => [callSiteRowKey(site), i]));
  const sites: PageSite[] = report.callSites.map((site) => {
    const page: PageSite = {
      operation: site.operation,
      category: site.category,
      where: describeCallSite(site, cwd),
      count: site.count,
      totalMs: round(site.totalMs),
      maxMs: round(site.maxMs),
      p95Ms: round(site.p95Ms),
      stack: [],
      stalls: [],
    };
    const notes = siteNotes(site, cwd);
    if (notes.length > 0) page.notes = notes;
    const split = describeParts(site);
    if (split !== undefined) page.split = split;
    return page;
  });
  const { start } = runSpan(report);
  const lanes = laneIndex(report);
  const stalls = report.stalls.map((stall, i): PageStall => {
    const page: PageStall = { lane: lanes.of(stall), at: round(stall.start - start), ms: round(stall.durationMs) };
    if (stall.phase === 'startup') page.startup = true;
    if (stall.inProgressAtExit) page.cut = true;
    if (stall.kind === 'threadpool') {
      page.pool = { queue: stall.queue ?? 'work', maxWaitMs: round(stall.maxQueueWaitMs ?? stall.durationMs), causes: poolCauses(stall, cwd) };
      return page;
    }
    const t = stall.threadTime;
    if (t) {
      page.time = { observedMs: round(t.observedMs), onCpuMs: round(t.onCpuMs), runQueueMs: round(t.runQueueMs), offCpuMs: round(t.offCpuMs) };
      if (t.host) page.time.host = t.host;
    }
    const profile = stall.profile;
    if (profile && profile.stacks.length > 0) page.stacks = profile.stacks.map((s) => [nodeOf(s.frames), round(s.durationMs), s.samples, s.cause ?? -1]);
    if (profile && profile.omittedStacks > 0) page.omitted = [profile.omittedStacks, round(profile.omittedMs)];
    page.causes = stall.causes.map((cause) => {
      const row = siteIndex.get(callSiteRowKey(cause)) ?? -1;
      const site = sites[row];
      if (site) {
        if (site.stalls.length === 0) site.stack = cause.stack.map(indexOf);
        if (site.stalls.at(-1) !== i) site.stalls.push(i);
      }
      return [row, round(cause.durationMs), cause.exact ? 1 : 0, cause.operation, cause.category];
    });
    return page;
  });
  return {
    frames,
    stackNodes,
    lanes: lanes.lanes,
    stalls,
    sites,
    gc: report.gcPauses.map((gc) => [lanes.ofThread(gc.pid, gc.threadId), round(gc.start - start), round(gc.durationMs), gc.kind]),
    limits: { stacksPerStall: report.limits.stacksPerStall, stacks: report.limits.stacks },
  };
}

/**
 * What the call-site table says under a call site, line by line, as the text report
 * does: what the calls were about (the module a require loaded), the worker threads it
 * blocked, and what the host had to do with its time.
 */
export function siteNotes(site: CallSiteSummary, cwd: string): string[] {
  const notes: string[] = [];
  if (site.detail !== undefined) {
    const detail = isAbsolute(site.detail) ? displayPath(site.detail, cwd) : site.detail;
    notes.push(site.category === 'module' ? `loaded ${detail}` : detail);
  }
  const workers = (site.threads ?? []).filter((t) => t !== 0);
  if (workers.length > 0) {
    const main = site.threads.includes(0) ? ' and the main thread' : '';
    notes.push(`in worker ${workers.length === 1 ? 'thread' : 'threads'} ${workers.join(', ')}${main}`);
  }
  const host = hostNote(site);
  if (host !== undefined) notes.push(host);
  return notes;
}

function poolCauses(stall: Stall, cwd: string): PagePoolCause[] {
  return stall.causes.map((cause) => {
    const page: PagePoolCause = {
      operation: cause.operation,
      where: cause.callSite ? describeCallSite(cause, cwd) : '',
      ms: round(cause.durationMs),
      calls: cause.calls ?? 0,
    };
    if (cause.detail !== undefined) page.detail = cause.detail;
    return page;
  });
}

function pageFrame(frame: Frame, cwd: string): PageFrame {
  return {
    file: frame.file === null ? '<builtin>' : displayPath(frame.file, cwd),
    line: frame.line,
    column: frame.column,
    function: frame.function,
    owner: ownerOf(frame),
  };
}

function frameKey(frame: Frame): string {
  return JSON.stringify([frame.file, frame.line, frame.column, frame.function]);
}

/** Hundredths of a millisecond: finer than any clock loopwatch reads, and short in the page. */
export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
