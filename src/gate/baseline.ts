/**
 * Baselines: the call sites a project already knows about, saved from a report
 * (`loopwatch baseline save`), so that a gate can fail only on what is new, or on a
 * known call site that got worse. Also what `loopwatch diff` compares two reports by.
 */
import { readFileSync } from 'node:fs';
import { LoopwatchError } from '../errors';
import type { Report } from '../report/schema';
import { findingsOf, minorBelowMs, type Finding } from './findings';
import { callSiteKey, keyString, type CallSiteKey } from './keys';
import { loadAjv } from './lazy';

export const BASELINE_VERSION = 1;
export const DEFAULT_BASELINE_FILE = 'loopwatch.baseline.json';
/**
 * A known call site got worse when its longest blocking grew by more than this, and by
 * more than the threshold. Timing in CI is noisy: on the development machine, with
 * another job running, the same pbkdf2Sync took 114 ms in one run and 195 ms in the next.
 */
export const DEFAULT_TOLERANCE_PERCENT = 100;

export interface BaselineEntry extends CallSiteKey {
  category: string;
  /** Where it was when the baseline was saved: a hint for people, not part of its identity. */
  line: number | null;
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface Baseline {
  loopwatchBaseline: typeof BASELINE_VERSION;
  /** When it was saved (ISO 8601), from which run, with which threshold. */
  savedAt: string;
  thresholdMs: number;
  command: string[];
  callSites: BaselineEntry[];
}

/** The call sites of a report by key, summed over processes and stalls; minor stall edges left out. */
export function callSitesOf(report: Report, root: string, thresholdMs = report.thresholdMs): Map<string, BaselineEntry> {
  return groupFindings(findingsOf(report, thresholdMs).filter((f) => significant(f, report.thresholdMs)), root);
}

/**
 * What a baseline tracks: a stall cause that held the loop for half the threshold or
 * more (shorter ones are a stall's edges, or come and go with the machine's load from one
 * run to the next), and every sync call site.
 */
export function significant(finding: Finding, thresholdMs: number): boolean {
  return finding.kind === 'sync-io' || finding.maxMs >= Math.max(minorBelowMs(thresholdMs), thresholdMs / 2);
}

export function groupFindings(findings: Finding[], root: string): Map<string, BaselineEntry> {
  const entries = new Map<string, BaselineEntry>();
  for (const f of findings) {
    const key = callSiteKey(f.kind, f.callSite, f.operation, root);
    const id = keyString(key);
    const entry = entries.get(id) ?? { ...key, category: f.category, line: f.callSite?.line ?? null, count: 0, totalMs: 0, maxMs: 0 };
    entry.count += f.count;
    entry.totalMs += f.totalMs;
    entry.maxMs = Math.max(entry.maxMs, f.maxMs);
    entries.set(id, entry);
  }
  return entries;
}

export function baselineFromReport(report: Report, root: string, savedAt = new Date()): Baseline {
  const callSites = [...callSitesOf(report, root).values()].sort(
    (a, b) => a.kind.localeCompare(b.kind) || (a.path ?? '').localeCompare(b.path ?? '') || a.operation.localeCompare(b.operation) || b.maxMs - a.maxMs,
  );
  return {
    loopwatchBaseline: BASELINE_VERSION,
    savedAt: savedAt.toISOString(),
    thresholdMs: report.thresholdMs,
    command: report.command,
    callSites: callSites.map((entry) => ({ ...entry, totalMs: round(entry.totalMs), maxMs: round(entry.maxMs) })),
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

const BASELINE_SCHEMA = {
  type: 'object',
  required: ['loopwatchBaseline', 'callSites'],
  properties: {
    loopwatchBaseline: { const: BASELINE_VERSION },
    callSites: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'path', 'function', 'operation', 'maxMs'],
        properties: {
          kind: { enum: ['stall', 'sync-io', 'threadpool'] },
          path: { type: ['string', 'null'] },
          function: { type: ['string', 'null'] },
          operation: { type: 'string' },
          maxMs: { type: 'number' },
        },
      },
    },
  },
} as const;

