/**
 * A program whose names are an attack on whatever shows them: its directory, file and
 * module names, a function name and its arguments carry newlines, ANSI and OSC sequences,
 * HTML, quotes, `&`, Markdown's table bar, a GitHub workflow command at a line's start,
 * and a 10,000-character string. The real CLI runs it, and every output format is read
 * back as its consumer would read it: nothing breaks out, nothing is lost from the JSON.
 *
 * The names cannot be committed (git and most tools refuse such file names): the
 * program is written here, into a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/schema';
import { receivedSpans, startReceiver, type Receiver } from '../support/otlp-receiver';
import { runCli, runCliAsync, type CliRun } from './run-cli';

const LONG = 'x'.repeat(10_000);
const ATTACK = `\n::error::pwned \x1b[2J\x1b]0;x\x07 "dq" 'sq' & | * _ \``;
const DIRECTORY = `d "dq" 'sq' & <b>`;
const FILE = `\n::error::f \x1b[2J\x1b]0;x\x07<script>alert(1)<.js`;
const MODULE = `m\n::warning::\x1b[31m<img src=x onerror=alert(2)>.js`;
const DATA = `data\r\n::error file=a,line=1::x|y*z_.txt`;
const FUNCTION = `fn${ATTACK}<script>alert(3)</script>${LONG}`;
const ARGUMENTS = [`arg${ATTACK}<script>alert(4)</script>`, 'y'.repeat(10_000), '::error::at the start'];
const RECORDING = `rec\n::error::r\x1b[2J`;

/** Control characters a terminal, a log viewer or a browser would act on (all but LF). */
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** A workflow command as the runner parses it: properties hold no raw `,` or `:`, the message no CR or LF. */
const COMMAND = /^::(error|warning|notice)(?: ([a-z]+=[^,:\r\n]*(?:,[a-z]+=[^,:\r\n]*)*))?::([^\r\n]*)$/;

/** What the runner makes of an escaped message or property value. */
function unescapeCommand(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
}

const PROGRAM = `'use strict';
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
if (process.argv[2] === 'child') return;
const NAME = ${JSON.stringify(FUNCTION)};
const work = {
  [NAME]: function () {
    crypto.pbkdf2Sync('secret', 'salt', 400000, 32, 'sha256');
    fs.readFileSync(path.join(__dirname, ${JSON.stringify(DATA)}));
  },
};
// A second process with the same arguments, so that the report has a line per process.
const child = spawn(process.execPath, [__filename, 'child', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', () => {
  work[NAME]();
  setTimeout(() => require(path.join(__dirname, ${JSON.stringify(MODULE)})), 20);
});
`;

