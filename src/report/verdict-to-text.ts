/**
 * The verdict at the end of the text report: each rule broken, with the call sites that
 * broke it and the allow entry that would let each pass (ready to paste, once its
 * reason is written), then the rules that held and what a reader should know.
 */
import type { Offender, Verdict } from '../gate/verdict';
import { printable, printableJson } from './printable';
import { describeParts, formatLocation, formatMs } from './to-text';

/** Offenders listed per broken rule; the rest are counted. */
const MAX_OFFENDERS = 5;

export function verdictToText(verdict: Verdict, options: { cwd: string; color: boolean; exitCode?: number }): string {
  const red = (t: string) => (options.color ? `\x1b[31m${t}\x1b[39m` : t);
  const green = (t: string) => (options.color ? `\x1b[32m${t}\x1b[39m` : t);
  const bold = (t: string) => (options.color ? `\x1b[1m${t}\x1b[22m` : t);
  const broken = verdict.rules.filter((r) => !r.passed);
  const held = verdict.rules.filter((r) => r.passed);
  const lines = [''];
  const counts = `${broken.length} of ${verdict.rules.length} ${verdict.rules.length === 1 ? 'rule' : 'rules'}`;
  lines.push(
    verdict.passed
      ? `${bold('budget')} (${printable(verdict.source)}): ${green('held')}, ${verdict.rules.length} ${verdict.rules.length === 1 ? 'rule' : 'rules'} checked`
      : `${bold('budget')} (${printable(verdict.source)}): ${red('BROKEN')}, ${counts} broken`,
  );
  for (const rule of broken) {
    lines.push(` ${red('x')} ${rule.rule}: ${rule.description}`, `   ${rule.summary}`);
    rule.offenders.slice(0, MAX_OFFENDERS).forEach((o, i) => lines.push(...offenderLines(o, i + 1, options.cwd)));
    const more = rule.offenders.length - MAX_OFFENDERS;
    if (more > 0) lines.push(`    ... and ${more} more (see --json or --reporter junit)`);
  }
  for (const rule of held) lines.push(` ${green('ok')} ${rule.rule}: ${rule.description} (${rule.summary})`);
  for (const use of verdict.allowed) {
    const what = [use.entry.path, use.entry.function, use.entry.operation, use.entry.category].filter(Boolean).map((t) => printable(t!)).join(' ');
    lines.push(`    allowed: ${what}: ${use.matches} let pass, ${formatMs(use.totalMs)} (${printable(use.entry.reason, 120)})`);
  }
  for (const note of verdict.notes) lines.push(`    note: ${printable(note, 500)}`);
  if (!verdict.passed && options.exitCode !== undefined) lines.push(`loopwatch: the budget was broken: exit status ${options.exitCode}`);
  return lines.join('\n') + '\n';
}

function offenderLines(o: Offender, rank: number, cwd: string): string[] {
  const where = o.callSite ? formatLocation(o.callSite, cwd) : o.kind === 'process' ? `pid ${o.pids.join(', ')}` : 'no call site';
  const what = o.kind === 'process' ? `${o.operation} ${formatMs(o.maxMs)}` : `${printable(o.operation)} (${o.category}): ${describeCounts(o)}`;
  const lines = [`   ${String(rank).padStart(2)}. ${where}`, `       ${what}${pids(o)}`];
  const split = describeParts(o);
  if (split !== undefined) lines.push(`       ${split}`);
  if (o.baseline?.status === 'new') lines.push('       new: not in the baseline');
  if (o.baseline?.status === 'worse') lines.push(`       worse: ${formatMs(o.maxMs)} max, the baseline had ${formatMs(o.baseline.baselineMaxMs)}`);
  // JSON.stringify escapes control characters: the line is safe to print and to paste.
  if (o.suggestedAllow) lines.push(`       allow it: ${printableJson(o.suggestedAllow)}`);
  return lines;
}

function describeCounts(o: Offender): string {
  const unit = o.kind === 'sync-io' ? 'call' : o.kind === 'threadpool' ? 'episode' : 'stall';
  return `${o.count} ${unit}${o.count === 1 ? '' : 's'}, ${formatMs(o.totalMs)} in all, ${formatMs(o.maxMs)} max`;
}

function pids(o: Offender): string {
  if (o.kind === 'process' || o.pids.length === 0) return '';
  return o.pids.length <= 3 ? ` (pid ${o.pids.join(', ')})` : ` (${o.pids.length} processes)`;
}
