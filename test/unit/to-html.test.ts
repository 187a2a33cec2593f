import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RecordedFrame, SampleRecord, StallRecord } from '../../src/recording/schema';
import { buildReport, type RunInfo } from '../../src/report/build-report';
import { escapeHtml, html, jsonForScript } from '../../src/report/html/escape';
import { laneIndex, laneKey } from '../../src/report/html/lanes';
import type { ProcessSummary, Report, Stall } from '../../src/report/schema';
import { reportToHtml } from '../../src/report/to-html';
import { evaluate } from '../../src/gate/evaluate';
import { exitRecord, processRecord, processRecording } from './records';

describe('html', () => {
  it('escapes every interpolated value, in text and attributes', () => {
    const name = `<img src=x onerror="alert('1')"> & co`;
    expect(html`<td title="${name}">${name}</td>`.text).toBe(
      '<td title="&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; co">&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt; &amp; co</td>',
    );
  });

  it('inserts markup it built itself as it is, and lists item by item', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>`.text).toBe('<ul><li>a&lt;b</li><li>c</li></ul>');
  });

  it('writes nothing for null, undefined and false', () => {
    expect(html`[${null}${undefined}${false}${0}]`.text).toBe('[0]');
  });

  it('escapeHtml leaves other text alone', () => {
    expect(escapeHtml('fixtures/é ü.js:12')).toBe('fixtures/é ü.js:12');
  });
});

describe('jsonForScript', () => {
  it('escapes what could end the script element or a line, and reads back the same', () => {
    const value = { file: '</script><script>alert(1)</script>', note: '<!-- & -->' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&]/);
    expect(text).toContain('\\u003c/script\\u003e');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('shows control and line-separator characters in strings escaped, as the markup does', () => {
    const text = jsonForScript({ lines: 'a\u2028b\u2029c', name: 'x\x1b[2J\ny' });
    expect(text).not.toMatch(/[\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual({ lines: 'a\\u2028b\\u2029c', name: 'x\\x1b[2J\\ny' });
    expect(escapeHtml('<b>\x1b]0;t\x07</b>')).toBe('&lt;b&gt;\\x1b]0;t\\x07&lt;/b&gt;');
  });
});

describe('reportToHtml', () => {
  const HOSTILE_FILE = `/app/<script>alert("file")</script> & 'q'.js`;
  const HOSTILE_FUNCTION = `<img src=x onerror=alert(2)>`;
  const frames: RecordedFrame[] = [{ file: HOSTILE_FILE, line: 12, column: 10, function: HOSTILE_FUNCTION }];
  const stall: StallRecord = { type: 'stall', seq: 1, start: 1100, end: 1300, durationMs: 200, inProgressAtExit: false, phase: 'run' };
  const sample: SampleRecord = { type: 'sample', seq: 1, requestedAt: 1199, at: 1200, frames };
  const p = processRecording({
    process: processRecord(42, 1000, { argv: ['/usr/bin/node', HOSTILE_FILE, '<b>arg</b>'] }),
    stalls: [stall],
    samples: [sample],
    exit: exitRecord(2000, 1000),
  });
  const run: RunInfo = {
    command: ['/usr/bin/node', HOSTILE_FILE, '<b>arg</b>'], cwd: '/app',
    thresholdMs: 50,
    startedAt: 1000,
    durationMs: 1000,
    exitCode: 0,
    signal: null,
    toolVersion: '0.1.0',
  };
  const report = buildReport({ dir: '/rec', processes: [p] }, run);
  const page = reportToHtml(report, { cwd: '/elsewhere' });

  it('shows the delay counting the beats stalls swallowed, and the per-beat figures beside', () => {
    const eventLoopDelay = { minMs: 0.01, p50Ms: 0.2, p90Ms: 1, p99Ms: 3, maxMs: 331, beats: 1000, corrected: { p50Ms: 0.3, p90Ms: 2, p99Ms: 250, beats: 1033 } };
    const withDelay = { ...report, processes: report.processes.map((q) => ({ ...q, eventLoopDelay })) };
    const shown = reportToHtml(withDelay, { cwd: '/elsewhere' });
    expect(shown).toContain('<td>0.3 ms / 250 ms / 331 ms<br><span class="note">with 33 beats stalls swallowed; per beat that ran: 0.2 ms / 3 ms</span></td>');
  });

  it('has a startup section, the program’s module names as text', () => {
    const startup = {
      beforeLoopMs: 400, loopTurned: true, loopStartAt: 1400, mainEvaluatedAt: null, nodeMs: 20, loopwatchMs: 25, main: '/app/<b>main</b>.js', mainMs: 355, mainOwnMs: 105,
      modules: [{ request: './<i>routes</i>', parent: '/app/main.js', start: 1160, durationMs: 150, ownMs: 20, children: [{ request: 'express', durationMs: 120 }], omittedChildren: 0 }],
      omittedModules: 0,
    };
    const withStartup = { ...report, processes: report.processes.map((q) => ({ ...q, startup })) };
    const shown = reportToHtml(withStartup, { cwd: '/elsewhere' });
    expect(shown).toContain('<section id="startup"');
    expect(shown).toContain("Node.js until loopwatch: 20 ms; loopwatch's own setup: 25 ms;");
    expect(shown).toContain('<td class="where mono">./&lt;i&gt;routes&lt;/i&gt;</td><td class="num">150 ms</td><td class="num">20 ms</td><td class="where mono">express 120 ms</td>');
    expect(shown).not.toContain('<i>routes');
  });

  it('never writes the program’s names as markup', () => {
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>arg');
    expect(page).toContain('&lt;script&gt;alert(&quot;file&quot;)&lt;/script&gt; &amp; &#39;q&#39;.js');
    expect(page).toContain('&lt;img src=x onerror=alert(2)&gt;');
  });

  it('has exactly two script elements: the data block and its own script', () => {
    expect(page.match(/<script\b/g)).toHaveLength(2);
    expect(page).toContain('<script type="application/json" id="loopwatch-data">');
  });

  it('forbids every fetch and allows only its own inline script and stylesheet, by hash', () => {
    const attribute = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1];
    expect(attribute).toBeDefined();
    const csp = attribute!.replaceAll('&#39;', "'");
    const directives = csp!.split('; ');
    expect(directives[0]).toBe("default-src 'none'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1]!;
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(directives).toContain(`script-src ${hash(script)}`);
    expect(directives).toContain(`style-src ${hash(style)}`);
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
  });

  it('loads nothing: no src, href or url() pointing anywhere', () => {
    // As attributes of a tag (the program's escaped names may say `src=` inside a quoted value).
    expect(page).not.toMatch(/<[a-z][^\s>]*(\s+[\w-]+(="[^"]*")?)*\s+(src|href)=/i);
    expect(page).not.toMatch(/url\(/);
    expect(page).not.toMatch(/@import/);
  });

  it('draws the stall in the timeline and lists its call site', () => {
    expect(page.match(/class="mark loop c-js"/g)).toHaveLength(1);
    expect(page).toContain('data-site="0"');
    const data = JSON.parse(/<script type="application\/json" id="loopwatch-data">([\s\S]*?)<\/script>/.exec(page)![1]!) as PageData;
    expect(data.stalls).toHaveLength(1);
    // One stack, of one frame: one node of the stack tree, an outermost frame (no parent).
    expect(data.stackNodes).toEqual([[-1, 0]]);
    expect(data.stalls[0]!.stacks).toEqual([[0, 200, 1, 0]]);
    expect(data.frames[0]).toMatchObject({ file: HOSTILE_FILE, function: HOSTILE_FUNCTION, owner: 'program' });
    expect(data.lanes).toEqual([{ pid: 42, threadId: null, label: `pid 42 script> & 'q'.js` }]); // the script's name: the path's last part
  });

  it('says when no budget was given', () => {
    expect(page).toContain('<section id="gate-verdict" aria-label="CI gate verdict"><p>No budget was given for this run.</p></section>');
  });

  it('shows the CI gate\'s verdict, each broken rule\'s call sites and allow entries escaped', () => {
    const verdict = evaluate(report, { config: { maxStallMs: 100, maxTotalBlockedMs: 10_000 }, source: 'loopwatch.config.json', root: '/app' });
    const gated = reportToHtml({ ...report, verdict }, { cwd: '/elsewhere' });
    const section = /<section id="gate-verdict"[\s\S]*?<\/section>/.exec(gated)![0];
    expect(section).toContain('Budget (loopwatch.config.json): broken: 1 of 2 rules');
    expect(section).toContain('<li class="held"><strong>held</strong> <code>maxTotalBlockedMs</code>');
    expect(section).toContain('<li class="broken"><strong>broken</strong> <code>maxStallMs</code>: no stall longer than 100 ms');
    // The suggested path is a glob that matches just that file: its parentheses are escaped.
    expect(section).toContain('allow it: <code>{&quot;path&quot;:&quot;&lt;script&gt;alert\\\\(\\&quot;file\\&quot;\\\\)&lt;/script&gt; &amp; &#39;q&#39;.js&quot;');
    expect(section).not.toContain('<script>');
    expect(section).not.toContain('<img');
  });
});

describe('reportToHtml: what a reader must know first', () => {
  const p = processRecording({
    process: processRecord(42, 1000),
    stalls: [{ type: 'stall', seq: 1, start: 1100, end: 1300, durationMs: 200, inProgressAtExit: false, phase: 'run' }],
    samples: [{ type: 'sample', seq: 1, requestedAt: 1199, at: 1200, frames: [{ file: '/app/a.js', line: 3, column: 1, function: 'work' }] }],
    exit: exitRecord(2000, 1000),
  });
  const run: RunInfo = { command: ['/usr/bin/node', '/app/a.js'], cwd: '/app', thresholdMs: 50, startedAt: 1000, durationMs: 1000, exitCode: 0, signal: null, toolVersion: '0.1.0' };
  const base = buildReport({ dir: '/rec', processes: [p] }, run);
  const pageData = (page: string) => JSON.parse(/<script type="application\/json" id="loopwatch-data">([\s\S]*?)<\/script>/.exec(page)![1]!) as PageData;

  it('has no warnings section when there is nothing to warn of', () => {
    expect(base.warnings).toEqual([]);
    expect(reportToHtml(base, { cwd: '/app' })).not.toContain('id="warnings"');
  });

  it('shows the report’s warnings, its unwatched threads and its cut stalls, escaped, at the top', () => {
    const report: Report = {
      ...base,
      warnings: ['pid 42: no stack samples (the inspector <b>was</b> taken & "busy"); its stalls are named only by the probed calls in them', '/rec/<i>1</i>.jsonl:3: 1 unreadable line (not JSON records) dropped'],
      processes: base.processes.map((proc) => ({ ...proc, unwatchedThreads: [{ threadId: 3, name: '<svg onload=x>' }] })),
      stalls: base.stalls.map((stall) => ({ ...stall, inProgressAtExit: true })),
    };
    const page = reportToHtml(report, { cwd: '/app' });
    const section = /<section id="warnings"[\s\S]*?<\/section>/.exec(page)![0];
    expect(section).toContain('<h2 id="warnings-title">4 warnings</h2>');
    expect(section).toContain('<li>pid 42: no stack samples (the inspector &lt;b&gt;was&lt;/b&gt; taken &amp; &quot;busy&quot;); its stalls are named only by the probed calls in them</li>');
    expect(section).toContain('<li>/rec/&lt;i&gt;1&lt;/i&gt;.jsonl:3: 1 unreadable line (not JSON records) dropped</li>');
    expect(section).toContain('<li>pid 42: 1 worker thread not watched (their agent did not run), blocking inside them not seen: 3 &quot;&lt;svg onload=x&gt;&quot;</li>');
    expect(section).toContain('<li>1 stall still going on when its process ended; durations are up to that moment.</li>');
    // Before the timeline, after the headline.
    expect(page.indexOf('id="warnings"')).toBeLessThan(page.indexOf('id="timeline"'));
    expect(page).toContain('<strong>not watched:</strong> 3 &quot;&lt;svg onload=x&gt;&quot;');
  });

  it('says where a stall’s time went, and a call site’s time waiting for a CPU', () => {
    const threadTime = { observedMs: 150, onCpuMs: 40, runQueueMs: 100, offCpuMs: 10, watchdogLateMs: 1, host: 'starved' as const };
    const report: Report = {
      ...base,
      stalls: base.stalls.map((stall) => ({ ...stall, threadTime })),
      callSites: base.callSites.map((site) => ({ ...site, runQueueMs: 120 })),
    };
    const page = reportToHtml(report, { cwd: '/app' });
    expect(pageData(page).stalls[0]!.time).toEqual({ observedMs: 150, onCpuMs: 40, runQueueMs: 100, offCpuMs: 10, host: 'starved' });
    expect(pageData(page).sites[0]!.notes).toEqual(['of which about 120 ms waiting for a CPU (the host was busy)']);
    expect(page).toContain('<div class="note">of which about 120 ms waiting for a CPU (the host was busy)</div>');
    // Without a split, none is made up.
    expect(pageData(reportToHtml(base, { cwd: '/app' })).stalls[0]!.time).toBeUndefined();
  });

  it('names the worker thread a call site blocked, and draws a thread’s lane for as long as the thread ran', () => {
    const report: Report = {
      ...base,
      processes: base.processes.map((proc) => ({
        ...proc,
        threads: [{ threadId: 2, name: 'jobs', startedAt: 1500, durationMs: 300, endedBy: 'terminated' as const, eventLoopDelay: null, utilization: null }],
      })),
      stalls: base.stalls.map((stall) => ({ ...stall, threadId: 2 })),
      callSites: base.callSites.map((site) => ({ ...site, threads: [2] })),
    };
    const page = reportToHtml(report, { cwd: '/app' });
    const data = pageData(page);
    expect(data.lanes.map((l) => l.label)).toEqual(['pid 42 p42.js', 'pid 42 worker thread 2 jobs']);
    expect(data.stalls[0]!.lane).toBe(1);
    expect(data.sites[0]!.notes).toEqual(['in worker thread 2']);
    const lines = [...page.matchAll(/<line class="alive" x1="([\d.]+)" x2="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(lines).toHaveLength(2);
    // The run spans 1000 to 2000: the process's line all of it, the thread's 1500 to 1800.
    const [[p0, p1], [t0, t1]] = lines as [[number, number], [number, number]];
    expect((t0 - p0) / (p1 - p0)).toBeCloseTo(0.5, 2);
    expect((t1 - p0) / (p1 - p0)).toBeCloseTo(0.8, 2);
    expect(page).toContain('<title>worker thread 2 &quot;jobs&quot; of pid 42: /usr/bin/node /app/p42.js</title>');
    expect(page).toContain('<li>2 &quot;jobs&quot;: delay not measured, terminated</li>');
    expect(page).toContain('GC pauses (main threads)');
  });
});

describe('laneIndex', () => {
  const process = (pid: number, argv: string[]) => ({ pid, argv }) as unknown as ProcessSummary;
  const report = { processes: [process(10, ['/usr/bin/node', '/app/server.js', '--port', '80']), process(11, ['/usr/bin/node'])] } as unknown as Report;

  it('gives each process a lane, in the report’s order, named by its script, or node’s name without one', () => {
    const lanes = laneIndex(report);
    expect(lanes.lanes).toEqual([
      { pid: 10, threadId: null, label: 'pid 10 server.js' },
      { pid: 11, threadId: null, label: 'pid 11 node' },
    ]);
    expect(lanes.of({ pid: 11 } as Stall)).toBe(1);
    expect(lanes.ofThread(10, 0)).toBe(0);
  });

  it('adds a lane for a process the report has no summary of', () => {
    const lanes = laneIndex(report);
    expect(lanes.ofThread(99, undefined)).toBe(2);
    expect(lanes.lanes[2]).toEqual({ pid: 99, threadId: null, label: 'pid 99' });
  });

  it('puts each watched worker thread right under its process, named as it was', () => {
    const threads = (list: Array<{ threadId: number; name: string | null }>) => list as unknown as ProcessSummary['threads'];
    const withThreads = {
      processes: [
        { ...process(10, ['/usr/bin/node', '/app/jobs.js']), threads: threads([{ threadId: 1, name: 'hasher' }, { threadId: 2, name: null }]) },
        process(11, ['/usr/bin/node', '/app/other.js']),
      ],
    } as unknown as Report;
    const lanes = laneIndex(withThreads);
    expect(lanes.lanes.map((l) => l.label)).toEqual(['pid 10 jobs.js', 'pid 10 worker thread 1 hasher', 'pid 10 worker thread 2', 'pid 11 other.js']);
    expect(lanes.of({ pid: 10, threadId: 2 } as Stall)).toBe(2);
    expect(lanes.of({ pid: 10, threadId: 0 } as Stall)).toBe(0);
    // A thread the summary does not list gets a lane of its own, not its process's.
    expect(lanes.ofThread(11, 4)).toBe(4);
  });

  it('keys a lane by process and thread, the main thread by its process alone', () => {
    expect(laneKey(10, null)).toBe('10');
    expect(laneKey(10, 3)).toBe('10/3');
  });
});
