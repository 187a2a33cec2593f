/**
 * The gate: a report and a budget in, a verdict out. Pure: it reads nothing but its
 * arguments, so it is tested on saved reports.
 *
 * How a budget applies:
 * - Each process gets the top-level rules, overridden key by key by the first entry of
 *   `processes` whose `argv` glob matches one of its arguments and whose `role` is its
 *   role, of those the entry gives (or it is left out, with `ignore`). A rule is checked once per place it was written: `maxTotalBlockedMs`
 *   adds up the stalls of every process that rule applies to.
 * - `allow` entries take the time of the call sites they match out of every rule. With
 *   a baseline, the call sites it knows (and that did not get worse) are let pass the
 *   same way, and a call site it does not know breaks the `baseline` rule.
 * - `startup` decides what happens to stalls before a process's first turn of the event
 *   loop: counted with the rest (when not given), left out ("ignore"), or held to a
 *   budget of their own. The tooling's startup (npm, a test runner's main process) is
 *   left out unless a `processes` entry matches the process (TOOLING_STARTUP).
 * - A stall's edges (causes under minorBelowMs) are not call sites of their own: they
 *   count in the stall's time, but are never named as offenders.
 */
import { LOOPWATCH_SETUP } from '../attribution/startup';
import { isTooling } from '../report/process-roles';
import type { Report, Stall } from '../report/schema';
import { formatMs } from '../report/to-text';
import { significant, type BaselineIndex } from './baseline';
import { compileGlob, ConfigError, REASON_PLACEHOLDER, type AllowEntry, type CategoryBudget, type GateConfig, type Matcher, type Rules, type ScopeRole } from './config';
import { findingsOf, minorBelowMs, type Finding } from './findings';
import { callSiteKey, keyPath, keyString } from './keys';
import { loadPicomatch } from './lazy';
import type { Offender, OffenderPart, RuleResult, Verdict, VerdictFrame } from './verdict';

export interface GateInput {
  config: GateConfig;
  /** Where the rules came from, for the verdict (`loopwatch.config.json`, `flags`...). */
  source: string;
  /** Paths are matched and shown relative to this directory (the configuration's). */
  root: string;
  baseline?: BaselineIndex;
}

type ProcessSummary = Report['processes'][number];

/**
 * A package manager's or a test runner's main process that no `processes` entry matches
 * is held to the top-level rules with its startup left out: npm and the runner load
 * themselves in every run, none of it the program's (the text report does not list it
 * either). Any `processes` entry that matches the process takes its place, so
 * `{ "role": "tooling" }` alone counts the tooling's startup with the rest.
 */
const TOOLING_STARTUP = "(the tooling's startup)";

/** One rule's limit for a process, and where it was written. */
interface Applied<T> {
  value: T;
  /** Key path of the rule in the configuration: `maxStallMs`, `processes[1].maxStallMs`. */
  path: string;
}

/** The rules one process is held to, each with where it came from. */
interface ProcessRules {
  maxStallMs?: Applied<number>;
  maxTotalBlockedMs?: Applied<number>;
  maxP99DelayMs?: Applied<number>;
  syncIo?: Applied<NonNullable<Rules['syncIo']>>;
  maxQueueWaitMs?: Applied<number>;
  startup?: Applied<NonNullable<Rules['startup']>>;
  categories: Array<{ category: string; rule: Applied<'forbid' | CategoryBudget> }>;
}

