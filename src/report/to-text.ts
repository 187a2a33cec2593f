import { basename, relative, isAbsolute } from 'node:path';

import { LOOPWATCH_SETUP } from '../attribution/startup';
import { UNKNOWN_NATIVE_CALL } from '../attribution/late-samples';
import type { DelaySummary, QueueWaitSummary } from '../recording/schema';
import { summarizeCallSites } from './build-report';
import { printable } from './printable';
import { isTooling } from './process-roles';
import type { CallSiteSummary, Frame, ProcessSummary, Report, StartupSummary, Stall, SyncIoCallSite, SyncIoSummary } from './schema';

export interface TextOptions {
  /** Paths are shown relative to this directory. */
  cwd: string;
  color: boolean;
  /** How many call sites to list; the rest are counted. */
  maxCallSites?: number;
  /** With several processes, how many to list (the most blocked); the rest are counted. */
  maxProcesses?: number;
}

const DEFAULT_MAX_CALL_SITES = 10;
const DEFAULT_MAX_PROCESSES = 10;

/**
 * The text report, readable at 80 columns:
 *
 *   loopwatch: 2 stalls, 640 ms blocked in 1.40 s (threshold 50 ms)
 *   event loop: delay p50 0.2 ms, p99 330 ms, max 331 ms; utilization 46%
 *
 *    1. fixtures/crypto-pbkdf2.js:14:10 in hashPassword
 *       crypto.pbkdf2Sync (crypto): 2 stalls, 640 ms total, 331 ms max
 *
 *   threadpool starved 1 time, 1.5 s in all (4 threads; a task waited up to 1.5 s)
 *    1. fixtures/threadpool-dns.js:31:12 in fetchAll
 *       dns.lookup: 4 calls in the pool for 1.5 s (slow1.loopwatch.test, ...)
 *
 *   sync I/O after startup: 212 calls, 640 ms
 *    1. fixtures/sync-io-handler.js:12:10 in handler
 *       fs.readFileSync: 200 calls, 612 ms total, 3.4 ms max
 *       ... and 12 calls under 1 ms each, 0.4 ms in all (fs.statSync 12)
 *
 * With several processes (a test suite), no figures come before the call sites: each
 * call site names the process it blocked, and a table of the processes, the most
 * blocked first, ends the report:
 *
 *   loopwatch: 2 stalls in 2 of 16 processes, 900 ms blocked summed over 2 processes, in a run of 5.61 s (threshold 50 ms)
 *    1. hash.test.js:10:22
 *       crypto.pbkdf2Sync (crypto): 1 stall, 600 ms total, 600 ms max
 *       in pid 4242 (test worker): node hash.test.js
 *   ...
 *   16 processes, the 10 most blocked:
 *     stalls  blocked  delay p99  busy  pid: command
 *          1   600 ms     590 ms  100%  4242 (test worker): node hash.test.js
 *   ...
 */
export function reportToText(report: Report, options: TextOptions): string {
  const style = options.color ? ansi : plain;
  const lines: string[] = [];
  const many = report.processes.length > 1;
  const processes = new Map(report.processes.map((p) => [p.pid, p]));
  lines.push(headline(report, style));
  if (!many) for (const p of report.processes) lines.push(...processFigureLines(p, options.cwd));
  if (report.signal) lines.push(`the command was killed by ${report.signal} (exit status ${report.exitCode})`);

  // The tooling's own startup (npm loading npm, a test runner loading itself) is in every
  // run of a test suite and is none of the program's: counted, not listed.
  const loopStalls = report.stalls.filter((s) => s.kind === 'event-loop');
  const toolingStartup = loopStalls.filter((s) => s.phase === 'startup' && isTooling(processes.get(s.pid)?.role));
  const callSites = toolingStartup.length === 0 ? report.callSites : summarizeCallSites(loopStalls.filter((s) => !toolingStartup.includes(s)));

  // Call sites that never held the loop for a tenth of the threshold are the edges of
  // a stall (the moment it ended), not causes: counted, not listed.
  const minorBelowMs = report.thresholdMs / 10;
  const sites = callSites.filter((site) => site.maxMs >= minorBelowMs);
  const minor = callSites.length - sites.length;
  const shown = sites.slice(0, options.maxCallSites ?? DEFAULT_MAX_CALL_SITES);
  if (shown.length > 0 || toolingStartup.length > 0) lines.push('');
  shown.forEach((site, i) => lines.push(...callSiteLines(site, i + 1, options.cwd, style, many ? processes : undefined)));
  const hidden = sites.length - shown.length;
  if (hidden > 0) lines.push(`    ... and ${plural(hidden, 'more call site')} (see --json)`);
  if (minor > 0) lines.push(`    ... and ${plural(minor, 'minor call site')} under ${formatMs(minorBelowMs)} each (see --json)`);
  if (toolingStartup.length > 0) lines.push(toolingLine(toolingStartup, processes, shown.length === 0));
  lines.push(...threadpoolLines(report, options.cwd, style));
  lines.push(...syncIoLines(report.syncIo, options.cwd, style, processes, many));
  if (many) lines.push(...processListLines(report, options.cwd, options.maxProcesses ?? DEFAULT_MAX_PROCESSES));
  for (const warning of report.warnings ?? []) lines.push('', `warning: ${printable(warning, 500)}`);
  lines.push(...inProgressLines(report, processes));
  return lines.join('\n') + '\n';
}