describe('a program whose names attack every output format', () => {
  let workDir: string;
  let dir: string;
  let script: string;
  let out: string;
  let run: CliRun;
  let report: Report;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'loopwatch-hostile-'));
    dir = join(workDir, DIRECTORY);
    out = join(workDir, 'out');
    mkdirSync(dir);
    mkdirSync(out);
    script = join(dir, FILE);
    writeFileSync(script, PROGRAM);
    writeFileSync(join(dir, MODULE), 'const end = performance.now() + 120;\nwhile (performance.now() < end) {}\n');
    writeFileSync(join(dir, DATA), 'data');
    const reporters = `text,json=${join(out, 'r.json')},html=${join(out, 'r.html')},junit=${join(out, 'r.xml')},markdown=${join(out, 'r.md')},github`;
    run = runCli(
      ['run', '--sync-io-threshold', '0', '--fail-on-stall', '50', '--recording', join(workDir, RECORDING), '--reporter', reporters, script, ...ARGUMENTS],
      { json: false, cwd: workDir, env: { GITHUB_WORKSPACE: workDir } },
    );
    report = JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as Report;
  });
  afterAll(() => (process.env.KEEP_HOSTILE ? undefined : rmSync(workDir, { recursive: true, force: true })));

  it('runs the program, which breaks the budget', () => {
    expect(run.stderr).toContain('the budget was broken');
    expect(run.status).toBe(3);
  });

  it('JSON: every name exactly as the program had it', () => {
    const sites = report.callSites.map((s) => s.callSite).filter((s) => s !== null);
    expect(sites.some((s) => s.file === script && s.function === FUNCTION)).toBe(true);
    expect(report.callSites.find((s) => s.category === 'module')?.detail).toBe(join(dir, MODULE));
    expect(report.syncIo.callSites.flatMap((s) => s.targets ?? [])).toContain(join(dir, DATA));
    expect(report.command.slice(-ARGUMENTS.length)).toEqual(ARGUMENTS);
    expect(report.processes.map((p) => p.argv.slice(-ARGUMENTS.length))).toEqual([ARGUMENTS, ARGUMENTS]);
  });

  it('text: control characters shown escaped, no line a workflow command, long names cut', () => {
    const text = runCli(['report', join(out, 'r.json')], { cwd: workDir });
    const verdict = runCli(['check', join(out, 'r.json'), '--fail-on-stall', '50'], { cwd: workDir });
    expect(verdict.status).toBe(3);
    for (const printed of [text.stderr, verdict.stderr, text.stdout + verdict.stdout]) {
      expect(printed).not.toMatch(CONTROLS);
      for (const line of printed.split('\n')) {
        expect(line.startsWith('::'), line).toBe(false);
        expect(line.length).toBeLessThan(2_000);
      }
    }
    // Every place a name is printed: call sites, sync I/O, the process lines.
    expect(text.stderr).toContain(`${DIRECTORY}/\\n::error::f \\x1b[2J\\x1b]0;x\\x07<script>alert(1)<.js:`);
    expect(text.stderr).toContain(' in fn\\n::error::pwned \\x1b[2J\\x1b]0;x\\x07 "dq"');
    expect(text.stderr).toContain('sync I/O after startup');
    expect(text.stderr).toContain(`on ${DIRECTORY}/data\\r\\n::error file=a,line=1::x|y*z_.txt`);
    expect(text.stderr).toMatch(/more characters\)/);
    // The process table: a row per process, its command as it ran.
    const lines = text.stderr.split('\n');
    const table = lines.findIndex((l) => /^2 processes/.test(l));
    expect(table).toBeGreaterThan(0);
    const rows = lines.slice(table + 2, table + 4);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/^\s+\d+ .* \d+( \([^)]*\))?: /);
    expect(rows.join('\n')).toContain('arg\\n::error::pwned \\x1b[2J');
    expect(verdict.stdout + verdict.stderr).toContain('allow it: ');
  });

  it('text: a warning naming a file of the recording is escaped too', () => {
    const recording = join(workDir, RECORDING);
    const processFile = readdirSync(recording).find((f) => f !== 'run.json' && f.endsWith('.jsonl'));
    expect(processFile).toBeDefined();
    appendFileSync(join(recording, processFile!), 'not a record\n');
    const again = runCli(['report', recording], { cwd: workDir });
    expect(again.stderr).toMatch(/\nwarning: \S*\/rec\\n::error::r\\x1b\[2J\//);
    expect(again.stderr).not.toMatch(CONTROLS);
    for (const line of again.stderr.split('\n')) expect(line.startsWith('::'), line).toBe(false);
  });

  it('GitHub: well-formed workflow commands only, names escaped, no control character', () => {
    const lines = run.stderr.split('\n');
    const commands = lines.filter((l) => l.startsWith('::'));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const line of commands) {
      const match = COMMAND.exec(line);
      expect(match, line).not.toBeNull();
      expect(line).not.toMatch(CONTROLS);
      const message = unescapeCommand(match![3]!);
      expect(message).not.toMatch(CONTROLS);
    }
    // The text report's lines before the commands: none starts one.
    const errors = commands.filter((l) => l.startsWith('::error'));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    // A file whose name holds ESC cannot be a file property; its place is in the message.
    for (const line of errors) expect(line).not.toContain('file=');
    const pbkdf2 = errors.find((l) => l.includes('crypto.pbkdf2Sync'));
    expect(unescapeCommand(pbkdf2!)).toContain(`at ${script.replace(/\n/g, '\\n').replace(/\x1b/g, '\\x1b').replace(/\x07/g, '\\x07')}:`);
    expect(unescapeCommand(pbkdf2!)).toContain(' in fn\\n::error::pwned \\x1b[2J');
  });

  it('JUnit: valid against the JUnit schema, names intact as XML reads them', () => {
    const file = join(out, 'r.xml');
    const xsd = resolve(__dirname, '..', 'support', 'junit.xsd');
    const lint = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
    expect(lint.stderr).toContain('validates');
    expect(lint.status).toBe(0);
    const attribute = (xpath: string) => spawnSync('xmllint', ['--xpath', `string(${xpath})`, file], { encoding: 'utf8' }).stdout.replace(/\n$/, '');
    // Characters XML cannot carry are shown as \u escapes; the rest arrives as the program had it.
    const shown = (text: string) => text.replace(/\x1b/g, '\\u001b').replace(/\x07/g, '\\u0007');
    const count = Number(attribute('count(//testcase[@file])'));
    expect(count).toBeGreaterThanOrEqual(1);
    const files = Array.from({ length: count }, (_, i) => attribute(`//testcase[@file][${i + 1}]/@file`));
    // A sample can land in the required module's own loop, whose file is then the call site.
    for (const file of files) expect([shown(relative(workDir, script)), shown(relative(workDir, join(dir, MODULE)))]).toContain(file);
    expect(files).toContain(shown(relative(workDir, script)));
    expect(attribute("//property[@name='command']/@value")).toContain(shown(ARGUMENTS[0]!));
    expect(attribute("//property[@name='command']/@value")).toContain(ARGUMENTS[1]!);
  });

  it('HTML: names as text in the markup, the data block JSON, no control character', () => {
    const page = readFileSync(join(out, 'r.html'), 'utf8');
    expect(page.match(/<script[\s>]/g)).toHaveLength(2);
    expect(page).not.toMatch(/<(img|iframe)[\s>]/);
    expect(page).not.toContain(DIRECTORY);
    expect(page).not.toContain('alert(1)<');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;.js');
    expect(page).toContain('\\n::error::f \\x1b[2J\\x1b]0;x\\x07&lt;script&gt;');
    expect(page).not.toMatch(CONTROLS);
    const data = /<script type="application\/json" id="loopwatch-data">([^<]*)<\/script>/.exec(page);
    expect(data).not.toBeNull();
    const json = JSON.stringify(JSON.parse(data![1]!));
    expect(json).toContain(JSON.stringify(`fn\\n::error::pwned \\x1b[2J\\x1b]0;x\\x07 "dq" 'sq' & | * _ \`<script>alert(3)</script>xxx`).slice(1, -1));
  });

  it('Markdown: every table row keeps its cells, no markup, no control character', () => {
    const md = readFileSync(join(out, 'r.md'), 'utf8');
    expect(md).not.toMatch(CONTROLS);
    expect(md).not.toMatch(/[<>]/);
    // Backticks only around loopwatch's own rule names.
    expect(md.replace(/`[A-Za-z]+`/g, '')).not.toContain('`');
    let cells = 0;
    for (const line of md.split('\n')) {
      if (!line.startsWith('|')) {
        cells = 0;
        continue;
      }
      const count = line.split('|').length;
      if (cells === 0) cells = count;
      expect(count, line).toBe(cells);
    }
    expect(md).toContain('&#58;&#58;error&#58;&#58;f');
  });

  it('errors: one line, with what the user gave shown escaped', () => {
    const missing = runCli(['run', join(dir, `no${ATTACK}.js`)], { cwd: workDir });
    const option = runCli(['run', `--x${ATTACK}`, script], { cwd: workDir });
    const recording = runCli(['report', join(workDir, RECORDING, `gone${ATTACK}`)], { cwd: workDir });
    for (const failed of [missing, option, recording]) {
      expect(failed.status).toBe(2);
      expect(failed.stderr).not.toMatch(CONTROLS);
      expect(failed.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(failed.stderr).toMatch(/^loopwatch: .*\\n::error::pwned \\x1b\[2J.* \[ERR_LOOPWATCH_[A-Z_]+\]\n$/);
    }
  });

  describe('OpenTelemetry', () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(() => receiver.close());

    it('span attributes carry the names exactly', async () => {
      const exported = await runCliAsync(['report', join(out, 'r.json'), '--quiet', `--otlp=${receiver.url}`, '--otlp-protocol', 'http/json'], { cwd: workDir });
      expect(exported.stderr).toMatch(/exported \d+ spans/);
      const spans = receivedSpans(receiver.received).map((s) => s.span);
      const attributes = spans.map((s) => Object.fromEntries(((s.attributes ?? []) as Array<{ key: string; value: Record<string, unknown> }>).map((a) => [a.key, a.value.stringValue ?? a.value.string_value])));
      const hash = attributes.find((a) => a['loopwatch.stall.operation'] === 'crypto.pbkdf2Sync' || a['code.function.name'] === FUNCTION);
      expect(hash?.['code.function.name']).toBe(FUNCTION);
      expect(hash?.['code.file.path']).toBe(script);
    });
  });
});