export function evaluate(report: Report, input: GateInput): Verdict {
  const { config, root } = input;
  const thresholdMs = checkedThreshold(report, config);
  const allow = new AllowMatcher(config.allow ?? [], root);
  const notes: string[] = [];
  const scopes = (config.processes ?? []).map((scope, index) => {
    const argv = scope.argv === undefined ? undefined : compileGlob(scope.argv);
    const matches = (p: ProcessSummary) => (argv === undefined || p.argv.some((arg) => argv(arg))) && (scope.role === undefined || hasRole(p, scope.role));
    return { scope, index, matches };
  });

  // Which rules each process is held to.
  const gated = new Map<number, ProcessRules>();
  const left: ProcessSummary[] = [];
  for (const p of report.processes) {
    const match = scopes.find((s) => s.matches(p));
    if (match?.scope.ignore) left.push(p);
    else if (!match && isTooling(p.role)) gated.set(p.pid, rulesFor(config, { rules: { startup: 'ignore' }, prefix: TOOLING_STARTUP }));
    else gated.set(p.pid, rulesFor(config, match && { rules: match.scope, prefix: `processes[${match.index}]` }));
  }
  if (left.length > 0) {
    notes.push(`${plural(left.length, 'process')} left out by \`processes\` (ignore): ${left.map((p) => `pid ${p.pid}`).join(', ')}`);
  }

  const unwatched = report.processes.filter((p) => gated.has(p.pid) && (p.unwatchedThreads ?? []).length > 0);
  if (unwatched.length > 0) {
    const threads = unwatched.reduce((n, p) => n + p.unwatchedThreads.length, 0);
    notes.push(`${plural(threads, 'worker thread')} of ${unwatched.map((p) => `pid ${p.pid}`).join(', ')} ${threads === 1 ? 'was' : 'were'} not watched: blocking inside ${threads === 1 ? 'it' : 'them'} is not in this verdict`);
  }
  const findings = findingsOf(report, thresholdMs).filter((f) => gated.has(f.pid));
  const judged = judge(findings, allow, input.baseline, root, report.thresholdMs);
  const rules = new RuleBook(root);
  const hostMs =
    judged.filter((j) => j.category === 'host').reduce((sum, j) => sum + j.totalMs, 0) +
    report.stalls.filter((s) => s.kind === 'event-loop' && gated.has(s.pid)).reduce((sum, s) => sum + causesTime(s, judged) * hostShare(s), 0);
  if (hostMs >= 1) {
    notes.push(`${formatMs(hostMs)} of the stalls was the host's, not the program's (threads waited for a CPU, or the process was stopped): not counted`);
  }

  const ownMs = judged.filter(isLoopwatchSetup).reduce((sum, j) => sum + j.totalMs, 0);
  if (ownMs >= 1) notes.push(`${formatMs(ownMs)} of the startup stalls was loopwatch's own setup: not counted`);

  checkStalls(report, thresholdMs, gated, judged, rules, notes);
  checkDelay(report, gated, rules, notes);
  checkSyncIo(report, gated, judged, allow, rules, notes);
  checkThreadpool(report, gated, judged, rules);
  checkCategories(report, gated, judged, allow, rules);
  if (input.baseline) checkBaseline(judged, rules, input.baseline);
  if (rules.results.length === 0) notes.push('the budget sets no rules: nothing was checked');

  const results = rules.results;
  return {
    passed: results.every((r) => r.passed),
    source: input.source,
    root,
    rules: results,
    notes,
    allowed: allow.used(),
  };
}

/** A configuration's threshold can narrow a saved report's stalls, never widen them. */
function checkedThreshold(report: Report, config: GateConfig): number {
  if (config.threshold === undefined) return report.thresholdMs;
  if (config.threshold < report.thresholdMs) {
    throw new ConfigError(
      `threshold ${config.threshold} ms: the report was recorded with a threshold of ${report.thresholdMs} ms, so its stalls between ${config.threshold} and ${report.thresholdMs} ms are not in it (record again with --threshold ${config.threshold})`,
    );
  }
  return config.threshold;
}

function rulesFor(config: GateConfig, scope: { rules: Rules; prefix: string } | undefined): ProcessRules {
  const pick = <K extends keyof Rules>(key: K): Applied<NonNullable<Rules[K]>> | undefined => {
    const scoped = scope?.rules[key];
    if (scoped !== undefined) return { value: scoped as NonNullable<Rules[K]>, path: `${scope!.prefix}.${key}` };
    const top = config[key];
    return top === undefined ? undefined : { value: top as NonNullable<Rules[K]>, path: key };
  };
  const threadpool = pick('threadpool');
  const categories = new Map<string, Applied<'forbid' | CategoryBudget>>();
  for (const [category, rule] of Object.entries(config.categories ?? {})) categories.set(category, { value: rule, path: `categories.${category}` });
  for (const [category, rule] of Object.entries(scope?.rules.categories ?? {})) {
    categories.set(category, { value: rule, path: `${scope!.prefix}.categories.${category}` });
  }
  const rules: ProcessRules = { categories: [...categories].map(([category, rule]) => ({ category, rule })) };
  const maxStallMs = pick('maxStallMs');
  const maxTotalBlockedMs = pick('maxTotalBlockedMs');
  const maxP99DelayMs = pick('maxP99DelayMs');
  const syncIo = pick('syncIo');
  const startup = pick('startup');
  if (maxStallMs) rules.maxStallMs = maxStallMs;
  if (maxTotalBlockedMs) rules.maxTotalBlockedMs = maxTotalBlockedMs;
  if (maxP99DelayMs) rules.maxP99DelayMs = maxP99DelayMs;
  if (syncIo) rules.syncIo = syncIo;
  if (startup) rules.startup = startup;
  if (threadpool?.value.maxQueueWaitMs !== undefined) {
    rules.maxQueueWaitMs = { value: threadpool.value.maxQueueWaitMs, path: `${threadpool.path}.maxQueueWaitMs` };
  }
  return rules;
}