/**
 * The first line: how many stalls, and how long the loop was blocked. With several
 * processes that time is added up over them, and they ran side by side, so it can
 * be longer than the run: it says so, and names both in the same unit.
 */
function headline(report: Report, style: Style): string {
  const { stalls } = report.totals;
  const threshold = `threshold ${formatMs(report.thresholdMs)}`;
  const count = report.processes.length;
  // Both times in one format; with several processes, the run's time named as such.
  const run = `in ${count > 1 ? 'a run of ' : ''}${formatMs(report.durationMs)}`;
  if (stalls === 0) {
    const where = count > 1 ? ` in ${count} processes,` : '';
    return `${style.bold('loopwatch:')} no stalls over ${formatMs(report.thresholdMs)}${where} ${run}; the loop never blocked longer.`;
  }
  const loopStalls = report.stalls.filter((s) => s.kind === 'event-loop');
  const startup = loopStalls.filter((s) => s.phase === 'startup').length;
  const host = loopStalls.filter((s) => s.category === 'host').length;
  const notes = [startup > 0 ? (startup === stalls && stalls > 1 ? 'all at startup' : `${startup} at startup`) : '', host > 0 ? `${host} the host's, not the program's` : ''].filter((n) => n !== '');
  const aside = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  if (count <= 1) return `${style.bold('loopwatch:')} ${style.red(plural(stalls, 'stall'))}${aside}, ${blockedFigures(report)} (${threshold})`;
  const stalled = new Set(loopStalls.map((s) => s.pid)).size;
  return `${style.bold('loopwatch:')} ${style.red(plural(stalls, 'stall'))}${aside} in ${stalled} of ${count} processes, ${blockedFigures(report)} (${threshold})`;
}

/**
 * `640 ms blocked in 1.40 s`; with several processes, which run side by side, the
 * blocked time is their sum and can pass the run's: `161.78 s blocked summed over 2
 * processes, in a run of 68.21 s`. Both times in the same unit.
 */
export function blockedFigures(report: Report): string {
  const blocked = `${formatMs(report.totals.blockedMs)} blocked`;
  if (report.processes.length <= 1) return `${blocked} in ${formatMs(report.durationMs)}`;
  const stalled = new Set(report.stalls.filter((s) => s.kind === 'event-loop').map((s) => s.pid)).size;
  return `${blocked}${stalled > 1 ? ` summed over ${stalled} processes` : ''}, in a run of ${formatMs(report.durationMs)}`;
}

/** The tooling's startup stalls, left out of the call sites: how many, how long, in which processes. */
function toolingLine(stalls: Stall[], processes: Map<number, ProcessSummary>, alone: boolean): string {
  const pids = [...new Set(stalls.map((s) => s.pid))];
  const named = pids.slice(0, 5).map((pid) => `pid ${pid} ${roleName(processes.get(pid)!)}`);
  const more = pids.length > named.length ? `, and ${pids.length - named.length} more` : '';
  const ms = stalls.reduce((n, s) => n + s.durationMs, 0);
  const what = `${plural(stalls.length, 'stall')} at the tooling's startup (${named.join(', ')}${more}), ${formatMs(ms)}: not listed, see --json`;
  return alone ? `no call sites but the tooling's: ${what}` : `    ... and ${what}`;
}

