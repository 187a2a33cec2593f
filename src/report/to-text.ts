import { relative, isAbsolute } from 'node:path';
import type { Frame } from '../attribution/frames';
import type { QueueWaitSummary } from '../recording/schema';
import type { CallSiteSummary, ProcessSummary, Report, Stall, SyncIoSummary } from './schema';

export interface TextOptions {
  /** Paths are shown relative to this directory. */
  cwd: string;
  color: boolean;
  /** How many call sites to list; the rest are counted. */
  maxCallSites?: number;
}

const DEFAULT_MAX_CALL_SITES = 10;

/**
 * The text report, readable at 80 columns:
 *
 *   loopwatch: 2 stalls, 640 ms blocked in 1.4 s (threshold 50 ms)
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
 */
export function reportToText(report: Report, options: TextOptions): string {
  const style = options.color ? ansi : plain;
  const lines: string[] = [];
  const { stalls, blockedMs } = report.totals;
  const ran = `in ${formatDuration(report.durationMs)}`;
  const threshold = `threshold ${formatMs(report.thresholdMs)}`;
  if (stalls === 0) {
    lines.push(`${style.bold('loopwatch:')} no stalls over ${formatMs(report.thresholdMs)} ${ran}; the loop never blocked longer.`);
  } else {
    const blocked = `${formatMs(blockedMs)} blocked`;
    const startup = report.stalls.filter((s) => s.kind === 'event-loop' && s.phase === 'startup').length;
    const atStartup = startup > 0 ? ` (${startup} at startup)` : '';
    lines.push(`${style.bold('loopwatch:')} ${style.red(plural(stalls, 'stall'))}${atStartup}, ${blocked} ${ran} (${threshold})`);
  }
  for (const p of report.processes) lines.push(...processLines(p, report.processes.length > 1, options.cwd));
  if (report.signal) lines.push(`the command was killed by ${report.signal} (exit status ${report.exitCode})`);

  // Call sites that never held the loop for a tenth of the threshold are the edges of
  // a stall (the moment it ended), not causes: counted, not listed.
  const minorBelowMs = report.thresholdMs / 10;
  const sites = report.callSites.filter((site) => site.maxMs >= minorBelowMs);
  const minor = report.callSites.length - sites.length;
  const shown = sites.slice(0, options.maxCallSites ?? DEFAULT_MAX_CALL_SITES);
  if (shown.length > 0) lines.push('');
  shown.forEach((site, i) => lines.push(...callSiteLines(site, i + 1, options.cwd, style)));
  const hidden = sites.length - shown.length;
  if (hidden > 0) lines.push(`    ... and ${plural(hidden, 'more call site')} (see --json)`);
  if (minor > 0) lines.push(`    ... and ${plural(minor, 'minor call site')} under ${formatMs(minorBelowMs)} each (see --json)`);
  lines.push(...threadpoolLines(report, options.cwd, style));
  lines.push(...syncIoLines(report.syncIo, options.cwd, style));
  const cut = report.stalls.filter((s) => s.inProgressAtExit).length;
  if (cut > 0) lines.push('', `${plural(cut, 'stall')} still going on when its process ended; durations are up to that moment.`);
  return lines.join('\n') + '\n';
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
  const lines = [`${String(rank).padStart(2)}. ${style.cyan(where)}`, `    ${style.bold(cause.operation)}: ${calls}; ${waited}`];
  if (cause.detail) lines.push(fit(`    ${cause.detail}`));
  if (episode.causes.length > 1) lines.push(`    ... and ${plural(episode.causes.length - 1, 'other call site')} with work in the pool`);
  return lines;
}