function isLoopwatchSetup(f: Finding): boolean {
  return f.operation === LOOPWATCH_SETUP && f.callSite === null;
}

/** A finding as the rules see it: let pass by an allow entry or the baseline, or counted. */
interface Judged extends Finding {
  counted: boolean;
  baseline?: { status: 'new' } | { status: 'worse'; baselineMaxMs: number };
}

function judge(findings: Finding[], allow: AllowMatcher, baseline: BaselineIndex | undefined, root: string, thresholdMs: number): Judged[] {
  // The baseline compares a call site's worst occurrence in this run with its worst in the baseline's.
  const worst = new Map<string, number>();
  const keyOf = (f: Finding) => keyString(callSiteKey(f.kind, f.callSite, f.operation, root));
  for (const f of findings) worst.set(keyOf(f), Math.max(worst.get(keyOf(f)) ?? 0, f.maxMs));
  return findings.map((f) => {
    // The host's time (the thread waited for a CPU, or the process was stopped) is not the program's code.
    if (f.category === 'host') return { ...f, counted: false };
    // Nor is loopwatch's own setup, in a startup stall: what the tool costs is not the program's to budget.
    if (isLoopwatchSetup(f)) return { ...f, counted: false };
    if (allow.matches(f)) return { ...f, counted: false };
    if (!baseline || !significant(f, thresholdMs)) return { ...f, counted: true };
    const status = baseline.statusOf(callSiteKey(f.kind, f.callSite, f.operation, root), worst.get(keyOf(f))!);
    if (status.status === 'known') return { ...f, counted: false };
    return { ...f, counted: true, baseline: status };
  });
}

/** The allow entries, compiled, with how much each let pass. */
class AllowMatcher {
  private readonly entries: Array<{ entry: AllowEntry; test: (f: Finding) => boolean; matches: number; totalMs: number }>;

  constructor(
    entries: AllowEntry[],
    private readonly root: string,
  ) {
    this.entries = entries.map((entry) => {
      const path = entry.path === undefined ? undefined : compileGlob(entry.path);
      const fn = entry.function === undefined ? undefined : exactGlob(entry.function);
      const operation = entry.operation === undefined ? undefined : exactGlob(entry.operation);
      const test = (f: Finding) => {
        if (entry.category !== undefined && f.category !== entry.category) return false;
        if (operation && !operation(f.operation)) return false;
        if (fn && !fn(f.callSite?.function ?? '')) return false;
        if (path) {
          const file = keyPath(f.callSite?.file ?? null, this.root);
          if (file === null || !path(file)) return false;
        }
        return true;
      };
      return { entry, test, matches: 0, totalMs: 0 };
    });
  }

  matches(f: Finding): boolean {
    const hit = this.entries.find((e) => e.test(f));
    if (!hit) return false;
    hit.matches += f.count;
    hit.totalMs += f.totalMs;
    return true;
  }

  /** Whether an entry matches sync calls counted without a call site (only one without path and function can). */
  matchesOperation(operation: string, category: string): boolean {
    return this.entries.some(
      (e) =>
        e.entry.path === undefined &&
        e.entry.function === undefined &&
        (e.entry.category === undefined || e.entry.category === category) &&
        (e.entry.operation === undefined || exactGlob(e.entry.operation)(operation)),
    );
  }

  used(): Verdict['allowed'] {
    return this.entries.filter((e) => e.matches > 0).map(({ entry, matches, totalMs }) => ({ entry, matches, totalMs }));
  }
}

/** A glob over a name (not a path): `*` matches dots too, no basename rule. */
function exactGlob(glob: string): Matcher {
  const picomatch = loadPicomatch();
  return picomatch(glob, { dot: true, strictBrackets: true });
}

/** Collects every rule's result, and groups its offenders by call site. */
class RuleBook {
  readonly results: RuleResult[] = [];

  constructor(private readonly root: string) {}

  add(rule: string, description: string, offenders: Judged[], summary: (broken: boolean, offenders: Offender[]) => string): void {
    const grouped = this.group(offenders);
    const passed = grouped.length === 0;
    this.results.push({ rule, description, passed, summary: summary(!passed, grouped), offenders: grouped });
  }

  /** A rule about whole processes (their delay): offenders without a call site. */
  addProcesses(rule: string, description: string, offenders: Offender[], summary: string): void {
    this.results.push({ rule, description, passed: offenders.length === 0, summary, offenders });
  }