/** Stalls cut short by their process's end, and which processes they were in. */
function inProgressLines(report: Report, processes: Map<number, ProcessSummary>): string[] {
  const cut = report.stalls.filter((s) => s.inProgressAtExit);
  if (cut.length === 0) return [];
  const pids = [...new Set(cut.map((s) => s.pid))];
  const listed = pids.slice(0, 10).map((pid) => {
    const p = processes.get(pid);
    return pids.length === 1 && p ? `pid ${pid}${roleSuffix(p)}` : String(pid);
  });
  const more = pids.length > listed.length ? ` and ${pids.length - listed.length} more` : '';
  const whose = pids.length > 1 ? 'their processes' : cut.length > 1 ? 'their process' : 'its process';
  const which = pids.length === 1 ? listed[0]! : `pid ${listed.join(', ')}${more}`;
  return ['', `${plural(cut.length, 'stall')} still going on when ${whose} ended, counted up to then: ${which}`];
}

/**
 * One line per process, the ones that blocked most first; with many processes (a test
 * suite's workers) the rest are counted in one line.
 */
function processListLines(report: Report, cwd: string, max: number): string[] {
  const stallsOf = new Map<number, { count: number; ms: number; cut: boolean }>();
  for (const s of report.stalls) {
    if (s.kind !== 'event-loop') continue;
    const entry = stallsOf.get(s.pid) ?? { count: 0, ms: 0, cut: false };
    entry.count += 1;
    entry.ms += s.durationMs;
    entry.cut ||= s.inProgressAtExit;
    stallsOf.set(s.pid, entry);
  }
  const ranked = report.processes
    .map((p, order) => ({ p, order, stalls: stallsOf.get(p.pid) ?? { count: 0, ms: 0, cut: false } }))
    .sort((a, b) => b.stalls.ms - a.stalls.ms || (b.p.eventLoopDelay?.p99Ms ?? 0) - (a.p.eventLoopDelay?.p99Ms ?? 0) || a.order - b.order);
  // Listing two more beats a line that counts two.
  const shown = ranked.length <= max + 2 ? ranked : ranked.slice(0, max);
  const title = ranked.length === shown.length ? `${plural(ranked.length, 'process')}, the most blocked first:` : `${plural(ranked.length, 'process')}, the ${shown.length} most blocked:`;
  const lines = ['', title, '  stalls  blocked  delay p99  busy  pid: command'];
  for (const { p, stalls } of shown) {
    const delay = p.eventLoopDelay ? formatMs(p.eventLoopDelay.p99Ms) : '-';
    const busy = p.utilization === null ? '-' : `${Math.round(p.utilization * 100)}%`;
    const blocked = stalls.count > 0 ? formatMs(stalls.ms) : '-';
    const killed = p.endedBy === 'killed' ? ' (ended without running its exit handlers)' : '';
    lines.push(`  ${String(stalls.count).padStart(6)}  ${blocked.padStart(7)}  ${delay.padStart(9)}  ${busy.padStart(4)}  ${p.pid}${roleSuffix(p)}: ${describeCommand(p, cwd)}${killed}`);
    lines.push(...threadLines(p, '        '));
  }
  const rest = ranked.slice(shown.length);
  if (rest.length > 0) {
    const count = rest.reduce((n, r) => n + r.stalls.count, 0);
    const ms = rest.reduce((n, r) => n + r.stalls.ms, 0);
    const stalls = count > 0 ? `${plural(count, 'stall')}, ${formatMs(ms)} in all` : 'no stalls';
    lines.push(`  ... and ${plural(rest.length, 'more process')}: ${stalls} (see --json)`);
  }
  return lines;
}

