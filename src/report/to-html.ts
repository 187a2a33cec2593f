import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { CATEGORIES } from '../attribution/categories';
import { html, jsonForScript, verbatim, type Markup } from './html/escape';
import { laneIndex, runSpan } from './html/lanes';
import { round, siteNotes, toPageData } from './html/page-data';
import { PAGE_STYLE } from './html/page-style';
import { timelineSvg } from './html/timeline-svg';
import type { DelaySummary } from '../recording/schema';
import type { ProcessSummary, Report, SyncIoSummary } from './schema';
import { printable } from './printable';
import { blockedFigures, describeCallSite, describeCommand, describeParts, displayPath, formatDuration, formatMs, mainShare, startupUntil, swallowedBeats } from './to-text';

export interface HtmlOptions {
  /** Paths are shown relative to this directory. */
  cwd: string;
}

/**
 * The page script, compiled from html/page-script.ts by tsconfig.page.json into dist/.
 * Found from the package's root, so that the sources (under vitest) and the build find
 * the same file.
 */
const PAGE_SCRIPT_FILE = join(__dirname, '..', '..', 'dist', 'report', 'html', 'page-script.js');
let pageScript: string | undefined;

function readPageScript(): string {
  pageScript ??= readFileSync(PAGE_SCRIPT_FILE, 'utf8');
  return pageScript;
}

/**
 * The HTML report: one self-contained file, opened from disk. Server-rendered markup
 * (the timeline as SVG, the tables) and a small script for what is drawn on demand
 * (tooltips, the flame view, stacks, sorting), with its data in a JSON block. It loads
 * nothing: the Content-Security-Policy forbids every fetch and allows only its own
 * inline script and stylesheet, by their hashes.
 */