function syncIoLines(syncIo: SyncIoSummary, cwd: string, style: Style): string[] {
  if (syncIo.totals.count === 0) return [];
  const lines = ['', `${style.bold('sync I/O after startup')}: ${plural(syncIo.totals.count, 'call')}, ${formatMs(syncIo.totals.totalMs)}`];
  const shown = syncIo.callSites.slice(0, DEFAULT_MAX_CALL_SITES);
  shown.forEach((site, i) => {
    const where = site.callSite ? formatLocation(site.callSite, cwd) : 'unknown location';
    const targets = site.targets?.map((t) => (isAbsolute(t) ? displayPath(t, cwd) : t));
    const counts = `${plural(site.count, 'call')}, ${formatMs(site.totalMs)} total, ${formatMs(site.maxMs)} max`;
    lines.push(`${String(i + 1).padStart(2)}. ${style.cyan(where)}`, `    ${style.bold(site.operation)}: ${counts}`);
    if (targets) lines.push(fit(`    ${site.category === 'module' ? 'loaded' : 'on'} ${targets.join(', ')}`));
  });
  const hidden = syncIo.callSites.length - shown.length;
  if (hidden > 0) lines.push(`    ... and ${plural(hidden, 'more call site')} (see --json)`);
  const below = syncIo.belowThreshold;
  if (below.length > 0 && syncIo.thresholdMs !== null) {
    const count = below.reduce((n, b) => n + b.count, 0);
    const ms = below.reduce((n, b) => n + b.totalMs, 0);
    const top = below.map((b) => `${b.operation} ${b.count}`).join(', ');
    lines.push(`    ... and ${plural(count, 'call')} under ${formatMs(syncIo.thresholdMs)} each, ${formatMs(ms)} in all:`);
    lines.push(fit(`        ${top}`));
  }
  return lines;
}

function processLines(p: ProcessSummary, many: boolean, cwd: string): string[] {
  // With several processes, each gets a line of its own naming it, and its figures indented below.
  const lines = many ? [`pid ${p.pid}: ${describeArgv(p.argv, cwd)}`] : [];
  const indent = many ? '  ' : '';
  if (p.endedBy === 'killed') return [...lines, `${indent}ended without running its exit handlers: no loop figures`];
  const delay = p.eventLoopDelay;
  const delayText = delay
    ? `delay p50 ${formatMs(delay.p50Ms)}, p99 ${formatMs(delay.p99Ms)}, max ${formatMs(delay.maxMs)}`
    : 'delay not measured (exited before its first beat)';
  const utilization = p.utilization === null ? '' : `; utilization ${Math.round(p.utilization * 100)}%`;
  lines.push(`${indent}event loop: ${delayText}${utilization}`);
  if (p.gc && p.gc.count > 0) {
    lines.push(`${indent}GC: ${plural(p.gc.count, 'pause')}, ${formatMs(p.gc.totalMs)} in all, longest ${formatMs(p.gc.maxMs)}`);
  }
  const waits = p.threadpool?.queueWait;
  if (p.threadpool && (waits?.work || waits?.dns)) {
    const wait = (w: QueueWaitSummary | null) => (w ? `p50 ${formatMs(w.p50Ms)}, p99 ${formatMs(w.p99Ms)}, max ${formatMs(w.maxMs)}` : 'not measured');
    lines.push(`${indent}threadpool (${plural(p.threadpool.size, 'thread')}) queue wait: ${wait(waits.work)}`);
    lines.push(`${indent}  DNS lookups' wait: ${wait(waits.dns)}`);
  }
  return lines;
}

function callSiteLines(site: CallSiteSummary, rank: number, cwd: string, style: Style): string[] {
  const where = site.callSite
    ? formatLocation(site.callSite, cwd)
    : site.operation === 'unknown'
      ? 'unknown location (no stack sample, or one without JavaScript)'
      : 'no line of the program on the stack';
  const counts = `${plural(site.count, 'stall')}, ${formatMs(site.totalMs)} total, ${formatMs(site.maxMs)} max`;
  const number = `${String(rank).padStart(2)}.`;
  const lines = [`${number} ${style.cyan(where)}`, `    ${style.bold(site.operation)} (${site.category}): ${counts}`];
  if (site.detail) {
    const loaded = site.category === 'module';
    lines.push(fit(`    ${loaded ? `loaded ${isAbsolute(site.detail) ? displayPath(site.detail, cwd) : site.detail}` : site.detail}`));
  }
  return lines;
}

const WIDTH = 80;

/** A line of supporting detail, cut to the report's width. */
function fit(line: string): string {
  return line.length <= WIDTH ? line : `${line.slice(0, WIDTH - 3)}...`;
}

export function formatLocation(frame: Frame, cwd: string): string {
  const file = frame.file === null ? '<builtin>' : displayPath(frame.file, cwd);
  const position = frame.line === null ? '' : `:${frame.line}${frame.column === null ? '' : `:${frame.column}`}`;
  const fn = frame.function ? ` in ${frame.function}` : '';
  return `${file}${position}${fn}`;
}

function displayPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel.startsWith('..') ? file : rel;
}

function describeArgv(argv: string[], cwd: string): string {
  return argv
    .slice(1)
    .map((arg) => (isAbsolute(arg) ? displayPath(arg, cwd) : arg))
    .join(' ');
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

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
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