/** The figures of the one process of a run, each on its own line. */
function processFigureLines(p: ProcessSummary, cwd: string): string[] {
  const lines = threadLines(p, '');
  if (p.endedBy === 'killed') {
    // Its running figures, written every second or so, tell what it did until then.
    if (p.figuresAt === null) return [...lines, 'ended without running its exit handlers: no loop figures'];
    const before = p.startedAt + p.durationMs - p.figuresAt;
    lines.push(`ended without running its exit handlers: its figures as of ${before >= 1 ? `${formatMs(before)} before its end` : 'its end'}`);
  }
  const delay = p.eventLoopDelay;
  // The figures with the beats stalls swallowed lead; the per-beat ones follow when they differ.
  const swallowed = delay ? swallowedBeats(delay) : 0;
  const shown = delay?.corrected && swallowed > 0 ? delay.corrected : delay;
  const delayText = delay && shown
    ? `delay p50 ${formatMs(shown.p50Ms)}, p99 ${formatMs(shown.p99Ms)}, max ${formatMs(delay.maxMs)}`
    : 'delay not measured (exited before its first beat)';
  const utilization = p.utilization === null ? '' : `; utilization ${Math.round(p.utilization * 100)}%`;
  lines.push(`event loop: ${delayText}${utilization}`);
  if (delay && swallowed > 0) {
    lines.push(fit(`  counting ${swallowed} swallowed ${swallowed === 1 ? 'beat' : 'beats'}; per beat that ran: p50 ${formatMs(delay.p50Ms)}, p99 ${formatMs(delay.p99Ms)}`));
  }
  if (p.gc && p.gc.count > 0) {
    lines.push(`GC: ${plural(p.gc.count, 'pause')}, ${formatMs(p.gc.totalMs)} in all, longest ${formatMs(p.gc.maxMs)}`);
  } else if (p.gc && p.startup && !p.startup.loopTurned) {
    // Node.js hands each pause to its observers from the event loop, which never turned.
    lines.push('GC: not observed (its event loop never turned, and Node.js reports pauses from it)');
  }
  const waits = p.threadpool?.queueWait;
  if (p.threadpool && (waits?.work || waits?.dns)) {
    const wait = (w: QueueWaitSummary | null) => (w ? `p50 ${formatMs(w.p50Ms)}, p99 ${formatMs(w.p99Ms)}, max ${formatMs(w.maxMs)}` : 'not measured');
    lines.push(`threadpool (${plural(p.threadpool.size, 'thread')}) queue wait: ${wait(waits.work)}`);
    lines.push(`  DNS lookups' wait: ${wait(waits.dns)}`);
  }
  if (p.startup) lines.push(...startupLines(p.startup, '', cwd));
  return lines;
}

function threadLines(p: ProcessSummary, indent: string): string[] {
  const lines: string[] = [];
  const named = (t: { threadId: number; name: string | null }) => (t.name ? `${t.threadId} "${printable(t.name, 40)}"` : String(t.threadId));
  const watched = p.threads ?? [];
  if (watched.length > 0) lines.push(fit(`${indent}${plural(watched.length, 'worker thread')} watched: ${watched.map(named).join(', ')}`));
  const unwatched = p.unwatchedThreads ?? [];
  if (unwatched.length > 0) {
    lines.push(fit(`${indent}${plural(unwatched.length, 'worker thread')} not watched, blocking inside not seen: ${unwatched.map(named).join(', ')}`));
  }
  return lines;
}

/** Each starvation episode with what filled the pool; episodes are rare and each tells its own story. */
function threadpoolLines(report: Report, cwd: string, style: Style): string[] {
  const episodes = report.stalls.filter((s) => s.kind === 'threadpool');
  if (episodes.length === 0) return [];
  const sizes = [...new Set(report.processes.flatMap((p) => (p.threadpool ? [p.threadpool.size] : [])))];
  const threads = sizes.length === 1 ? `${plural(sizes[0]!, 'thread')}; ` : '';
  const longest = Math.max(...episodes.map((e) => e.maxQueueWaitMs ?? e.durationMs));
  const lines = [
    '',
    `${style.red(`threadpool starved ${plural(episodes.length, 'time')}`)}, ${formatMs(report.totals.threadpoolStarvedMs)} in all ` +
      `(${threads}tasks waited up to ${formatMs(longest)})`,
  ];
  const shown = episodes.slice(0, DEFAULT_MAX_CALL_SITES);
  shown.forEach((episode, i) => lines.push(...episodeLines(episode, i + 1, cwd, style)));
  if (episodes.length > shown.length) lines.push(`    ... and ${plural(episodes.length - shown.length, 'more episode')} (see --json)`);
  return lines;
}