export function reportToHtml(report: Report, options: HtmlOptions): string {
  const { cwd } = options;
  const lanes = laneIndex(report);
  const span = runSpan(report);
  const script = readPageScript();
  const csp = [
    "default-src 'none'",
    `script-src '${sha256(script)}'`,
    `style-src '${sha256(PAGE_STYLE)}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="color-scheme" content="light dark">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="loopwatch ${report.tool.version}">
<title>loopwatch: ${headline(report)}</title>
<style>${verbatim(PAGE_STYLE)}</style>
</head>
<body>
<header>
<h1>loopwatch report</h1>
${verdictSection(report)}
${gateVerdict(report, options.cwd)}
${warningsSection(report)}
${runFacts(report, cwd)}
${totalsList(report)}
</header>
<main>
<section id="timeline" aria-labelledby="timeline-title">
<h2 id="timeline-title">Timeline</h2>
${legend(report)}
<div class="timeline-box">${timelineSvg(report, lanes, span)}</div>
<p class="note" id="timeline-help">Hover a stall, or Tab to the timeline and move with the arrow keys (←/→ within a lane, ↑/↓ between lanes, Home/End), to see its call site; click it or press Enter to show its causes and samples below.</p>
<div id="tooltip" role="tooltip" hidden></div>
</section>
<section id="selected" aria-labelledby="selected-title">
<h2 id="selected-title">Selected stall</h2>
<div id="stall-detail" aria-live="polite"><p class="note">No stall selected.</p></div>
<ul class="legend" aria-label="Flame view colours"><li>Flame view of its samples, outermost frame on top, each as wide as the time of the samples it was in:</li><li><span class="swatch flame-program" aria-hidden="true"></span>the program's code</li><li><span class="swatch flame-dependency" aria-hidden="true"></span>dependencies</li><li><span class="swatch flame-node" aria-hidden="true"></span>Node.js</li><li><span class="swatch flame-builtin" aria-hidden="true"></span>builtins</li></ul>
<div id="flame" role="group" aria-label="Flame view of the selected stall's samples"></div>
<p id="flame-frame" class="note"></p>
</section>
${callSitesSection(report, cwd)}
${threadpoolSection(report, cwd)}
${syncIoSection(report.syncIo, cwd)}
${processesSection(report, cwd)}
${startupSection(report, cwd)}
${limitsNote(report)}
</main>
<script type="application/json" id="loopwatch-data">${verbatim(jsonForScript(toPageData(report, cwd)))}</script>
<script>${verbatim(script)}</script>
</body>
</html>
`;
  return page.text;
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}

function headline(report: Report): string {
  const ran = `in ${formatDuration(report.durationMs)}`;
  if (report.totals.stalls === 0) return `no stalls over ${formatMs(report.thresholdMs)} ${ran}`;
  return `${plural(report.totals.stalls, 'stall')}, ${blockedFigures(report)} (threshold ${formatMs(report.thresholdMs)})`;
}

function verdictSection(report: Report): Markup {
  const bad = report.totals.stalls > 0 || report.totals.threadpoolStalls > 0;
  // As the text report's first line: how many stalls were at startup, how many the host's.
  const loop = report.stalls.filter((s) => s.kind === 'event-loop');
  const startup = loop.filter((s) => s.phase === 'startup').length;
  const host = loop.filter((s) => s.category === 'host').length;
  const notes = [
    startup > 0 ? (startup === loop.length && loop.length > 1 ? 'all at startup' : `${startup} at startup`) : '',
    host > 0 ? `${host} the host's, not the program's` : '',
  ].filter((n) => n !== '');
  const aside = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  const starved = report.totals.threadpoolStalls > 0 ? `; threadpool starved ${plural(report.totals.threadpoolStalls, 'time')}` : '';
  const ended = report.signal ? `The command was killed by ${report.signal} (exit status ${report.exitCode}).` : `The command exited with status ${report.exitCode}.`;
  return html`<p class="verdict${bad ? ' bad' : ''}"><strong>${headline(report)}</strong>${aside}${starved}. ${ended}</p>`;
}

/**
 * What a reader must know before trusting the report, at its top: the report's own
 * warnings (processes without stack samples, unreadable recording lines, source maps
 * that could not be used), worker threads that were not watched, stalls cut short.
 */
function warningsSection(report: Report): Markup {
  const items: string[] = (report.warnings ?? []).map((warning) => printable(warning, 500));
  for (const p of report.processes) {
    const unwatched = p.unwatchedThreads ?? [];
    if (unwatched.length === 0) continue;
    items.push(`pid ${p.pid}: ${plural(unwatched.length, 'worker thread')} not watched (their agent did not run), blocking inside them not seen: ${unwatched.map(threadName).join(', ')}`);
  }
  const cut = report.stalls.filter((s) => s.inProgressAtExit).length;
  if (cut > 0) items.push(`${plural(cut, 'stall')} still going on when its process ended; durations are up to that moment.`);
  if (items.length === 0) return html``;
  return html`<section id="warnings" aria-labelledby="warnings-title"><h2 id="warnings-title">${items.length === 1 ? 'Warning' : `${items.length} warnings`}</h2><ul>${items.map((item) => html`<li>${item}</li>`)}</ul></section>`;
}

function threadName(t: { threadId: number; name: string | null }): string {
  return t.name ? `${t.threadId} "${printable(t.name, 40)}"` : String(t.threadId);
}

function runFacts(report: Report, cwd: string): Markup {
  return html`<dl class="facts">
<dt>command</dt><dd><code>${report.command.map((arg) => (isAbsolute(arg) ? displayPath(arg, cwd) : arg)).join(' ')}</code></dd>
<dt>started</dt><dd>${new Date(report.startedAt).toISOString()}</dd>
<dt>ran for</dt><dd>${formatDuration(report.durationMs)}</dd>
<dt>threshold</dt><dd>${formatMs(report.thresholdMs)}</dd>
<dt>exit status</dt><dd>${report.exitCode}${report.signal ? ` (${report.signal})` : ''}</dd>
<dt>loopwatch</dt><dd>${report.tool.version}, report schema ${report.schemaVersion}</dd>
</dl>`;
}

/**
 * The CI gate's verdict, when the run was held to a budget: held or broken, every rule
 * checked, and the call sites that broke one, each with the allow entry that would let
 * it pass.
 */
function gateVerdict(report: Report, cwd: string): Markup {
  const verdict = report.verdict;
  if (!verdict) return html`<section id="gate-verdict" aria-label="CI gate verdict"><p>No budget was given for this run.</p></section>`;
  const broken = verdict.rules.filter((r) => !r.passed);
  const status = verdict.passed ? 'held' : `broken: ${broken.length} of ${plural(verdict.rules.length, 'rule')}`;
  const rules = verdict.rules.map(
    (rule) => html`<li class="${rule.passed ? 'held' : 'broken'}"><strong>${rule.passed ? 'held' : 'broken'}</strong> <code>${rule.rule}</code>: ${rule.description} (${rule.summary})${
      rule.offenders.length > 0
        ? html`<ol>${rule.offenders.slice(0, 10).map(
            (o) => html`<li><code>${o.callSite ? describeCallSite(o, cwd) : o.kind === 'process' ? `pid ${o.pids.join(', ')}` : 'no call site'}</code> ${o.operation} (${o.category}): ${formatMs(o.maxMs)} max, ${o.count} in all${
              o.suggestedAllow ? html`<br>allow it: <code>${JSON.stringify(o.suggestedAllow)}</code>` : ''
            }</li>`,
          )}</ol>`
        : ''
    }</li>`,
  );
  const notes = verdict.notes.map((note) => html`<li>${note}</li>`);
  return html`<section id="gate-verdict" class="${verdict.passed ? 'held' : 'broken'}" aria-label="CI gate verdict"><h2>Budget (${verdict.source}): ${status}</h2><ul class="rules">${rules}</ul>${notes.length > 0 ? html`<ul class="notes">${notes}</ul>` : ''}</section>`;
}

function totalsList(report: Report): Markup {
  const t = report.totals;
  // The totals' GC figures are the processes' main threads' (the timeline draws the worker threads' pauses too).
  const threads = report.processes.some((p) => (p.threads ?? []).length > 0);
  const item = (value: string, label: string) => html`<li><b>${value}</b>${label}</li>`;
  return html`<ul class="totals" aria-label="Totals">
${item(String(t.stalls), 'event-loop stalls')}
${item(formatMs(t.blockedMs), 'loop blocked')}
${item(String(t.threadpoolStalls), 'threadpool stalls')}
${item(formatMs(t.threadpoolStarvedMs), 'pool starved')}
${item(String(t.gcPauses), threads ? 'GC pauses (main threads)' : 'GC pauses')}
${item(formatMs(t.gcPauseMs), threads ? 'in GC (main threads)' : 'in GC')}
${item(String(report.syncIo.totals.count), 'sync calls after startup')}
${item(formatMs(report.syncIo.totals.totalMs), 'in sync calls')}
${item(String(report.processes.length), report.processes.length === 1 ? 'process' : 'processes')}
</ul>`;
}

function legend(report: Report): Markup {
  const seen = new Set(report.stalls.filter((s) => s.kind === 'event-loop').map((s) => s.category));
  const categories = CATEGORIES.filter((c) => seen.has(c));
  return html`<ul class="legend" aria-label="Legend">
<li>Each lane is an event loop, a process's main thread or one of its worker threads (right under it): a triangle is an event-loop stall, as the delay it caused (a timer due when it began runs late by its whole length); height on a log scale, the dashed line is the ${formatMs(report.thresholdMs)} threshold.</li>
${categories.map((c) => html`<li class="c-${c}"><span class="swatch" aria-hidden="true"></span>${c}</li>`)}
<li><span class="swatch pool" aria-hidden="true"></span>threadpool starvation</li>
<li><span class="swatch gc" aria-hidden="true"></span>GC pause</li>
</ul>`;
}

/**
 * Call-site rows written into the page; the script renders the rest on demand, from the
 * page data. A big run has thousands of call sites, and a table of thousands of rows is
 * a megabyte of markup that is slow to lay out and that nobody reads past the top.
 */
export const CALL_SITE_ROWS = 100;

function callSitesSection(report: Report, cwd: string): Markup {
  const header = (label: string, key: string, numeric = false) =>
    html`<th scope="col"${numeric ? html` class="num"` : ''} aria-sort="none"><button type="button" data-sort="${key}">${label}</button></th>`;
  const rows = report.callSites.slice(0, CALL_SITE_ROWS).map((site, i) => {
    const where = describeCallSite(site, cwd);
    const notes = siteNotes(site, cwd);
    const split = describeParts(site);
    // The same row as page-script.ts's siteRow() renders.
    return html`<tbody class="site" data-site="${i}"><tr>
<td><button type="button" class="expand" aria-expanded="false" aria-controls="site-${i}-detail" aria-labelledby="expand-label site-${i}-where"><span aria-hidden="true">▸</span></button></td>
<td class="where mono" id="site-${i}-where">${where}${notes.map((note) => html`<div class="note">${note}</div>`)}</td><td class="mono">${site.operation}${split === undefined ? '' : html`<div class="note">${split}</div>`}</td><td><span class="swatch c-${site.category}" aria-hidden="true"></span>${site.category}</td>
<td class="num" data-v="${site.count}">${site.count}</td><td class="num" data-v="${round(site.totalMs)}">${formatMs(site.totalMs)}</td><td class="num" data-v="${round(site.maxMs)}">${formatMs(site.maxMs)}</td><td class="num" data-v="${round(site.p95Ms)}">${formatMs(site.p95Ms)}</td>
</tr><tr class="site-detail" id="site-${i}-detail" hidden><td colspan="8"></td></tr></tbody>`;
  });
  const more =
    report.callSites.length > CALL_SITE_ROWS
      ? html`<p class="note" id="sites-more"><span id="sites-shown">Showing ${CALL_SITE_ROWS} of ${report.callSites.length} call sites.</span> <button type="button" class="linkish" id="show-more-sites">Show more</button></p>`
      : '';
  const body =
    report.callSites.length === 0
      ? html`<p class="note">No event-loop stalls over ${formatMs(report.thresholdMs)}.</p>`
      : html`<span id="expand-label" hidden>Stack and sampled frames of</span><table id="sites-table"><caption class="note">Each stall's causes added up by line, what each line spent its time on split under its operation; click a row (or its ▸ button) for its stack and sampled frames, a column's name to sort.</caption>
<thead><tr><th scope="col"><span class="note">stack</span></th>${header('call site', 'where')}${header('operation', 'operation')}${header('category', 'category')}${header('stalls', 'count', true)}${header('total', 'totalMs', true)}${header('max', 'maxMs', true)}${header('p95', 'p95Ms', true)}</tr></thead>
${rows}</table>${more}`;
  return html`<section id="call-sites" aria-labelledby="call-sites-title"><h2 id="call-sites-title">Call sites of the event-loop stalls</h2>${body}</section>`;
}

function threadpoolSection(report: Report, cwd: string): Markup {
  const episodes = report.stalls.map((stall, i) => ({ stall, i })).filter(({ stall }) => stall.kind === 'threadpool');
  if (episodes.length === 0) return html``;
  const { start } = runSpan(report);
  const rows = episodes.map(({ stall, i }) => {
    const cause = stall.causes[0];
    const where = cause?.callSite ? describeCallSite(cause, cwd) : 'no tracked work in flight (async fs, native addons?)';
    return html`<tr><td class="num">${formatDuration(stall.start - start)}</td><td class="num">${stall.pid}</td><td class="num">${formatMs(stall.durationMs)}</td>
<td>${stall.queue ?? 'work'}</td><td class="num">${formatMs(stall.maxQueueWaitMs ?? stall.durationMs)}</td>
<td class="mono">${cause?.operation ?? ''}${cause?.calls ? ` (${plural(cause.calls, 'call')})` : ''}</td><td class="where mono">${where}${cause?.detail ? html`<div class="note">${cause.detail}</div>` : ''}</td>
<td><button type="button" class="linkish" data-stall="${i}">show</button></td></tr>`;
  });
  return html`<section id="threadpool" aria-labelledby="threadpool-title"><h2 id="threadpool-title">Threadpool starvation</h2>
<table><thead><tr><th scope="col" class="num">at</th><th scope="col" class="num">pid</th><th scope="col" class="num">lasted</th><th scope="col">queue</th><th scope="col" class="num">longest wait</th><th scope="col">work in flight</th><th scope="col">call site</th><th scope="col"><span class="note">timeline</span></th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

function syncIoSection(syncIo: SyncIoSummary, cwd: string): Markup {
  const sampling = syncIo.belowThreshold.some((b) => b.sampledCount !== undefined);
  const threshold =
    syncIo.thresholdMs === null
      ? 'not timed (--no-sync-io)'
      : `calls of ${formatMs(syncIo.thresholdMs)} or more by call site${sampling ? `; shorter ones placed at call sites by sampling, marked ~ (estimated)` : ''}`;
  const rows = syncIo.callSites.map((site) => {
    const where = describeCallSite(site, cwd);
    const targets = site.targets?.map((t) => (isAbsolute(t) ? displayPath(t, cwd) : t)).join(', ');
    const about = site.estimated ? '~' : '';
    const sampled = site.sampled ? html`<div class="note">${site.sampled.count} under ${formatMs(syncIo.thresholdMs ?? 0)}, from ${plural(site.sampled.samples, 'sampled call')}</div>` : '';
    return html`<tr><td class="where mono">${where}</td><td class="mono">${site.operation}</td><td class="num">${about}${Math.round(site.count)}${sampled}</td><td class="num">${about}${formatMs(site.totalMs)}</td><td class="num">${formatMs(site.maxMs)}</td><td class="where mono">${targets ?? ''}</td></tr>`;
  });
  const below =
    syncIo.belowThreshold.length === 0 || syncIo.thresholdMs === null
      ? ''
      : html`<p class="note">Under ${formatMs(syncIo.thresholdMs)} each, counted by operation: ${syncIo.belowThreshold
          .map((b) => `${b.operation} ${b.count} (${formatMs(b.totalMs)}${b.sampledCount !== undefined ? `; ${b.sampledCount} placed at call sites above` : ''})`)
          .join(', ')}.</p>`;
  const table =
    rows.length === 0
      ? html`<p class="note">${syncIo.totals.count === 0 ? 'No sync API call after startup was recorded.' : syncIo.thresholdMs === null ? '' : `None lasted ${formatMs(syncIo.thresholdMs)} or more.`}</p>`
      : html`<table><thead><tr><th scope="col">call site</th><th scope="col">operation</th><th scope="col" class="num">calls</th><th scope="col" class="num">total</th><th scope="col" class="num">max</th><th scope="col">files or modules</th></tr></thead><tbody>${rows}</tbody></table>`;
  return html`<section id="sync-io" aria-labelledby="sync-io-title"><h2 id="sync-io-title">Sync I/O after startup</h2>
<p>${plural(syncIo.totals.count, 'call')}, ${formatMs(syncIo.totals.totalMs)} in all; ${threshold}.</p>${table}${below}</section>`;
}

function processesSection(report: Report, cwd: string): Markup {
  const rows = report.processes.map((p) => processRow(p, cwd));
  return html`<section id="processes" aria-labelledby="processes-title"><h2 id="processes-title">Processes</h2>
<table><thead><tr><th scope="col" class="num">pid</th><th scope="col" class="num">ppid</th><th scope="col">program</th><th scope="col" class="num">ran for</th><th scope="col">ended</th>
<th scope="col">event-loop delay p50 / p99 / max</th><th scope="col" class="num">utilization</th><th scope="col">GC</th><th scope="col">threadpool queue wait p99 (work / dns)</th><th scope="col">worker threads</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}

function processRow(p: ProcessSummary, cwd: string): Markup {
  // The command as it ran, Node.js options included, and what the process is for where known.
  const role = p.role ? ` (${p.role.replace('-', ' ')})` : '';
  const argv = `${describeCommand(p, cwd)}${role}`;
  const ended = p.endedBy === 'killed' ? 'killed (no exit handlers ran)' : `exit ${p.exitCode ?? ''}`;
  const delay = delayCell(p.eventLoopDelay);
  const utilization = p.utilization === null ? '' : `${Math.round(p.utilization * 100)}%`;
  const gc = p.gc ? `${plural(p.gc.count, 'pause')}, ${formatMs(p.gc.totalMs)}` : '';
  const waits = p.threadpool?.queueWait;
  const pool = p.threadpool
    ? `${plural(p.threadpool.size, 'thread')}: ${waits?.work ? formatMs(waits.work.p99Ms) : '-'} / ${waits?.dns ? formatMs(waits.dns.p99Ms) : '-'}`
    : '';
  return html`<tr><td class="num">${p.pid}</td><td class="num">${p.ppid}</td><td class="where mono">${argv}</td><td class="num">${formatDuration(p.durationMs)}</td><td>${ended}</td><td>${delay}</td><td class="num">${utilization}</td><td>${gc}</td><td>${pool}</td><td>${threadsCell(p)}</td></tr>`;
}

/** A process's worker threads: each watched one with its own loop's figures, and those not watched. */
function threadsCell(p: ProcessSummary): Markup {
  const watched = (p.threads ?? []).map((t) => {
    const delay = t.eventLoopDelay ? `delay p99 ${formatMs(t.eventLoopDelay.p99Ms)}, max ${formatMs(t.eventLoopDelay.maxMs)}` : 'delay not measured';
    const ended = t.endedBy === 'exit' ? '' : `, ${t.endedBy}`;
    return html`<li>${threadName(t)}: ${delay}${ended}</li>`;
  });
  const unwatched = p.unwatchedThreads ?? [];
  if (watched.length === 0 && unwatched.length === 0) return html`<span class="note">none</span>`;
  return html`${watched.length > 0 ? html`<ul class="threads">${watched}</ul>` : ''}${
    unwatched.length > 0 ? html`<div class="unwatched"><strong>not watched:</strong> ${unwatched.map(threadName).join(', ')}</div>` : ''
  }`;
}

/** Each process's time before its event loop's first turn: Node.js, loopwatch, the main module and what it loaded. */
function startupSection(report: Report, cwd: string): Markup {
  const withStartup = report.processes.filter((p) => p.startup);
  if (withStartup.length === 0) return html``;
  const blocks = withStartup.map((p) => {
    const s = p.startup!;
    const main = s.main === null ? 'the main script' : displayPath(s.main, cwd);
    const rows = s.modules.map((m) => {
      const inner = m.children.map((c) => `${c.request} ${formatMs(c.durationMs)}`).join(', ');
      return html`<tr><td class="where mono">${m.request}</td><td class="num">${formatMs(m.durationMs)}</td><td class="num">${formatMs(m.ownMs)}</td><td class="where mono">${inner}</td></tr>`;
    });
    const table =
      rows.length === 0
        ? ''
        : html`<table><thead><tr><th scope="col">require()</th><th scope="col" class="num">took</th><th scope="col" class="num">its own</th><th scope="col">the longest it loaded</th></tr></thead><tbody>${rows}</tbody></table>`;
    return html`<h3>pid ${p.pid}: ${formatMs(s.beforeLoopMs)} ${startupUntil(s)}</h3>
<p>Node.js until loopwatch: ${formatMs(s.nodeMs)}; loopwatch's own setup: ${formatMs(s.loopwatchMs)}; <span class="mono">${main}</span>: ${formatMs(s.mainMs)}, ${mainShare(s)}.</p>${table}`;
  });
  return html`<section id="startup" aria-labelledby="startup-title"><h2 id="startup-title">Startup</h2>${blocks}</section>`;
}

/** The delay with the beats stalls swallowed, and the per-beat figures beside when they differ. */
function delayCell(delay: DelaySummary | null): Markup {
  if (!delay) return html`not measured`;
  const swallowed = swallowedBeats(delay);
  const shown = delay.corrected && swallowed > 0 ? delay.corrected : delay;
  const figures = `${formatMs(shown.p50Ms)} / ${formatMs(shown.p99Ms)} / ${formatMs(delay.maxMs)}`;
  if (swallowed === 0) return html`${figures}`;
  return html`${figures}<br><span class="note">with ${plural(swallowed, 'beat')} stalls swallowed; per beat that ran: ${formatMs(delay.p50Ms)} / ${formatMs(delay.p99Ms)}</span>`;
}

function limitsNote(report: Report): Markup {
  const { limits } = report;
  const parts: string[] = [];
  if (limits.omittedStacks > 0) {
    parts.push(
      `${plural(limits.omittedStacks, 'sampled stack')} (${formatMs(limits.omittedStackMs)}) left out of the profiles: the report keeps at most ${limits.stacksPerStall} per stall and ${limits.stacks} in all`,
    );
  }
  if (limits.omittedGcPauses > 0) parts.push(`${plural(limits.omittedGcPauses, 'shorter GC pause')} not drawn: the report lists the ${limits.gcPauses} longest`);
  return parts.length === 0 ? html`` : html`<p class="note" id="limits">${parts.join('; ')}.</p>`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