  /**
   * One offender per line (as the report's call sites: attribution's callSiteRowKey, by
   * path relative to the root): a line's stalls and its sync calls are one row, and what
   * a stall spent there (a probed call, the JavaScript around it, a GC pause) is split
   * inside it.
   */
  private group(items: Judged[]): Offender[] {
    interface Group {
      offender: Offender;
      parts: Map<string, OffenderPart>;
      /** What each stall spent at this line, all its parts together. */
      perStall: Map<Stall, number>;
    }
    const groups = new Map<string, Group>();
    for (const item of items) {
      const path = keyPath(item.callSite?.file ?? null, this.root);
      const id = item.callSite ? JSON.stringify([path, item.callSite.line, item.callSite.function]) : JSON.stringify([null, item.operation]);
      let group = groups.get(id);
      if (!group) {
        const offender: Offender = {
          kind: item.kind,
          callSite: item.callSite,
          operation: item.operation,
          category: item.category,
          pids: [],
          count: 0,
          totalMs: 0,
          maxMs: 0,
          stack: item.stack,
          suggestedAllow: null,
        };
        group = { offender, parts: new Map(), perStall: new Map() };
        groups.set(id, group);
      }
      const { offender } = group;
      if (item.baseline && !offender.baseline) offender.baseline = item.baseline;
      if (!offender.pids.includes(item.pid)) offender.pids.push(item.pid);
      if (item.stall) group.perStall.set(item.stall, (group.perStall.get(item.stall) ?? 0) + item.totalMs);
      else offender.maxMs = Math.max(offender.maxMs, item.maxMs);
      // The same call seen as a stall's cause and as a sync call is counted once, as the first kind says.
      if (item.kind !== offender.kind) continue;
      if (!item.stall) offender.count += item.count;
      offender.totalMs += item.totalMs;
      const part = group.parts.get(item.operation) ?? { operation: item.operation, category: item.category, totalMs: 0 };
      part.totalMs += item.totalMs;
      group.parts.set(item.operation, part);
    }
    return [...groups.values()]
      .map(({ offender, parts, perStall }) => {
        // A threadpool episode's longest wait is its maxMs, not the time of its work.
        for (const [stall, ms] of perStall) offender.maxMs = Math.max(offender.maxMs, offender.kind === 'threadpool' ? (stall.maxQueueWaitMs ?? stall.durationMs) : ms);
        if (perStall.size > 0) offender.count = perStall.size;
        const split = [...parts.values()].sort((a, b) => b.totalMs - a.totalMs);
        const main = split[0];
        if (main) {
          offender.operation = main.operation;
          offender.category = main.category;
        }
        if (split.length > 1) offender.parts = split;
        offender.suggestedAllow = suggestAllow(offender.callSite, split.length > 0 ? split.map((p) => p.operation) : [offender.operation], offender.category, this.root);
        return offender;
      })
      .sort((a, b) => b.maxMs - a.maxMs || b.totalMs - a.totalMs);
  }
}

/** The allow entry that matches just this call site, ready to paste once its reason is written. */
export function suggestAllow(callSite: VerdictFrame | null, operations: string | string[], category: string, root: string): AllowEntry {
  const entry: AllowEntry = { reason: REASON_PLACEHOLDER };
  const path = keyPath(callSite?.file ?? null, root);
  if (path !== null) entry.path = escapeGlob(path);
  if (callSite?.function) entry.function = escapeGlob(callSite.function);
  const names = typeof operations === 'string' ? [operations] : operations;
  // A line that spent its time on several things is let pass for each of them: `{a,b}`.
  entry.operation = names.length === 1 ? escapeGlob(names[0]!) : `{${names.map((n) => escapeGlob(n).replace(/,/g, '\\,')).join(',')}}`;
  if (path === null) entry.category = category as AllowEntry['category'];
  // The reason last, where a person will write it.
  const { reason, ...rest } = entry;
  return { ...rest, reason };
}

/** Names longer than this are matched by their beginning in a suggested entry, which stays readable. */
const MAX_SUGGESTED_NAME = 120;

/** A name as a glob that matches only itself (a very long one: itself and what starts like it). */
function escapeGlob(text: string): string {
  const escape = (t: string) => t.replace(/[\\*?[\]{}()!+@|^$]/g, (c) => `\\${c}`);
  return text.length > MAX_SUGGESTED_NAME ? `${escape(text.slice(0, MAX_SUGGESTED_NAME))}*` : escape(text);
}

/** Which of a process's stalls its stall rules look at, by the startup rule. */
function stallPhases(rules: ProcessRules): { run: Array<'startup' | 'run'>; startupBudget: boolean } {
  const startup = rules.startup?.value;
  if (startup === undefined) return { run: ['startup', 'run'], startupBudget: false };
  return { run: ['run'], startupBudget: startup !== 'ignore' };
}

