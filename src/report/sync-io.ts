import { causeKey } from '../attribution/samples-to-stall';
import type { SourceLines } from '../attribution/source';
import { attributeSyncCall } from '../attribution/stack-to-call-site';
import type { ProcessRecording } from '../recording/decode';
import type { SyncCallRecord, SyncSampleRecord } from '../recording/schema';
import type { SyncIoCallSite, SyncIoSummary } from './schema';

/**
 * The sync API calls made after startup (the program's first turn of the event loop,
 * from when Node's --trace-sync-io warns too), stalls or not: a handler that reads a
 * file synchronously 200 times for 3 ms each never stalls for 50 ms, and still makes
 * every other request wait. Calls of at least the sync-I/O threshold are listed by
 * call site, each timed; shorter ones are counted by operation, and sampled: one in so
 * many is picked at random and stands for the calls after it, so their counts at a call
 * site are estimates (`sampled`, `estimated`).
 */
export function summarizeSyncIo(processes: ProcessRecording[], source: SourceLines): SyncIoSummary {
  const sites = new Map<string, SyncIoCallSite>();
  const below = new Map<string, SyncIoSummary['belowThreshold'][number]>();
  const totals = { count: 0, totalMs: 0 };
  const picks = new Set<string>();
  for (const p of processes) {
    // A process killed before its exit record still has the running totals it wrote last:
    // its recorded calls since then are added to them.
    const figures = p.exit ?? p.totals;
    const figuresAt = figures?.at ?? -Infinity;
    const recorded = new Map<string, { count: number; totalMs: number }>();
    const pid = p.process.pid;
    for (const call of p.syncCalls) {
      if (call.phase !== 'run') continue;
      addToSite(sites, call, source);
      addToProcess(sites, call, pid, source);
      if (call.start + call.durationMs > figuresAt) {
        addTo(totals, 1, call.durationMs);
        continue;
      }
      const byOperation = recorded.get(call.operation) ?? { count: 0, totalMs: 0 };
      byOperation.count += 1;
      byOperation.totalMs += call.durationMs;
      recorded.set(call.operation, byOperation);
    }
    // Short calls placed at call sites by sampling, per operation: what the totals' short calls include.
    const sampled = new Map<string, { count: number; totalMs: number }>();
    for (const sample of p.syncSamples ?? []) {
      addSampleToSite(sites, sample, pid, source, picks);
      if (sample.end > figuresAt) {
        // Written after the process's last figures (it was killed): not in its totals yet.
        addTo(totals, sample.calls, sample.totalMs);
        continue;
      }
      const byOperation = sampled.get(sample.operation) ?? { count: 0, totalMs: 0 };
      addTo(byOperation, sample.calls, sample.totalMs);
      sampled.set(sample.operation, byOperation);
    }
    for (const total of figures?.syncCalls ?? []) {
      if (total.phase !== 'run') continue;
      addTo(totals, total.count, total.totalMs);
      // A process's totals include its recorded calls: what is left was under the threshold.
      const seen = recorded.get(total.operation) ?? { count: 0, totalMs: 0 };
      const count = total.count - seen.count;
      if (count <= 0) continue;
      const entry = below.get(total.operation) ?? { operation: total.operation, category: total.category, count: 0, totalMs: 0, processes: [] };
      const ms = Math.max(0, total.totalMs - seen.totalMs);
      addTo(entry, count, ms);
      const inProcess: SyncIoSummary['belowThreshold'][number]['processes'][number] = { pid, count, totalMs: ms };
      const placed = sampled.get(total.operation);
      if (placed && placed.count > 0) {
        inProcess.sampledCount = Math.min(count, placed.count);
        inProcess.sampledMs = Math.min(ms, placed.totalMs);
        entry.sampledCount = (entry.sampledCount ?? 0) + inProcess.sampledCount;
      }
      entry.processes.push(inProcess);
      below.set(total.operation, entry);
    }
  }
  const thresholds = processes.map((p) => p.process.syncIoThresholdMs).filter((t): t is number => t !== null);
  return {
    thresholdMs: thresholds.length > 0 ? Math.max(...thresholds) : null,
    callSites: [...sites.values()].sort((a, b) => b.totalMs - a.totalMs),
    belowThreshold: [...below.values()].sort((a, b) => b.totalMs - a.totalMs),
    totals,
  };
}

