/**
 * GitHub Actions workflow commands: an `::error` annotation on each blocking line that
 * broke the budget (a `::warning` on the worst call sites when no budget was given).
 * GitHub shows at most 10 error annotations per step, so the worst come first and the
 * rest are counted in one more line and listed in the step summary (to-markdown.ts).
 *
 * Escaping is the Actions toolkit's (`@actions/core`'s command.ts): in the message
 * `%`, CR and LF; in property values also `:` and `,`. Program-controlled names cannot
 * end a command or start another. The toolkit passes every other control character
 * through, and a log viewer acts on them (`\x1b[2J`, OSC titles and links): those are
 * shown escaped (`\x1b`), and a call site in a file whose name holds one gets no file
 * property (it could not name the file anyway), its place said in the message.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { Offender, Verdict } from '../gate/verdict';
import { escapeControls, hasControls, printable, printableJson } from './printable';
import type { Report } from './schema';
import { formatMs } from './to-text';

/** GitHub shows at most this many error annotations of a step (and 50 of a job). */
export const MAX_ANNOTATIONS = 10;

export function escapeData(text: string): string {
  return escapeControls(text, '\r\n').replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function workflowCommand(command: 'error' | 'warning' | 'notice', properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

interface Annotation {
  command: 'error' | 'warning';
  file?: string;
  line?: number;
  col?: number;
  title: string;
  message: string;
  weightMs: number;
}

/**
 * The workflow command lines for a report. `workspace` is the repository root
 * (GITHUB_WORKSPACE): annotation paths are relative to it, and files outside it get none.
 */
export function reportToGithub(report: Report, workspace: string): string {
  const verdict = report.verdict;
  const annotations = verdict ? verdictAnnotations(verdict, workspace) : callSiteAnnotations(report, workspace);
  annotations.sort((a, b) => b.weightMs - a.weightMs);
  const shown = annotations.slice(0, MAX_ANNOTATIONS);
  const lines = shown.map((a) => workflowCommand(a.command, { file: a.file, line: a.line, col: a.col, title: a.title }, a.message));
  const more = annotations.length - shown.length;
  if (more > 0) {
    lines.push(workflowCommand('notice', { title: 'loopwatch' }, `${more} more blocking call sites: see the job summary or the JSON report`));
  }
  if (verdict) {
    for (const note of verdict.notes) lines.push(workflowCommand('warning', { title: 'loopwatch' }, note));
    if (verdict.passed) lines.push(workflowCommand('notice', { title: 'loopwatch' }, `budget held: ${verdict.rules.length} ${verdict.rules.length === 1 ? 'rule' : 'rules'} checked`));
  }
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

function verdictAnnotations(verdict: Verdict, workspace: string): Annotation[] {
  const annotations: Annotation[] = [];
  for (const rule of verdict.rules) {
    if (rule.passed) continue;
    for (const o of rule.offenders) {
      const at = location(o, workspace);
      annotations.push({
        command: 'error',
        ...at,
        title: `loopwatch: ${rule.rule}`,
        message: `${describe(o)}${at.file ? '' : elsewhere(o)}: ${rule.description} (${rule.summary})${allowHint(o)}`,
        weightMs: o.maxMs,
      });
    }
  }
  return annotations;
}

function callSiteAnnotations(report: Report, workspace: string): Annotation[] {
  return report.callSites
    .filter((site) => site.callSite !== null)
    .map((site) => {
      const at = location(site, workspace);
      return {
        command: 'warning' as const,
        ...at,
        title: 'loopwatch: event loop blocked',
        message: `${printable(site.operation)} (${site.category})${at.file ? '' : elsewhere(site)} blocked the event loop: ${site.count} stall${site.count === 1 ? '' : 's'}, ${formatMs(site.totalMs)} in all, ${formatMs(site.maxMs)} max`,
        weightMs: site.maxMs,
      };
    });
}

function location(o: Pick<Offender, 'callSite'>, workspace: string): Pick<Annotation, 'file' | 'line' | 'col'> {
  const file = o.callSite?.file;
  if (!file || !isAbsolute(file) || hasControls(file)) return {};
  const rel = relative(workspace, file);
  if (rel.startsWith('..') || isAbsolute(rel)) return {};
  const at: Pick<Annotation, 'file' | 'line' | 'col'> = { file: rel.split(sep).join('/') };
  if (o.callSite!.line !== null) at.line = o.callSite!.line;
  if (o.callSite!.column !== null) at.col = o.callSite!.column;
  return at;
}

function describe(o: Offender): string {
  if (o.kind === 'process') return `pid ${o.pids.join(', ')}: ${o.operation} ${formatMs(o.maxMs)}`;
  const unit = o.kind === 'sync-io' ? 'call' : o.kind === 'threadpool' ? 'episode' : 'stall';
  return `${printable(o.operation)} (${o.category}) blocked for ${formatMs(o.maxMs)} (${o.count} ${unit}${o.count === 1 ? '' : 's'}, ${formatMs(o.totalMs)} in all)`;
}

/** Where a call site outside the repository is, said in the message since no annotation can point there. */
function elsewhere(o: Pick<Offender, 'callSite'>): string {
  const site = o.callSite;
  if (!site?.file) return '';
  const fn = site.function ? ` in ${printable(site.function)}` : '';
  return ` at ${printable(site.file)}${site.line === null ? '' : `:${site.line}`}${fn}`;
}

function allowHint(o: Offender): string {
  return o.suggestedAllow ? `. To let it pass, add to "allow": ${printableJson(o.suggestedAllow)}` : '';
}