/**
 * A stall's causes that count, and the time they add up to, less the share of it the
 * host took (the thread waited for a CPU, or the whole process was stopped), where the
 * watchdog read it: a loaded CI machine stretches a stall without the code changing.
 */
function countedTime(stall: Stall, judged: Judged[]): number {
  return causesTime(stall, judged) * (1 - hostShare(stall));
}

/** The time of a stall's causes that count, the host's share in it included. */
function causesTime(stall: Stall, judged: Judged[]): number {
  return judged.filter((j) => j.stall === stall && j.counted).reduce((sum, j) => sum + j.totalMs, 0);
}

/** The share of a stall the host took, from its thread-time split; 0 where there is none. */
export function hostShare(stall: Stall): number {
  const t = stall.threadTime;
  if (!t || t.observedMs <= 0) return 0;
  const taken = t.host === 'stopped' ? t.observedMs - t.onCpuMs : t.runQueueMs;
  return Math.min(1, Math.max(0, taken / t.observedMs));
}

/** The causes to name for a broken stall rule: those that count, edges left out. */
function namedCauses(stall: Stall, judged: Judged[], thresholdMs: number): Judged[] {
  const counted = judged.filter((j) => j.stall === stall && j.counted);
  // A cause that took a tenth of the stall or less did not make it long: it is not named.
  const total = counted.reduce((sum, j) => sum + j.totalMs, 0);
  const named = counted.filter((j) => j.maxMs >= minorBelowMs(thresholdMs) && j.totalMs > total / 10);
  return named.length > 0 ? named : counted.slice(0, 1);
}

function checkStalls(
  report: Report,
  thresholdMs: number,
  gated: Map<number, ProcessRules>,
  judged: Judged[],
  rules: RuleBook,
  notes: string[],
): void {
  const stalls = report.stalls.filter((s) => s.kind === 'event-loop' && s.durationMs > thresholdMs && gated.has(s.pid));
  // Rule path -> limit and the stalls it is checked on.
  const single = new Map<string, { limit: number; stalls: Stall[]; startup: boolean }>();
  const total = new Map<string, { limit: number; stalls: Stall[]; startup: boolean }>();
  let startupLeftOut = 0;
  let toolingLeftOut = 0;
  for (const stall of stalls) {
    const r = gated.get(stall.pid)!;
    const phases = stallPhases(r);
    const add = (into: typeof single, rule: Applied<number> | undefined, startup: boolean) => {
      if (!rule) return;
      const entry = into.get(rule.path) ?? { limit: rule.value, stalls: [], startup };
      entry.stalls.push(stall);
      into.set(rule.path, entry);
    };
    if (phases.run.includes(stall.phase)) {
      add(single, r.maxStallMs, false);
      add(total, r.maxTotalBlockedMs, false);
    } else if (phases.startupBudget) {
      const budget = r.startup!.value as Exclude<Rules['startup'], 'ignore' | undefined>;
      const at = r.startup!.path;
      if (budget.maxStallMs !== undefined) add(single, { value: budget.maxStallMs, path: `${at}.maxStallMs` }, true);
      if (budget.maxTotalBlockedMs !== undefined) add(total, { value: budget.maxTotalBlockedMs, path: `${at}.maxTotalBlockedMs` }, true);
    } else if (r.startup?.path === `${TOOLING_STARTUP}.startup`) {
      toolingLeftOut += 1;
    } else {
      startupLeftOut += 1;
    }
  }
  // Rules that exist but saw no stall still held: report them as checked.
  for (const r of gated.values()) {
    const phases = stallPhases(r);
    const ensure = (into: typeof single, rule: Applied<number> | undefined, startup: boolean) => {
      if (rule && !into.has(rule.path)) into.set(rule.path, { limit: rule.value, stalls: [], startup });
    };
    ensure(single, r.maxStallMs, false);
    ensure(total, r.maxTotalBlockedMs, false);
    if (phases.startupBudget) {
      const budget = r.startup!.value as Exclude<Rules['startup'], 'ignore' | undefined>;
      const at = r.startup!.path;
      if (budget.maxStallMs !== undefined) ensure(single, { value: budget.maxStallMs, path: `${at}.maxStallMs` }, true);
      if (budget.maxTotalBlockedMs !== undefined) ensure(total, { value: budget.maxTotalBlockedMs, path: `${at}.maxTotalBlockedMs` }, true);
    }
  }
  if (startupLeftOut > 0) notes.push(`${plural(startupLeftOut, 'stall')} at startup left out ("startup": "ignore")`);
  if (toolingLeftOut > 0) {
    notes.push(
      `${plural(toolingLeftOut, 'stall')} at the startup of npm or a test runner's main process left out (the tooling's own loading; a \`processes\` entry with "role": "tooling" counts ${toolingLeftOut === 1 ? 'it' : 'them'})`,
    );
  }

  for (const [path, { limit, stalls: checked, startup }] of single) {
    const over = checked.filter((s) => countedTime(s, judged) > limit);
    const longest = Math.max(0, ...checked.map((s) => countedTime(s, judged)));
    const what = startup ? 'stall at startup' : 'stall';
    rules.add(path, `no ${what} longer than ${ms(limit)}`, over.flatMap((s) => namedCauses(s, judged, report.thresholdMs)), (broken) =>
      broken ? `${plural(over.length, what)} longer than ${ms(limit)}, the longest ${ms(longest)}` : checked.length === 0 ? `no ${what}s` : `the longest ${what} was ${ms(longest)}`,
    );
  }
  for (const [path, { limit, stalls: checked, startup }] of total) {
    const blocked = checked.reduce((sum, s) => sum + countedTime(s, judged), 0);
    const broken = blocked > limit;
    const offenders = broken ? checked.flatMap((s) => namedCauses(s, judged, report.thresholdMs)) : [];
    const what = startup ? 'stalls at startup' : 'stalls';
    const pids = new Set(checked.map((s) => s.pid));
    const over = pids.size > 1 ? ` (summed over ${pids.size} processes)` : '';
    rules.add(path, `${what} block for at most ${ms(limit)} in all`, offenders, () => `${what} blocked for ${ms(blocked)}${over}`);
  }
}

