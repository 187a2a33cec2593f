'use strict';
// How big the HTML report of a large run is, and how long it takes to open.
//
//   node bench/html-open.js [--runs N] [--stalls N] [--processes N] [--keep DIR]
//
// Generates the recording of a large run (by default 10,000 event-loop stalls over 50
// processes, each stall sampled 2 to 12 times over a few distinct stacks, plus sync
// calls, GC pauses and threadpool starvation), builds the report from it with the
// real pipeline (dist/: `npm run build` first), renders the JSON and the HTML, and
// opens the HTML from disk in Debian's chromium (playwright-core) N times, each in a
// fresh page: the time from navigation to the load event (the page's script has run
// by then: it is the last element of the body), then the time to select a stall and
// draw its flame view, and to open the biggest call site's row.
//
// A benchmark, not a test: it never fails on a number. The README quotes its figures.
// The functions given to page.evaluate() run in the page, with the browser's globals:
/* global document, MouseEvent, requestAnimationFrame */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = path.join(__dirname, '..');
const CHROMIUM = '/usr/bin/chromium';

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}

const RUNS = Number(option('runs', 5));
const STALLS = Number(option('stalls', 10_000));
const PROCESSES = Number(option('processes', 50));
const KEEP = option('keep', undefined);

const { generateRecording } = require(path.join(ROOT, 'test', 'support', 'large-run.js'));
const { buildReport } = require(path.join(ROOT, 'dist', 'report', 'build-report.js'));
const { reportToHtml } = require(path.join(ROOT, 'dist', 'report', 'to-html.js'));
const { reportToJson } = require(path.join(ROOT, 'dist', 'report', 'to-json.js'));

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

async function main() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  const { chromium } = require('playwright-core');
  const dir = KEEP ? path.resolve(KEEP) : fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-html-bench-'));
  fs.mkdirSync(dir, { recursive: true });
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopwatch-html-bench-chromium-'));
  try {
    let t0 = performance.now();
    const { recording, run } = generateRecording({ stalls: STALLS, processes: PROCESSES });
    const generateMs = performance.now() - t0;
    t0 = performance.now();
    const report = buildReport(recording, run);
    const buildMs = performance.now() - t0;
    t0 = performance.now();
    const json = reportToJson(report);
    const html = reportToHtml(report, { cwd: '/srv/app' });
    const renderMs = performance.now() - t0;
    const htmlFile = path.join(dir, 'large-report.html');
    fs.writeFileSync(htmlFile, html);
    fs.writeFileSync(path.join(dir, 'large-report.json'), json);
    const stalls = report.stalls.length;
    console.log(`report: ${stalls} stalls (${report.totals.threadpoolStalls} threadpool), ${report.processes.length} processes, ${report.callSites.length} call sites,`);
    console.log(`        ${report.frames.length} frames, ${report.gcPauses.length} GC pauses; caps left out ${report.limits.omittedStacks} stacks and ${report.limits.omittedGcPauses} GC pauses`);
    console.log(`built in ${Math.round(buildMs)} ms (recording generated in ${Math.round(generateMs)} ms), JSON and HTML rendered in ${Math.round(renderMs)} ms`);
    console.log(`JSON report: ${mb(Buffer.byteLength(json))}; HTML report: ${mb(Buffer.byteLength(html))}`);

    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      viewport: { width: 1280, height: 900 },
    });
    const url = pathToFileURL(htmlFile).href;
    const opens = [];
    const selects = [];
    const expands = [];
    for (let i = 0; i < RUNS; i++) {
      const page = await context.newPage();
      const problems = [];
      page.on('console', (m) => problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(url, { waitUntil: 'load' });
      const loadMs = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
      // Then a stall in the middle of the run: select it and wait for its flame view.
      const selectMs = await page.evaluate(async () => {
        const marks = document.querySelectorAll('.mark.loop');
        const start = performance.now();
        marks[Math.floor(marks.length / 2)].dispatchEvent(new MouseEvent('click', { bubbles: true }));
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        return performance.now() - start;
      });
      const expandMs = await page.evaluate(async () => {
        const row = document.querySelector('tbody.site tr');
        const start = performance.now();
        row.dispatchEvent(new MouseEvent('click', { bubbles: true }));
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        return performance.now() - start;
      });
      if (problems.length > 0) throw new Error(`the page said: ${problems.join('; ')}`);
      opens.push(loadMs);
      selects.push(selectMs);
      expands.push(expandMs);
      console.log(`open ${i + 1}: load event at ${Math.round(loadMs)} ms; select a stall ${Math.round(selectMs)} ms; open the top call site ${Math.round(expandMs)} ms`);
      await page.close();
    }
    await context.close();
    console.log(
      `\nmedian of ${RUNS}: opens in ${Math.round(median(opens))} ms (min ${Math.round(Math.min(...opens))}, max ${Math.round(Math.max(...opens))}); ` +
        `a stall's flame view ${Math.round(median(selects))} ms; the top call site's row ${Math.round(median(expands))} ms`,
    );
    if (KEEP) console.log(`kept in ${dir}`);
  } finally {
    fs.rmSync(profileDir, { recursive: true, force: true });
    if (!KEEP) fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err.stack ?? String(err));
  process.exitCode = 1;
});
