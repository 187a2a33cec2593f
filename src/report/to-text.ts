import { relative, isAbsolute } from 'node:path';
import type { Frame } from '../attribution/frames';
import type { CallSiteSummary, ProcessSummary, Report } from './schema';

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
    lines.push(`${style.bold('loopwatch:')} ${style.red(plural(stalls, 'stall'))}, ${blocked} ${ran} (${threshold})`);
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
  const cut = report.stalls.filter((s) => s.inProgressAtExit).length;
  if (cut > 0) lines.push('', `${plural(cut, 'stall')} still going on when its process ended; durations are up to that moment.`);
  return lines.join('\n') + '\n';
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
  return [...lines, `${indent}event loop: ${delayText}${utilization}`];
}

function callSiteLines(site: CallSiteSummary, rank: number, cwd: string, style: Style): string[] {
  const where = site.callSite ? formatLocation(site.callSite, cwd) : 'unknown location (no stack sample arrived in time)';
  const counts = `${plural(site.count, 'stall')}, ${formatMs(site.totalMs)} total, ${formatMs(site.maxMs)} max`;
  const number = `${String(rank).padStart(2)}.`;
  return [`${number} ${style.cyan(where)}`, `    ${style.bold(site.operation)} (${site.category}): ${counts}`];
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