function checkDelay(report: Report, gated: Map<number, ProcessRules>, rules: RuleBook, notes: string[]): void {
  const byRule = new Map<string, { limit: number; processes: ProcessSummary[] }>();
  for (const p of report.processes) {
    const rule = gated.get(p.pid)?.maxP99DelayMs;
    if (!rule) continue;
    const entry = byRule.get(rule.path) ?? { limit: rule.value, processes: [] };
    entry.processes.push(p);
    byRule.set(rule.path, entry);
  }
  for (const [path, { limit, processes }] of byRule) {
    const unknown = processes.filter((p) => p.eventLoopDelay === null);
    if (unknown.length > 0) {
      notes.push(
        `${path}: event-loop delay not measured for ${unknown.map((p) => `pid ${p.pid}`).join(', ')} (${unknown.length === 1 ? 'it' : 'they'} ended before running exit handlers, or before the first heartbeat): not checked there`,
      );
    }
    const measured = processes.filter((p) => p.eventLoopDelay !== null);
    const over = measured.filter((p) => p.eventLoopDelay!.p99Ms > limit);
    const offenders: Offender[] = over.map((p) => ({
      kind: 'process',
      callSite: null,
      operation: 'event-loop delay p99',
      category: 'process',
      pids: [p.pid],
      count: 1,
      totalMs: p.eventLoopDelay!.p99Ms,
      maxMs: p.eventLoopDelay!.p99Ms,
      stack: [],
      suggestedAllow: null,
    }));
    offenders.sort((a, b) => b.maxMs - a.maxMs);
    const worst = Math.max(0, ...measured.map((p) => p.eventLoopDelay!.p99Ms));
    const summary = over.length > 0 ? `${plural(over.length, 'process')} over ${ms(limit)}, the worst ${ms(worst)}` : measured.length === 0 ? 'not measured' : `the highest p99 was ${ms(worst)}`;
    rules.addProcesses(path, `event-loop delay p99 at most ${ms(limit)} in every process`, offenders, summary);
  }
}