function episodeLines(episode: Stall, rank: number, cwd: string, style: Style): string[] {
  const cause = episode.causes[0]!;
  const where = cause.callSite ? formatLocation(cause.callSite, cwd) : 'no tracked work in flight (async fs, native addons?)';
  const calls = cause.calls ? `${plural(cause.calls, 'call')} in flight for ${formatMs(cause.durationMs)}` : formatMs(episode.durationMs);
  const waited = `${episode.queue === 'dns' ? 'lookups' : 'tasks'} waited up to ${formatMs(episode.maxQueueWaitMs ?? episode.durationMs)}`;
  const lines = [`${String(rank).padStart(2)}. ${style.cyan(where)}`, `    ${style.bold(printable(cause.operation))}: ${calls}; ${waited}`];
  if (cause.detail) lines.push(fit(`    ${printable(cause.detail)}`));
  if (episode.causes.length > 1) lines.push(`    ... and ${plural(episode.causes.length - 1, 'other call site')} with work in the pool`);
  return lines;
}

function syncIoLines(syncIo: SyncIoSummary, cwd: string, style: Style, processes: Map<number, ProcessSummary>, many: boolean): string[] {
  if (syncIo.totals.count === 0) return [];
  // Modules the tooling loads after its startup (npm's lazy requires) are its own startup, told apart.
  const toolingLoads = { count: 0, ms: 0 };
  const callSites: SyncIoCallSite[] = [];
  for (const site of syncIo.callSites) {
    const parts = site.processes ?? [];
    const tooling = site.category === 'module' ? parts.filter((p) => isTooling(processes.get(p.pid)?.role)) : [];
    if (tooling.length === 0) {
      callSites.push(site);
      continue;
    }
    toolingLoads.count += tooling.reduce((n, p) => n + p.count, 0);
    toolingLoads.ms += tooling.reduce((n, p) => n + p.totalMs, 0);
    const rest = parts.filter((p) => !tooling.includes(p));
    if (rest.length === 0) continue;
    callSites.push({
      ...site,
      processes: rest,
      count: rest.reduce((n, p) => n + p.count, 0),
      totalMs: rest.reduce((n, p) => n + p.totalMs, 0),
      maxMs: Math.max(...rest.map((p) => p.maxMs)),
    });
  }
  callSites.sort((a, b) => b.totalMs - a.totalMs);
  const count = syncIo.totals.count - toolingLoads.count;
  const totalMs = syncIo.totals.totalMs - toolingLoads.ms;
  const lines = ['', `${style.bold('sync I/O after startup')}: ${plural(count, 'call')}, ${formatMs(totalMs)}`];
  const shown = callSites.slice(0, DEFAULT_MAX_CALL_SITES);
  shown.forEach((site, i) => {
    const where = site.callSite ? formatLocation(site.callSite, cwd) : 'unknown location';
    const targets = site.targets?.map((t) => printable(isAbsolute(t) ? displayPath(t, cwd) : t));
    const about = site.estimated ? 'about ' : '';
    const counts = `${about}${plural(Math.round(site.count), 'call')}, ${about}${formatMs(site.totalMs)} total, ${formatMs(site.maxMs)} max`;
    lines.push(`${String(i + 1).padStart(2)}. ${style.cyan(where)}`, `    ${style.bold(printable(site.operation))}: ${counts}`);
    if (site.sampled && syncIo.thresholdMs !== null) {
      const samples = plural(site.sampled.samples, 'sampled call');
      lines.push(fit(`    of which ${site.sampled.count} under ${formatMs(syncIo.thresholdMs)}, placed here from ${samples}`));
    }
    if (targets) lines.push(fit(`    ${site.category === 'module' ? 'loaded' : 'on'} ${targets.join(', ')}`));
    if (many && site.processes) lines.push(...whichProcesses(site.processes, processes, cwd));
  });
  const hidden = callSites.length - shown.length;
  if (hidden > 0) lines.push(`    ... and ${plural(hidden, 'more call site')} (see --json)`);
  // Short calls that sampling placed at no call site (all of them, in a report made before sampling).
  const sampling = syncIo.belowThreshold.some((b) => b.sampledCount !== undefined);
  const below = syncIo.belowThreshold.map((b) => ({ ...b, count: b.count - (b.sampledCount ?? 0) })).filter((b) => b.count > 0);
  if (below.length > 0 && syncIo.thresholdMs !== null) {
    const count = below.reduce((n, b) => n + b.count, 0);
    const ms = below.reduce((n, b) => n + b.totalMs, 0);
    const top = below.map((b) => `${printable(b.operation)} ${b.count}`).join(', ');
    const what = sampling ? ', not placed at a call site' : `, ${formatMs(ms)} in all`;
    lines.push(`    ... and ${plural(count, 'call')} under ${formatMs(syncIo.thresholdMs)} each${what}:`);
    lines.push(fit(`        ${top}`));
  }
  if (toolingLoads.count > 0) {
    lines.push(`    ... and ${plural(toolingLoads.count, 'module')} the tooling loaded, ${formatMs(toolingLoads.ms)}, not listed (see --json)`);
  }
  return lines;
}