/** Targets kept per call site: enough to recognise them, not a list of every file. */
const MAX_TARGETS = 10;

function addToSite(sites: Map<string, SyncIoCallSite>, call: SyncCallRecord, source: SourceLines): void {
  const { callSite, operation, category, stack } = attributeSyncCall(call, source);
  const entry: SyncIoCallSite = { callSite, operation, category, count: 0, totalMs: 0, maxMs: 0, stack, processes: [] };
  const key = causeKey(entry);
  const site: SyncIoCallSite = sites.get(key) ?? entry;
  addTo(site, 1, call.durationMs);
  site.maxMs = Math.max(site.maxMs, call.durationMs);
  addTarget(site, call.target);
  sites.set(key, site);
}

/**
 * Short calls, at the call site of the one picked among them: their count and time are the
 * site's estimate; the picked call's own duration is one the site really took.
 */
function addSampleToSite(sites: Map<string, SyncIoCallSite>, sample: SyncSampleRecord, pid: number, source: SourceLines, picks: Set<string>): void {
  const picked: SyncCallRecord = {
    type: 'syncCall',
    operation: sample.operation,
    category: sample.category,
    start: sample.at,
    durationMs: sample.durationMs,
    phase: 'run',
    frames: sample.frames,
    ...(sample.target !== undefined ? { target: sample.target } : {}),
    ...(sample.addon !== undefined ? { addon: sample.addon } : {}),
  };
  const { callSite, operation, category, stack } = attributeSyncCall(picked, source);
  const entry: SyncIoCallSite = { callSite, operation, category, count: 0, totalMs: 0, maxMs: 0, stack, processes: [] };
  const key = causeKey(entry);
  const site: SyncIoCallSite = sites.get(key) ?? entry;
  addTo(site, sample.calls, sample.totalMs);
  site.maxMs = Math.max(site.maxMs, sample.durationMs);
  site.estimated = true;
  const short = site.sampled ?? { count: 0, totalMs: 0, samples: 0 };
  addTo(short, sample.calls, sample.totalMs);
  // A pick whose calls went on is written again: one sample still.
  const pick = `${pid}:${sample.at}:${sample.operation}`;
  if (!picks.has(pick)) short.samples += 1;
  picks.add(pick);
  site.sampled = short;
  addTarget(site, sample.target);
  sites.set(key, site);
  let inProcess = site.processes.find((q) => q.pid === pid);
  if (!inProcess) {
    inProcess = { pid, count: 0, totalMs: 0, maxMs: 0 };
    site.processes.push(inProcess);
  }
  addTo(inProcess, sample.calls, sample.totalMs);
  inProcess.maxMs = Math.max(inProcess.maxMs, sample.durationMs);
}

function addTarget(site: SyncIoCallSite, target: string | undefined): void {
  if (target !== undefined && !site.targets?.includes(target) && (site.targets?.length ?? 0) < MAX_TARGETS) {
    site.targets = [...(site.targets ?? []), target];
  }
}

/** The call's figures in its process's entry of the call site it was added to. */
function addToProcess(sites: Map<string, SyncIoCallSite>, call: SyncCallRecord, pid: number, source: SourceLines): void {
  const site = sites.get(causeKey(attributeSyncCall(call, source)))!;
  let entry = site.processes.find((p) => p.pid === pid);
  if (!entry) {
    entry = { pid, count: 0, totalMs: 0, maxMs: 0 };
    site.processes.push(entry);
  }
  addTo(entry, 1, call.durationMs);
  entry.maxMs = Math.max(entry.maxMs, call.durationMs);
}

function addTo(into: { count: number; totalMs: number }, count: number, totalMs: number): void {
  into.count += count;
  into.totalMs += totalMs;
}