function checkSyncIo(report: Report, gated: Map<number, ProcessRules>, judged: Judged[], allow: AllowMatcher, rules: RuleBook, notes: string[]): void {
  const byRule = new Map<string, { rule: NonNullable<Rules['syncIo']>; pids: Set<number> }>();
  for (const [pid, r] of gated) {
    if (!r.syncIo) continue;
    const entry = byRule.get(r.syncIo.path) ?? { rule: r.syncIo.value, pids: new Set<number>() };
    entry.pids.add(pid);
    byRule.set(r.syncIo.path, entry);
  }
  if (byRule.size > 0 && report.syncIo.thresholdMs === null) notes.push('syncIo: the sync API probes were off (--no-sync-io): not checked');
  for (const [path, { rule, pids }] of byRule) {
    const sites = judged.filter((j) => j.kind === 'sync-io' && pids.has(j.pid) && j.counted);
    const below = belowThresholdOf(report, pids, allow);
    const count = sites.reduce((n, s) => n + s.count, 0) + below.reduce((n, b) => n + b.count, 0);
    const totalMs = sites.reduce((n, s) => n + s.totalMs, 0) + below.reduce((n, b) => n + b.totalMs, 0);
    const killed = report.processes.filter((p) => pids.has(p.pid) && p.endedBy === 'killed');
    if (killed.length > 0) {
      notes.push(`${path}: ${killed.map((p) => `pid ${p.pid}`).join(', ')} ended without exit handlers: only its sync calls of at least the sync I/O threshold are known`);
    }
    const calls = `${plural(count, 'sync call')} after startup, ${ms(totalMs)} in all`;
    if (rule === 'forbid') {
      rules.add(path, 'no sync API call after startup', [...sites, ...below], () => calls);
      continue;
    }
    if (rule.maxCalls !== undefined) {
      const broken = count > rule.maxCalls;
      rules.add(`${path}.maxCalls`, `at most ${plural(rule.maxCalls, 'sync call')} after startup`, broken ? [...sites, ...below] : [], () => calls);
    }
    if (rule.maxTotalMs !== undefined) {
      const broken = totalMs > rule.maxTotalMs;
      rules.add(`${path}.maxTotalMs`, `sync calls after startup take at most ${ms(rule.maxTotalMs)} in all`, broken ? [...sites, ...below] : [], () => calls);
    }
    if (rule.maxCallMs !== undefined) {
      const limit = rule.maxCallMs;
      const over = sites.filter((s) => s.maxMs > limit);
      const longest = Math.max(0, ...sites.map((s) => s.maxMs));
      rules.add(`${path}.maxCallMs`, `no sync call after startup longer than ${ms(limit)}`, over, (broken) =>
        broken ? `${plural(over.length, 'call site')} with calls longer than ${ms(limit)}, the longest ${ms(longest)}` : `the longest call was ${ms(longest)}`,
      );
      const threshold = report.syncIo.thresholdMs;
      if (threshold !== null && limit < threshold) {
        notes.push(`${path}.maxCallMs ${ms(limit)} is under the sync I/O threshold (${ms(threshold)}): shorter calls were only counted, not timed one by one`);
      }
    }
  }
}

/**
 * Sync calls under the sync I/O threshold of the given processes that sampling placed at
 * no call site (those it placed are judged at their call sites), by operation.
 */
function belowThresholdOf(report: Report, pids: Set<number>, allow: AllowMatcher): Judged[] {
  const judged: Judged[] = [];
  for (const b of report.syncIo.belowThreshold) {
    if (allow.matchesOperation(b.operation, b.category)) continue;
    for (const placed of b.processes ?? []) {
      const p = { ...placed, count: placed.count - (placed.sampledCount ?? 0), totalMs: Math.max(0, placed.totalMs - (placed.sampledMs ?? 0)) };
      if (!pids.has(p.pid) || p.count <= 0) continue;
      judged.push({
        kind: 'sync-io',
        pid: p.pid,
        phase: 'run',
        callSite: null,
        operation: b.operation,
        category: b.category,
        stack: [],
        count: p.count,
        totalMs: p.totalMs,
        maxMs: report.syncIo.thresholdMs ?? 0,
        counted: true,
      });
    }
  }
  return judged;
}

function checkThreadpool(report: Report, gated: Map<number, ProcessRules>, judged: Judged[], rules: RuleBook): void {
  const byRule = new Map<string, { limit: number; pids: Set<number> }>();
  for (const [pid, r] of gated) {
    if (!r.maxQueueWaitMs) continue;
    const entry = byRule.get(r.maxQueueWaitMs.path) ?? { limit: r.maxQueueWaitMs.value, pids: new Set<number>() };
    entry.pids.add(pid);
    byRule.set(r.maxQueueWaitMs.path, entry);
  }
  for (const [path, { limit, pids }] of byRule) {
    const work = judged.filter((j) => j.kind === 'threadpool' && pids.has(j.pid) && j.counted && j.maxMs > limit);
    const processes = report.processes.filter((p) => pids.has(p.pid));
    const waits = processes.flatMap((p) => [p.threadpool?.queueWait.work?.maxMs ?? 0, p.threadpool?.queueWait.dns?.maxMs ?? 0]);
    const episodes = report.stalls.filter((s) => s.kind === 'threadpool' && pids.has(s.pid));
    const longest = Math.max(0, ...waits, ...episodes.map((e) => e.maxQueueWaitMs ?? 0));
    // Waits over the limit but under the stall threshold are in the percentiles only: no episode names their work.
    const unnamed: Judged[] = processes
      .filter((p) => Math.max(p.threadpool?.queueWait.work?.maxMs ?? 0, p.threadpool?.queueWait.dns?.maxMs ?? 0) > limit)
      .filter((p) => !work.some((w) => w.pid === p.pid) && !judged.some((j) => j.kind === 'threadpool' && j.pid === p.pid && !j.counted))
      .map((p) => ({
        kind: 'threadpool',
        pid: p.pid,
        phase: 'run',
        callSite: null,
        operation: 'threadpool queue wait',
        category: 'threadpool',
        stack: [],
        count: 1,
        totalMs: 0,
        maxMs: Math.max(p.threadpool?.queueWait.work?.maxMs ?? 0, p.threadpool?.queueWait.dns?.maxMs ?? 0),
        counted: true,
      }));
    rules.add(path, `no task waits longer than ${ms(limit)} for a threadpool thread`, [...work, ...unnamed], () => `tasks waited up to ${ms(longest)}`);
  }
}