/** The process a call site blocked in, or the one it blocked most of several. */
function whichProcesses(parts: Array<{ pid: number; totalMs: number }>, processes: Map<number, ProcessSummary>, cwd: string): string[] {
  if (parts.length === 0) return [];
  const top = processes.get(parts[0]!.pid);
  // The script and its arguments; the process list below has the whole command.
  const named = top ? `pid ${top.pid}${roleSuffix(top)}: ${describeCommand({ argv: top.argv }, cwd)}` : `pid ${parts[0]!.pid}`;
  return [fit(parts.length === 1 ? `    in ${named}` : `    in ${parts.length} processes, most in ${named}`)];
}

/** What a startup section's length runs until, after the figure: "before the event loop's first turn". */
export function startupUntil(startup: StartupSummary): string {
  if (!startup.loopTurned) return 'before the process ended (its event loop never turned)';
  if (startup.mainEvaluatedAt === null || startup.loopStartAt === null) return "before the event loop's first turn";
  // Node.js 20 loads an ES module main entry after the loop's first turn.
  const turnedMs = startup.beforeLoopMs - (startup.mainEvaluatedAt - startup.loopStartAt);
  return `until its ES module main entry had run (the event loop first turned at ${formatMs(turnedMs)}, as Node.js loaded it)`;
}

/**
 * What the main module's time was: its own code beside its require() calls, or, for an ES
 * module that Node.js 20 loaded after the loop's first turn, loading and running its modules
 * (the loop turned meanwhile: file reads, a top-level await).
 */
export function mainShare(startup: StartupSummary): string {
  return startup.mainEvaluatedAt === null ? `of which its own code ${formatMs(startup.mainOwnMs)}` : 'loading and running its ES modules';
}

/** Modules shown in the text report's startup lines (the JSON has 20). */
const TEXT_STARTUP_MODULES = 5;

/** Where the time before the first turn of the event loop went. */
function startupLines(startup: StartupSummary, indent: string, cwd: string): string[] {
  const until = startupUntil(startup);
  const main = startup.main === null ? 'the main script' : printable(displayPath(startup.main, cwd));
  const lines = [
    `${indent}startup: ${formatMs(startup.beforeLoopMs)} ${until}`,
    fit(`${indent}  Node.js until loopwatch: ${formatMs(startup.nodeMs)}; loopwatch's own setup: ${formatMs(startup.loopwatchMs)}`),
    fit(`${indent}  ${main}: ${formatMs(startup.mainMs)}, ${mainShare(startup)}`),
  ];
  const shown = startup.modules.filter((m) => m.durationMs >= 0.5).slice(0, TEXT_STARTUP_MODULES);
  for (const m of shown) {
    const inner = m.children.filter((c) => c.durationMs >= 0.5).map((c) => `${printable(c.request)} ${formatMs(c.durationMs)}`);
    const within = inner.length > 0 ? ` (its own ${formatMs(m.ownMs)}; ${inner.join(', ')})` : '';
    lines.push(fit(`${indent}    require ${printable(m.request)}: ${formatMs(m.durationMs)}${within}`));
  }
  const more = startup.modules.length - shown.length + startup.omittedModules;
  if (more > 0 && shown.length > 0) lines.push(`${indent}    ... and ${plural(more, 'more require() call')} (see --json)`);
  return lines;
}

/** Heartbeats a stall swallowed: recorded in the corrected figures, not run (0 for reports without them). */
export function swallowedBeats(delay: DelaySummary): number {
  return delay.corrected && delay.beats !== undefined ? Math.max(0, delay.corrected.beats - delay.beats) : 0;
}

/** Parts listed in a call site's split; the rest are counted. */
const MAX_PARTS_SHOWN = 4;

/**
 * What a line's time went to, when it went to more than one thing:
 * `split: crypto.pbkdf2Sync 454 ms, js 40.9 ms, gc.minor 1.2 ms`. The line's function
 * computing by itself is `js`.
 */
