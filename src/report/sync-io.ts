import { causeKey } from '../attribution/samples-to-stall';
import type { SourceLines } from '../attribution/source';
import { attributeSyncCall } from '../attribution/stack-to-call-site';
import type { ProcessRecording } from '../recording/decode';
import type { SyncCallRecord } from '../recording/schema';
import type { SyncIoCallSite, SyncIoSummary } from './schema';

/**
 * The sync API calls made after startup (the program's first turn of the event loop,
 * from when Node's --trace-sync-io warns too), stalls or not: a handler that reads a
 * file synchronously 200 times for 3 ms each never stalls for 50 ms, and still makes
 * every other request wait. Calls of at least the sync-I/O threshold are listed by
 * call site; shorter ones were only counted, by operation.
 */
export function summarizeSyncIo(processes: ProcessRecording[], source: SourceLines): SyncIoSummary {
  const sites = new Map<string, SyncIoCallSite>();
  const below = new Map<string, SyncIoSummary['belowThreshold'][number]>();
  const totals = { count: 0, totalMs: 0 };
  for (const p of processes) {
    const recorded = new Map<string, { count: number; totalMs: number }>();
    for (const call of p.syncCalls) {
      if (call.phase !== 'run') continue;
      addToSite(sites, call, source);
      const byOperation = recorded.get(call.operation) ?? { count: 0, totalMs: 0 };
      byOperation.count += 1;
      byOperation.totalMs += call.durationMs;
      recorded.set(call.operation, byOperation);
    }
    if (!p.exit) {
      // Killed before its exit record: only its recorded calls are known.
      for (const r of recorded.values()) addTo(totals, r.count, r.totalMs);
      continue;
    }
    for (const total of p.exit.syncCalls) {
      if (total.phase !== 'run') continue;
      addTo(totals, total.count, total.totalMs);
      // A process's totals include its recorded calls: what is left was under the threshold.
      const seen = recorded.get(total.operation) ?? { count: 0, totalMs: 0 };
      const count = total.count - seen.count;
      if (count <= 0) continue;
      const entry = below.get(total.operation) ?? { operation: total.operation, category: total.category, count: 0, totalMs: 0 };
      addTo(entry, count, Math.max(0, total.totalMs - seen.totalMs));
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
  const { callSite, operation, category } = attributeSyncCall(call, source);
  const entry = { callSite, operation, category, count: 0, totalMs: 0, maxMs: 0 };
  const key = causeKey(entry);
  const site: SyncIoCallSite = sites.get(key) ?? entry;
  addTo(site, 1, call.durationMs);
  site.maxMs = Math.max(site.maxMs, call.durationMs);
  if (call.target !== undefined && !site.targets?.includes(call.target) && (site.targets?.length ?? 0) < MAX_TARGETS) {
    site.targets = [...(site.targets ?? []), call.target];
  }
  sites.set(key, site);
}

function addTo(into: { count: number; totalMs: number }, count: number, totalMs: number): void {
  into.count += count;
  into.totalMs += totalMs;
}
