'use strict';
// What each tool reported about one fixture run, in one shape:
//   { stalls: [{ pid, kind?, durationMs, named: [{ file, line }], firstSampleMs? }] | null,
//     syncIo?: [{ file, line, operation, count, totalMs }],
//     flagged: boolean, note: string }
// `named` are the source locations the tool points the user at for that stall;
// `stalls` is null for a tool that reports no individual stalls (Doctor). `kind` is
// 'threadpool' for starvation of libuv's pool, else absent or 'event-loop'. `syncIo`
// (loopwatch only) lists the sync calls the tool timed, stalls or not.
const fs = require('node:fs');
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const { doctorAnalysis } = require('./doctor-analysis');

function toPath(file) {
  return file && file.startsWith('file:') ? fileURLToPath(file) : file;
}

/** The same locations once each, in order. */
function unique(locations) {
  const seen = new Set();
  return locations.filter((l) => !seen.has(`${l.file}:${l.line}`) && seen.add(`${l.file}:${l.line}`));
}

function readJsonLines(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

/**
 * loopwatch: the JSON report's run-phase stalls (event-loop and threadpool), each with
 * the call sites of its causes, and from the kept recording the delay from the stall's
 * start to its first stack sample; and the call sites of its sync-I/O section.
 */
function loopwatchFindings(dir) {
  const reportFile = path.join(dir, 'r.json');
  if (!fs.existsSync(reportFile)) return { stalls: [], flagged: false, note: 'no JSON report written' };
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  const firstSamples = firstSampleDelays(path.join(dir, 'rec'));
  const stalls = report.stalls.filter((s) => s.phase === 'run').map((s) => ({
    pid: s.pid,
    kind: s.kind,
    durationMs: s.durationMs,
    named: unique(s.causes.filter((c) => c.callSite).map((c) => ({ file: toPath(c.callSite.file), line: c.callSite.line }))),
    firstSampleMs: firstSamples.get(`${s.pid} ${s.start}`),
  }));
  return { stalls, syncIo: syncIoSites(report), flagged: stalls.length > 0, note: '' };
}

/** The report's sync-I/O call sites (calls of at least --sync-io-threshold, stalls or not). */
function syncIoSites(report) {
  // Reports from before schema version 2 have no sync-I/O section.
  return (report.syncIo?.callSites ?? []).filter((c) => c.callSite).map((c) => ({
    file: toPath(c.callSite.file),
    line: c.callSite.line,
    operation: c.operation,
    count: c.count,
    totalMs: c.totalMs,
  }));
}

/**
 * From a recording directory: for each stall record, `${pid} ${start}` -> ms from the
 * stall's start to the moment its first sample was taken (`at`: when the main thread
 * served the request), or null when the stall got no sample at all.
 */
function firstSampleDelays(recordingDir) {
  const delays = new Map();
  if (!fs.existsSync(recordingDir)) return delays;
  for (const name of fs.readdirSync(recordingDir).filter((n) => n.endsWith('.jsonl'))) {
    const records = readJsonLines(path.join(recordingDir, name));
    const pid = records.find((r) => r.type === 'process')?.pid;
    const firstAt = new Map();
    for (const r of records.filter((r) => r.type === 'sample')) {
      firstAt.set(r.seq, Math.min(firstAt.get(r.seq) ?? Infinity, r.at));
    }
    for (const stall of records.filter((r) => r.type === 'stall')) {
      const at = firstAt.get(stall.seq);
      delays.set(`${pid} ${stall.start}`, at === undefined ? null : at - stall.start);
    }
  }
  return delays;
}

/**
 * blocked-at: one report per async callback that ran longer than the threshold, with
 * the stack where that callback's async resource was created. The location it names is
 * the first frame of the program's own code in that stack.
 */
function blockedAtFindings(dir) {
  const stalls = readJsonLines(path.join(dir, 'blocked-at.jsonl')).map((r) => ({
    pid: r.pid,
    durationMs: r.ms,
    named: [firstOwnFrame(r.stack)].filter(Boolean),
  }));
  return { stalls, flagged: stalls.length > 0, note: '' };
}

/** `    at fn (/abs/file.js:12:3)` -> { file, line } for the first frame outside node: and node_modules. */
function firstOwnFrame(stack) {
  for (const frame of stack) {
    const m = /(?:\(|at )((?:file:\/\/)?\/[^()]+?):(\d+):\d+\)?\s*$/.exec(frame);
    if (m && !m[1].includes('/node_modules/')) return { file: toPath(m[1]), line: Number(m[2]) };
  }
  return undefined;
}

/**
 * Clinic.js Doctor: no stall list and no location; its analysis (run headless here,
 * without the HTML) says whether the event loop delay is an issue for the run.
 */
async function doctorFindings(dir) {
  const dest = path.join(dir, 'doctor');
  const dataDirs = fs.existsSync(dest) ? fs.readdirSync(dest).filter((n) => n.endsWith('.clinic-doctor')) : [];
  if (dataDirs.length === 0) return { stalls: null, flagged: false, note: 'no data collected' };
  const notes = [];
  let flagged = false;
  for (const name of dataDirs) {
    const pid = name.split('.')[0];
    if (!fs.existsSync(path.join(dest, name, `${name}-traceevent`))) {
      // Doctor moves the trace-event log into the data of the process it started only.
      notes.push(`child process ${pid}: no trace events, not analysed`);
      continue;
    }
    const analysis = await doctorAnalysis(path.join(dest, name));
    if (analysis.error) {
      notes.push(`analysis failed: ${analysis.error}`);
      continue;
    }
    flagged ||= analysis.issues.delay === 'performance';
    notes.push(`delay: ${analysis.issues.delay}, category: ${analysis.issueCategory}, max delay ${analysis.maxDelayMs.toFixed(0)} ms`);
  }
  return { stalls: null, flagged, note: notes.join('; ') };
}

module.exports = { loopwatchFindings, blockedAtFindings, doctorFindings, readJsonLines };
