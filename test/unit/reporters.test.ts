import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/gate/evaluate';
import { printable } from '../../src/report/printable';
import type { Report } from '../../src/report/schema';
import { escapeData, escapeProperty, MAX_ANNOTATIONS, reportToGithub, workflowCommand } from '../../src/report/to-github';
import { reportToJunit } from '../../src/report/to-junit';
import { mdText, reportToMarkdown } from '../../src/report/to-markdown';
import { reportToText } from '../../src/report/to-text';
import { verdictToText } from '../../src/report/verdict-to-text';
import { cause, frame, report, ROOT, stall } from './reports';

// The Actions toolkit's own command writer, as workflows' JavaScript actions use it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const toolkit = require('@actions/core/lib/command') as { issueCommand(command: string, properties: Record<string, unknown>, message: string): void };

/** What @actions/core writes for a command (it writes to process.stdout, with os.EOL). */
function toolkitLine(command: string, properties: Record<string, unknown>, message: string): string {
  const write = process.stdout.write;
  let written = '';
  process.stdout.write = ((chunk: string) => {
    written += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    toolkit.issueCommand(command, properties, message);
  } finally {
    process.stdout.write = write;
  }
  return written.replace(/\n$/, '');
}

/** Names a hostile program could give its files and functions. */
const HOSTILE = [
  'a\nb',
  'x\r\n::error file=evil.js,line=1::pwned',
  '\x1b[2J\x1b]0;title\x07',
  '<script>alert("&")</script>',
  "it's 100% done, really: yes",
  'bidi\u202eevil\u2066',
  'nul\u0000bell\u0007del\u007fc1\u0085',
  'lone \ud800 surrogate \udfff',
  'x'.repeat(10_000),
];

/**
 * The toolkit passes control characters other than CR and LF through to the log, whose
 * viewer acts on them: they are to be shown escaped, as \xNN or \uNNNN, before the
 * toolkit's own escaping.
 */
function shownControls(text: string): string {
  return [...text]
    .map((c) => {
      const code = c.charCodeAt(0);
      if (c === '\r' || c === '\n') return c;
      if (c === '\t') return '\\t';
      if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `\\x${code.toString(16).padStart(2, '0')}`;
      if ([0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0xfeff].includes(code)) return `\\u${code.toString(16)}`;
      return c;
    })
    .join('');
}

describe('the github reporter escapes as the Actions toolkit does', () => {
  it.each(HOSTILE.map((s) => [s.slice(0, 30), s]))('%j', (_label, text) => {
    const properties = { file: `src/${text}.js`, line: 3, col: 7, title: `loopwatch: ${text}` };
    const shown = { ...properties, file: shownControls(properties.file), title: shownControls(properties.title) };
    expect(workflowCommand('error', properties, text)).toBe(toolkitLine('error', shown, shownControls(text)));
    const ours = workflowCommand('warning', properties, text);
    expect(ours.split('\n')).toHaveLength(1);
    expect(ours).not.toContain('\r');
    expect(ours).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  });

  it('escapes % first, so an escape in a name stays literal', () => {
    expect(escapeData('%0A')).toBe('%250A');
    expect(escapeProperty('a:b,c')).toBe('a%3Ab%2Cc');
  });
});

describe('reportToGithub', () => {
  const many = report({
    stalls: Array.from({ length: 14 }, (_, i) => stall(100, [cause(frame(`src/f${i}.js`, i + 1, 'f'), 'crypto.pbkdf2Sync', 'crypto', 100 + i * 10)])),
  });
  const verdict = evaluate(many, { config: { maxStallMs: 50 }, source: 'test', root: ROOT });

  it('annotates the worst ten call sites, and counts the rest', () => {
    const lines = reportToGithub({ ...many, verdict }, ROOT).trimEnd().split('\n');
    const errors = lines.filter((l) => l.startsWith('::error '));
    expect(errors).toHaveLength(MAX_ANNOTATIONS);
    expect(errors[0]).toMatch(/^::error file=src\/f13\.js,line=14,col=5,title=loopwatch%3A maxStallMs::crypto\.pbkdf2Sync \(crypto\) blocked for 230 ms/);
    expect(errors.at(-1)).toContain('file=src/f4.js');
    expect(lines).toContain('::notice title=loopwatch::4 more blocking call sites: see the job summary or the JSON report');
  });

  it('puts no file on a call site outside the repository, and says where it is in the message', () => {
    const outside = report({ stalls: [stall(100, [cause(frame('/usr/lib/node_modules/npm/lib/npm.js', 29, 'cmd'), 'require', 'module', 300)])] });
    const v = evaluate(outside, { config: { maxStallMs: 50 }, source: 'test', root: ROOT });
    const [line] = reportToGithub({ ...outside, verdict: v }, ROOT).split('\n');
    expect(line).toMatch(/^::error title=loopwatch%3A maxStallMs::require \(module\) blocked for 300 ms .* at \/usr\/lib\/node_modules\/npm\/lib\/npm\.js:29 in cmd:/);
  });

  it('without a budget, warns on the worst call sites', () => {
    const r = report({ callSites: [{ callSite: frame('src/a.js', 3, 'h'), operation: 'JSON.parse', category: 'json', parts: [{ operation: 'JSON.parse', category: 'json', count: 2, totalMs: 300 }], threads: [0], count: 2, totalMs: 300, maxMs: 200, p95Ms: 200 }] });
    expect(reportToGithub(r, ROOT)).toBe(
      '::warning file=src/a.js,line=3,col=5,title=loopwatch%3A event loop blocked::JSON.parse (json) blocked the event loop: 2 stalls, 300 ms in all, 200 ms max\n',
    );
  });
});

describe('the junit reporter writes valid XML whatever the names contain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopwatch-junit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const xsd = resolve(__dirname, '..', 'support', 'junit.xsd');
  const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;

  function hostileReport(): Report {
    const stalls = HOSTILE.map((name, i) => stall(100, [cause(frame(`src/${name}.js`, i + 1, name), `${name}.op`, 'js', 100 + i)]));
    const r = report({ stalls, command: ['/usr/bin/node', ...HOSTILE] });
    return { ...r, verdict: evaluate(r, { config: { maxStallMs: 50, maxTotalBlockedMs: 10_000 }, source: 'test', root: ROOT }) };
  }

  it.skipIf(!hasXmllint)('validated by xmllint against the JUnit schema', () => {
    const file = join(dir, 'hostile.xml');
    writeFileSync(file, reportToJunit(hostileReport(), ROOT));
    const result = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
    expect(result.stderr).toContain('validates');
    expect(result.status).toBe(0);
  });

  it('one testcase per rule that held, one per call site that broke a rule, with file and line', () => {
    const xml = reportToJunit(hostileReport(), ROOT);
    expect(xml.match(/<testcase /g)).toHaveLength(HOSTILE.length + 1);
    expect(xml.match(/<failure /g)).toHaveLength(HOSTILE.length);
    expect(xml).toContain('<testcase classname="loopwatch.maxTotalBlockedMs" name="maxTotalBlockedMs: stalls block for at most 10.00 s in all" time="0.000">');
    expect(xml).toMatch(/<testcase classname="loopwatch\.maxStallMs" name="src\/&lt;script&gt;alert\(&quot;&amp;&quot;\)&lt;\/script&gt;\.js:4:5 in &lt;script&gt;[^"]*" time="0\.103" file="src\/&lt;script&gt;alert\(&quot;&amp;&quot;\)&lt;\/script&gt;\.js" line="4">/);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });

  it.skipIf(!hasXmllint)('without a budget: a passing testcase per call site, still valid', () => {
    const r = report({ callSites: [{ callSite: frame('src/<a>.js', 3, 'h'), operation: 'JSON.parse', category: 'json', parts: [{ operation: 'JSON.parse', category: 'json', count: 2, totalMs: 300 }], threads: [0], count: 2, totalMs: 300, maxMs: 200, p95Ms: 200 }] });
    const file = join(dir, 'plain.xml');
    writeFileSync(file, reportToJunit(r, ROOT));
    expect(spawnSync('xmllint', ['--noout', '--schema', xsd, file]).status).toBe(0);
  });
});

describe('the markdown reporter', () => {
  it('escapes every special character of a name, so that it cannot format the page or leave its cell', () => {
    for (const name of HOSTILE) {
      const cell = mdText(name);
      expect(cell).not.toMatch(/[|<>`*_[\]\\\n\r]/);
    }
    expect(mdText('a|b<c>`d`*e*')).toBe('a&#124;b&#60;c&#62;&#96;d&#96;&#42;e&#42;');
  });

  it('tables the broken rules with their call sites', () => {
    const r = report({ stalls: [stall(100, [cause(frame('src/a|b.js', 3, 'h'), 'JSON.parse', 'json', 120)])] });
    const v = evaluate(r, { config: { maxStallMs: 100 }, source: 'test', root: ROOT });
    const md = reportToMarkdown({ ...r, verdict: v }, ROOT);
    expect(md).toContain('### loopwatch: budget broken (1 of 1 rules)');
    expect(md).toContain('| src/a&#124;b&#46;js&#58;3 in h | JSON&#46;parse | json | 1 | 120 ms | 120 ms | 100 |');
  });
});

describe('the text report prints program-controlled strings escaped', () => {
  it('shows control characters, line breaks and bidi controls as escapes, and cuts long names', () => {
    expect(printable('a\nb\x1b[2J\u202e')).toBe('a\\nb\\x1b[2J\\u202e');
    expect(printable('x'.repeat(400))).toBe(`${'x'.repeat(300)}...(100 more characters)`);
  });

  it('in every line that carries a name: call sites, operations, details, argv, the verdict', () => {
    const stalls = HOSTILE.map((name, i) => stall(100, [cause(frame(`src/${name}.js`, i + 1, name), `${name}.op`, 'module', 100 + i, { detail: name })]));
    const callSites = stalls.map((s) => ({ callSite: s.callSite, operation: s.operation, category: s.category, parts: [{ operation: s.operation, category: s.category, count: 1, totalMs: s.durationMs }], detail: s.causes[0]!.detail!, threads: [0], count: 1, totalMs: s.durationMs, maxMs: s.durationMs, p95Ms: s.durationMs }));
    const r = report({ stalls, callSites, command: ['/usr/bin/node', ...HOSTILE] });
    const v = evaluate(r, { config: { maxStallMs: 50 }, source: 'test', root: ROOT });
    const text = reportToText({ ...r, processes: [r.processes[0]!, { ...r.processes[0]!, pid: 2, argv: ['/usr/bin/node', ...HOSTILE] }] }, { cwd: ROOT, color: false, maxCallSites: 100 }) +
      verdictToText(v, { cwd: ROOT, color: false });
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    for (const line of text.split('\n')) {
      expect(line.startsWith('::')).toBe(false);
      expect(line.length).toBeLessThan(1200);
    }
    expect(text).toContain('\\x1b[2J');
  });
});