/** Reads and checks a baseline file; `shown` names it in messages. */
export function readBaseline(file: string, shown = file): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new LoopwatchError('BASELINE_UNREADABLE', `baseline ${shown}: cannot read it (${reason})`);
  }
  const Ajv = loadAjv();
  const validate = new Ajv({ allowUnionTypes: true }).compile(BASELINE_SCHEMA);
  if (!validate(value)) {
    const first = validate.errors?.[0];
    const where = first?.instancePath ? `${first.instancePath.slice(1).replace(/\//g, '.')}: ` : '';
    throw new LoopwatchError(
      'BASELINE_UNREADABLE',
      `baseline ${shown}: not a loopwatch baseline (version ${BASELINE_VERSION}): ${where}${first?.message ?? 'invalid'}; save one with \`loopwatch baseline save report.json\``,
    );
  }
  return value as Baseline;
}

/** What a call site is, measured against the baseline. */
export type BaselineStatus = { status: 'known' } | { status: 'new' } | { status: 'worse'; baselineMaxMs: number };

export class BaselineIndex {
  private readonly entries: Map<string, BaselineEntry>;

  private readonly slackMs: number;

  constructor(
    baseline: Baseline,
    readonly tolerancePercent = DEFAULT_TOLERANCE_PERCENT,
  ) {
    this.entries = new Map(baseline.callSites.map((entry) => [keyString(entry), entry]));
    this.slackMs = baseline.thresholdMs ?? 0;
  }

  statusOf(key: CallSiteKey, maxMs: number): BaselineStatus {
    const known = this.entries.get(keyString(key));
    if (!known) return { status: 'new' };
    const worse = maxMs > known.maxMs * (1 + this.tolerancePercent / 100) && maxMs - known.maxMs > this.slackMs;
    return worse ? { status: 'worse', baselineMaxMs: known.maxMs } : { status: 'known' };
  }
}

export interface ReportDiff {
  added: BaselineEntry[];
  removed: BaselineEntry[];
  worse: Array<{ before: BaselineEntry; after: BaselineEntry }>;
  better: Array<{ before: BaselineEntry; after: BaselineEntry }>;
  unchanged: number;
}

/**
 * What changed between two reports' call sites: new, gone, and those whose longest
 * blocking moved by more than the tolerance either way.
 */
export function diffReports(before: Report, after: Report, rootBefore: string, rootAfter: string, tolerancePercent = DEFAULT_TOLERANCE_PERCENT): ReportDiff {
  const threshold = Math.max(before.thresholdMs, after.thresholdMs);
  const old = callSitesOf(before, rootBefore, threshold);
  const now = callSitesOf(after, rootAfter, threshold);
  const diff: ReportDiff = { added: [], removed: [], worse: [], better: [], unchanged: 0 };
  const factor = 1 + tolerancePercent / 100;
  for (const [id, entry] of now) {
    const was = old.get(id);
    if (!was) diff.added.push(entry);
    else if (entry.maxMs > was.maxMs * factor) diff.worse.push({ before: was, after: entry });
    else if (entry.maxMs * factor < was.maxMs) diff.better.push({ before: was, after: entry });
    else diff.unchanged += 1;
  }
  for (const [id, entry] of old) if (!now.has(id)) diff.removed.push(entry);
  const byMax = (a: BaselineEntry, b: BaselineEntry) => b.maxMs - a.maxMs;
  diff.added.sort(byMax);
  diff.removed.sort(byMax);
  diff.worse.sort((a, b) => b.after.maxMs - b.before.maxMs - (a.after.maxMs - a.before.maxMs));
  diff.better.sort((a, b) => b.before.maxMs - b.after.maxMs - (a.before.maxMs - a.after.maxMs));
  return diff;
}