export function describeParts(site: { callSite: Frame | null; parts?: Array<{ operation: string; category: string; totalMs: number }> }): string | undefined {
  const parts = site.parts ?? [];
  if (parts.length < 2) return undefined;
  const ownWork = site.callSite ? (site.callSite.function ?? '<anonymous>') : undefined;
  const named = parts.slice(0, MAX_PARTS_SHOWN).map((part) => {
    const name = part.category === 'js' && part.operation === ownWork ? 'js' : printable(part.operation);
    return `${name} ${formatMs(part.totalMs)}`;
  });
  const rest = parts.length - MAX_PARTS_SHOWN;
  return `split: ${named.join(', ')}${rest > 0 ? `, and ${rest} more` : ''}`;
}

/** Hottest functions named in the text report; the JSON has up to 5. */
const MAX_HOTTEST_SHOWN = 3;

/** `hottest: visitBlock 120 ms, visitLeaf 96 ms, walk 80 ms`: where a line's JavaScript spent its time. */
export function describeHottest(site: { hottest?: Array<{ function: string | null; file: string | null; line: number | null; selfMs: number }> }, cwd: string): string | undefined {
  const hot = site.hottest ?? [];
  if (hot.length === 0) return undefined;
  const named = hot.slice(0, MAX_HOTTEST_SHOWN).map((h) => {
    const name = h.function ? printable(h.function) : `<anonymous> at ${h.file === null ? '<builtin>' : printable(displayPath(h.file, cwd))}${h.line === null ? '' : `:${h.line}`}`;
    return `${name} ${formatMs(h.selfMs)}`;
  });
  return `hottest: ${named.join(', ')}`;
}

/** Where a stall's cause was, for people: its location, or why there is none. */
export function describeCallSite(site: { callSite: Frame | null; operation: string; category?: string }, cwd: string): string {
  if (site.callSite) return formatLocation(site.callSite, cwd);
  if (site.category === 'host') return 'the host, not the program';
  if (site.operation === LOOPWATCH_SETUP) return "loopwatch itself: its agent's setup, before the program ran";
  if (site.operation === UNKNOWN_NATIVE_CALL) return 'line not known: the native call had returned when the stack was sampled';
  if (site.operation === 'unknown') return 'unknown location (no stack sample, or one without JavaScript)';
  if (site.category === 'gc') return 'unknown location (a GC pause in a stall with no stack sample)';
  // Attribution leaves the call site out only where nothing but Node.js's own code was on the stack.
  return 'no program frame: in Node.js internals';
}

function callSiteLines(site: CallSiteSummary, rank: number, cwd: string, style: Style, processes?: Map<number, ProcessSummary>): string[] {
  const where = describeCallSite(site, cwd);
  const workers = (site.threads ?? []).filter((t) => t !== 0);
  const inThreads = workers.length === 0 ? '' : ` in worker ${workers.length === 1 ? 'thread' : 'threads'} ${workers.join(', ')}`;
  const counts = `${plural(site.count, 'stall')}${inThreads}, ${formatMs(site.totalMs)} total, ${formatMs(site.maxMs)} max`;
  const number = `${String(rank).padStart(2)}.`;
  const lines = [`${number} ${style.cyan(where)}`, `    ${style.bold(printable(site.operation))} (${site.category}): ${counts}`];
  const split = describeParts(site);
  if (split !== undefined) lines.push(fit(`    ${split}`));
  if (site.detail) {
    const loaded = site.category === 'module';
    const detail = printable(loaded && isAbsolute(site.detail) ? displayPath(site.detail, cwd) : site.detail);
    lines.push(fit(`    ${loaded ? `loaded ${detail}` : detail}`));
  }
  const hottest = describeHottest(site, cwd);
  if (hottest !== undefined) lines.push(fit(`    ${hottest}`));
  const host = hostNote(site);
  if (host !== undefined) lines.push(`    ${host}`);
  if (processes && site.processes) lines.push(...whichProcesses(site.processes, processes, cwd));
  return lines;
}

/**
 * What the host had to do with a call site's time: all of it, for the host's own stalls;
 * for the program's, how much of it the thread spent waiting for a CPU, when that is a
 * good part of it (a busy host stretches a stall).
 */
export function hostNote(site: Pick<CallSiteSummary, 'category' | 'operation' | 'totalMs' | 'runQueueMs'>): string | undefined {
  if (site.category === 'host') {
    return site.operation === 'process stopped'
      ? 'the whole process was stopped, loopwatch too (SIGSTOP, a frozen container, a paused VM)'
      : 'the thread was ready to run, but the host gave the CPUs to other work';
  }
  if (site.runQueueMs !== undefined && site.runQueueMs >= site.totalMs / 5) return `of which about ${formatMs(site.runQueueMs)} waiting for a CPU (the host was busy)`;
  return undefined;
}

