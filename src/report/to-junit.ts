/**
 * JUnit XML, as the common report actions and CI servers read it:
 * `<testsuites><testsuite><testcase classname name time file line><failure message type>`.
 * With a budget: one testcase per rule that held, and one per call site that broke a
 * rule, its failure carrying the stack. Without one: a passing testcase per call site
 * of the event-loop stalls, with its figures.
 *
 * The output is valid XML 1.0 whatever the program's names contain: the five special
 * characters are escaped, and characters XML cannot carry at all (most controls, lone
 * surrogates, U+FFFE/U+FFFF) are written as visible escapes (`\x1b`).
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { Offender, RuleResult } from '../gate/verdict';
import type { Report } from './schema';
import { describeParts, formatLocation, formatMs } from './to-text';

/** Characters XML 1.0 allows: tab, LF, CR, and U+0020 up, less the surrogates and U+FFFE/U+FFFF. */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function xmlText(text: string): string {
  return text
    .replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** An attribute value: also CR, LF and tab as character references, so they survive attribute normalization. */
export function xmlAttribute(text: string): string {
  return xmlText(text).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

interface TestCase {
  classname: string;
  name: string;
  timeS: number;
  file?: string;
  line?: number;
  failure?: { message: string; type: string; body: string };
  output?: string;
}

export function reportToJunit(report: Report, root: string): string {
  const cases = report.verdict ? verdictCases(report.verdict.rules, root) : callSiteCases(report, root);
  const failures = cases.filter((c) => c.failure).length;
  const timeS = report.durationMs / 1000;
  const timestamp = new Date(report.startedAt).toISOString().replace(/\.\d+Z$/, '');
  const notes = report.verdict?.notes ?? [];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="loopwatch" tests="${cases.length}" failures="${failures}" errors="0" time="${timeS.toFixed(3)}">`,
    `  <testsuite name="${xmlAttribute(suiteName(report))}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${timeS.toFixed(3)}" timestamp="${timestamp}">`,
    '    <properties>',
    `      <property name="command" value="${xmlAttribute(report.command.join(' '))}"/>`,
    `      <property name="thresholdMs" value="${report.thresholdMs}"/>`,
    `      <property name="exitCode" value="${report.exitCode}"/>`,
    '    </properties>',
  ];
  for (const c of cases) lines.push(...testCaseLines(c));
  if (notes.length > 0) lines.push(`    <system-out>${xmlText(notes.join('\n'))}</system-out>`);
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

function suiteName(report: Report): string {
  return report.verdict ? `loopwatch budget (${report.verdict.source})` : 'loopwatch';
}

function testCaseLines(c: TestCase): string[] {
  const attrs = [`classname="${xmlAttribute(c.classname)}"`, `name="${xmlAttribute(c.name)}"`, `time="${c.timeS.toFixed(3)}"`];
  if (c.file !== undefined) attrs.push(`file="${xmlAttribute(c.file)}"`);
  if (c.line !== undefined) attrs.push(`line="${c.line}"`);
  if (!c.failure && !c.output) return [`    <testcase ${attrs.join(' ')}/>`];
  const lines = [`    <testcase ${attrs.join(' ')}>`];
  if (c.failure) {
    lines.push(`      <failure message="${xmlAttribute(c.failure.message)}" type="${xmlAttribute(c.failure.type)}">${xmlText(c.failure.body)}</failure>`);
  }
  if (c.output) lines.push(`      <system-out>${xmlText(c.output)}</system-out>`);
  lines.push('    </testcase>');
  return lines;
}

function verdictCases(rules: RuleResult[], root: string): TestCase[] {
  const cases: TestCase[] = [];
  for (const rule of rules) {
    const classname = `loopwatch.${rule.rule}`;
    if (rule.passed) {
      cases.push({ classname, name: `${rule.rule}: ${rule.description}`, timeS: 0, output: rule.summary });
      continue;
    }
    for (const o of rule.offenders) {
      const c: TestCase = {
        classname,
        name: offenderName(o, root),
        timeS: o.maxMs / 1000,
        failure: {
          message: `${rule.description}: ${o.operation} blocked for ${formatMs(o.maxMs)} (${rule.summary})`,
          type: rule.rule,
          body: offenderBody(o, root),
        },
      };
      Object.assign(c, fileAndLine(o.callSite, root));
      cases.push(c);
    }
  }
  return cases;
}

function callSiteCases(report: Report, root: string): TestCase[] {
  return report.callSites.map((site) => {
    const c: TestCase = {
      classname: `loopwatch.${site.category}`,
      name: `${site.callSite ? formatLocation(site.callSite, root) : 'no call site'} ${site.operation}`,
      timeS: site.totalMs / 1000,
      output: `${site.count} stall${site.count === 1 ? '' : 's'}, ${formatMs(site.totalMs)} in all, ${formatMs(site.maxMs)} max`,
    };
    return Object.assign(c, fileAndLine(site.callSite, root));
  });
}

function offenderName(o: Offender, root: string): string {
  if (o.kind === 'process') return `pid ${o.pids.join(', ')} ${o.operation}`;
  return `${o.callSite ? formatLocation(o.callSite, root) : 'no call site'} ${o.operation}`;
}

function offenderBody(o: Offender, root: string): string {
  const lines = [`${o.operation} (${o.category}): ${o.count} time${o.count === 1 ? '' : 's'}, ${formatMs(o.totalMs)} in all, ${formatMs(o.maxMs)} max`];
  const split = describeParts(o);
  if (split !== undefined) lines.push(split);
  if (o.pids.length > 0) lines.push(`processes: ${o.pids.join(', ')}`);
  for (const frame of o.stack) lines.push(`    at ${formatLocation(frame, root)}`);
  if (o.suggestedAllow) lines.push(`to let it pass, add to "allow": ${JSON.stringify(o.suggestedAllow)}`);
  return lines.join('\n');
}

function fileAndLine(frame: Offender['callSite'], root: string): Pick<TestCase, 'file' | 'line'> {
  if (!frame?.file || !isAbsolute(frame.file)) return {};
  const rel = relative(root, frame.file);
  const at: Pick<TestCase, 'file' | 'line'> = { file: rel.startsWith('..') ? frame.file : rel.split(sep).join('/') };
  if (frame.line !== null) at.line = frame.line;
  return at;
}