function checkCategories(report: Report, gated: Map<number, ProcessRules>, judged: Judged[], allow: AllowMatcher, rules: RuleBook): void {
  const byRule = new Map<string, { category: string; rule: 'forbid' | CategoryBudget; pids: Set<number>; phases: Map<number, Array<'startup' | 'run'>> }>();
  for (const [pid, r] of gated) {
    for (const { category, rule } of r.categories) {
      const entry = byRule.get(rule.path) ?? { category, rule: rule.value, pids: new Set<number>(), phases: new Map() };
      entry.pids.add(pid);
      entry.phases.set(pid, stallPhases(r).run);
      byRule.set(rule.path, entry);
    }
  }
  const minor = minorBelowMs(report.thresholdMs);
  for (const [path, { category, rule, pids, phases }] of byRule) {
    const inStalls = judged.filter(
      (j) => j.kind === 'stall' && j.category === category && pids.has(j.pid) && j.counted && phases.get(j.pid)!.includes(j.phase),
    );
    const calls = judged.filter((j) => j.kind === 'sync-io' && j.category === category && pids.has(j.pid) && j.counted);
    if (rule === 'forbid') {
      const below = belowThresholdOf(report, pids, allow).filter((b) => b.category === category);
      const offenders = [...inStalls.filter((j) => j.maxMs >= minor), ...calls, ...below];
      const count = offenders.reduce((n, o) => n + o.count, 0);
      rules.add(path, `no ${category} blocking at all`, offenders, (broken) => (broken ? `${plural(count, `${category} stall cause or call`, `${category} stall causes and calls`)}` : `none`));
      continue;
    }
    if (rule.maxStallMs !== undefined) {
      const limit = rule.maxStallMs;
      const over = [...inStalls, ...calls].filter((j) => j.maxMs > limit);
      const longest = Math.max(0, ...inStalls.map((j) => j.maxMs), ...calls.map((j) => j.maxMs));
      rules.add(`${path}.maxStallMs`, `no ${category} blocking longer than ${ms(limit)}`, over, (broken) =>
        broken ? `${category} blocked for up to ${ms(longest)}` : inStalls.length + calls.length === 0 ? `no ${category} blocking` : `the longest was ${ms(longest)}`,
      );
    }
    if (rule.maxTotalBlockedMs !== undefined) {
      const limit = rule.maxTotalBlockedMs;
      const blocked = inStalls.reduce((n, j) => n + j.totalMs, 0);
      rules.add(`${path}.maxTotalBlockedMs`, `${category} blocks for at most ${ms(limit)} in all, in stalls`, blocked > limit ? inStalls : [], () => `${category} blocked for ${ms(blocked)} in stalls`);
    }
  }
}

function checkBaseline(judged: Judged[], rules: RuleBook, baseline: BaselineIndex): void {
  const changed = judged.filter((j) => j.counted && j.baseline !== undefined);
  const added = changed.filter((j) => j.baseline!.status === 'new');
  const worse = changed.filter((j) => j.baseline!.status === 'worse');
  rules.add('baseline', `no call site the baseline does not know, none more than ${baseline.tolerancePercent}% worse than in it`, changed, (broken) =>
    broken ? [added.length > 0 ? `new: ${countSites(added)}` : '', worse.length > 0 ? `worse: ${countSites(worse)}` : ''].filter(Boolean).join('; ') : 'no new call sites, none worse',
  );
}

function countSites(items: Judged[]): string {
  return plural(new Set(items.map((i) => `${i.kind}|${i.callSite?.file}|${i.callSite?.function}|${i.operation}`)).size, 'call site');
}

const ms = formatMs;

function plural(n: number, noun: string, many?: string): string {
  return `${n} ${n === 1 ? noun : (many ?? (noun.endsWith('s') ? `${noun}es` : `${noun}s`))}`;
}

/** Whether a process has a `processes` entry's role (`tooling`: a package manager or a test runner's main process). */
function hasRole(p: ProcessSummary, role: ScopeRole): boolean {
  return role === 'tooling' ? isTooling(p.role) : p.role === role;
}
