/**
 * The report as Markdown: for a pull request comment, or GitHub's step summary
 * ($GITHUB_STEP_SUMMARY). With a budget: the verdict, then one table per broken rule.
 * Without: the run's totals and its call sites.
 *
 * Every program-controlled string goes through mdText: Markdown's and HTML's special
 * characters become character references, which GitHub renders as the characters
 * themselves, so a name can neither format the page nor break out of a table cell.
 */
import type { Offender } from '../gate/verdict';
import type { Report } from './schema';
import { blockedFigures, displayPath, formatMs } from './to-text';

/** Offenders per broken rule, call sites without a budget: a summary, not the whole report. */
const MAX_ROWS = 20;

export function mdText(text: string, maxLength = 300): string {
  const cut = text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
  return cut
    .replace(/[\r\n]+/g, ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/[&<>"'`|\\*_[\]()#!~{}+-.:=$^]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function reportToMarkdown(report: Report, root: string): string {
  const lines: string[] = [];
  const verdict = report.verdict;
  const stalls = report.totals.stalls;
  const processes = `${report.processes.length} process${report.processes.length === 1 ? '' : 'es'}`;
  const headline = `${stalls} stall${stalls === 1 ? '' : 's'} (${processes}), ${blockedFigures(report)} (threshold ${formatMs(report.thresholdMs)})`;
  if (verdict) {
    const broken = verdict.rules.filter((r) => !r.passed);
    lines.push(`### loopwatch: budget ${verdict.passed ? 'held' : `broken (${broken.length} of ${verdict.rules.length} rules)`}`, '', headline, '');
    lines.push('| rule | | result |', '| --- | --- | --- |');
    // Rules, descriptions and summaries are loopwatch's own words.
    for (const rule of verdict.rules) lines.push(`| \`${rule.rule}\` ${rule.description} | ${rule.passed ? 'held' : '**broken**'} | ${rule.summary} |`);
    for (const rule of broken) {
      lines.push('', `#### \`${rule.rule}\`: ${rule.description}`, '', '| call site | operation | category | count | max | total | processes |', '| --- | --- | --- | --- | --- | --- | --- |');
      for (const o of rule.offenders.slice(0, MAX_ROWS)) lines.push(offenderRow(o, root));
      if (rule.offenders.length > MAX_ROWS) lines.push('', `... and ${rule.offenders.length - MAX_ROWS} more in the JSON report.`);
    }
    if (verdict.notes.length > 0) lines.push('', ...verdict.notes.map((n) => `- ${mdText(n, 500)}`));
  } else {
    lines.push('### loopwatch', '', headline, '');
    if (report.callSites.length > 0) {
      lines.push('| call site | operation | category | stalls | max | total |', '| --- | --- | --- | --- | --- | --- |');
      for (const site of report.callSites.slice(0, MAX_ROWS)) {
        lines.push(`| ${where(site.callSite, root)} | ${mdText(site.operation)} | ${site.category} | ${site.count} | ${formatMs(site.maxMs)} | ${formatMs(site.totalMs)} |`);
      }
      if (report.callSites.length > MAX_ROWS) lines.push('', `... and ${report.callSites.length - MAX_ROWS} more in the JSON report.`);
    }
  }
  return lines.join('\n') + '\n';
}

function offenderRow(o: Offender, root: string): string {
  const site = o.kind === 'process' ? `pid ${o.pids.join(', ')}` : where(o.callSite, root);
  const processes = o.pids.length <= 3 ? o.pids.join(', ') : `${o.pids.length}`;
  return `| ${site} | ${mdText(o.operation)} | ${mdText(o.category)} | ${o.count} | ${formatMs(o.maxMs)} | ${formatMs(o.totalMs)} | ${processes} |`;
}

function where(frame: Offender['callSite'], root: string): string {
  if (!frame) return 'no call site';
  const file = frame.file === null ? '&lt;builtin&gt;' : mdText(displayPath(frame.file, root));
  const line = frame.line === null ? '' : `&#58;${frame.line}`;
  const fn = frame.function ? ` in ${mdText(frame.function)}` : '';
  return `${file}${line}${fn}`;
}