const WIDTH = 80;

/** A line of supporting detail, cut to the report's width. */
function fit(line: string): string {
  return line.length <= WIDTH ? line : `${line.slice(0, WIDTH - 3)}...`;
}

/** `src/app.js:12:5 in handler`, with the program's names made printable. */
export function formatLocation(frame: Frame, cwd: string): string {
  const file = frame.file === null ? '<builtin>' : printable(displayPath(frame.file, cwd));
  const position = frame.line === null ? '' : `:${frame.line}${frame.column === null ? '' : `:${frame.column}`}`;
  const fn = frame.function ? ` in ${printable(frame.function)}` : '';
  return `${file}${position}${fn}`;
}

export function displayPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * The command a process ran, as it ran: the Node.js binary's name, its options
 * (`--test`, `--expose-gc`), the script and its arguments; paths under the working
 * directory relative to it, each argument escaped and quoted where a shell would need it.
 */
export function describeCommand(p: { argv: string[]; execArgv?: string[] }, cwd: string): string {
  const [node, ...rest] = p.argv;
  const shown = (arg: string) => shellQuoted(printable(isAbsolute(arg) ? displayPath(arg, cwd) : arg, 120));
  const options = programOptions(p.execArgv ?? []).map(shown);
  // Node.js 24's test runner hands each test file's process every option it has, at its
  // default value (some 30): those are counted, not listed (the JSON report has them).
  const listed = options.length <= MAX_OPTIONS_SHOWN && options.join(' ').length <= 160 ? options : [`(${options.length} Node.js options)`];
  return [node === undefined ? 'node' : shown(basename(node)), ...listed, ...rest.map(shown)].join(' ');
}

const MAX_OPTIONS_SHOWN = 8;

/** A process's Node.js options without loopwatch's own preload, which NODE_OPTIONS gave it (and some runners pass on). */
function programOptions(execArgv: string[]): string[] {
  const preload = /(^|[\\/])dist[\\/]agent[\\/]preload\.js$/;
  const options: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const option = execArgv[i]!;
    const inline = /^(--require|-r)=(.*)$/.exec(option);
    if (inline && preload.test(inline[2]!)) continue;
    if ((option === '--require' || option === '-r') && preload.test(execArgv[i + 1] ?? '')) {
      i += 1;
      continue;
    }
    options.push(option);
  }
  return options;
}

/** An argument as a POSIX shell would read it back: bare when it is plain, else in single quotes. */
function shellQuoted(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/** What a process is, for people: ` (npm, the command)`, ` (test worker)`, or nothing. */
function roleSuffix(p: ProcessSummary): string {
  const parts = [p.role ? roleName(p) : '', p.firstProcess ? 'the command' : ''].filter((x) => x !== '');
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function roleName(p: ProcessSummary): string {
  switch (p.role) {
    case 'package-manager': {
      // npm, npx, pnpm, yarn: the name it was run by, when it is one of these.
      const name = basename(p.argv[1] ?? '').replace(/(-cli)?\.c?js$/, '');
      return /^(npm|npx|pnpm|pnpx|yarn|yarnpkg|corepack)$/.test(name) ? name : 'package manager';
    }
    case 'test-runner':
      return 'test runner';
    case 'test-worker':
      return 'test worker';
    default:
      return 'process';
  }
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1).replace(/\.0$/, '')} ms`;
  return `${ms.toFixed(2).replace(/\.?0+$/, '')} ms`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return formatMs(ms);
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  // Round to whole seconds first, so that 119.5 s reads "2 min 0 s", never "1 min 60 s".
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function plural(n: number, noun: string, nouns = noun.endsWith('s') ? `${noun}es` : `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

interface Style {
  bold(text: string): string;
  red(text: string): string;
  cyan(text: string): string;
}

const plain: Style = { bold: (t) => t, red: (t) => t, cyan: (t) => t };
const ansi: Style = {
  bold: (t) => `\x1b[1m${t}\x1b[22m`,
  red: (t) => `\x1b[31m${t}\x1b[39m`,
  cyan: (t) => `\x1b[36m${t}\x1b[39m`,
};
