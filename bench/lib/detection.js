'use strict';
// The detection benchmark: every fixture under every tool that reports stalls. A
// fixture marks each blocking line with `// stall: <category> <operation> #<label>`
// and, with LOOPWATCH_FIXTURE_TRUTH set, records how long each blocking call took.
// For each tool: did it report each stall, and did it name the marked line?
// (Sync-I/O markers, which mark no stall, are looked up in loopwatch's sync-I/O section.)
// For loopwatch also: how long after a stall's start its first stack sample came.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./setup');
const { NODE } = require('./configs');
const { readJsonLines } = require('./findings');
const { invocation, newRunDir, removeRunDir } = require('./invocation');
const { run } = require('./processes');

const FIXTURES = path.join(ROOT, 'fixtures');
const THRESHOLD_MS = 50;
const RUN_LIMIT_MS = 60_000;
// Fixtures that test something other than stalls: not run.
const NOT_STALL_FIXTURES = {
  'echo.js': 'tests that arguments, stdin and exit status pass through; blocks nowhere',
  'exit-code.js': 'tests the exit status; blocks nowhere',
};
// Blocks nowhere on purpose: whatever a tool reports there is a false alarm.
const NEGATIVE_CONTROL = 'quiet.js';
// Node.js flags a fixture cannot run without, given to every tool's run of it alike
// (`node --expose-gc fixtures/gc-pause.js`): without them the fixture exits at once.
const NODE_FLAGS = {
  'gc-pause.js': ['--expose-gc'],
};
// Fixtures that need a setup the bench does not make: skipped for every tool, with the
// reason printed, rather than counted as misses of a stall that never happened.
const NEEDS_SETUP = {
  'threadpool-dns.js': 'needs the slow-resolver network namespace of test/support/netns.ts: see test/integration/threadpool.test.ts',
  'live-server.js': 'runs until its stdin closes, which test/integration/live.test.ts does after its stalls',
  'until-signal.js': 'runs until it is sent a signal: see test/integration/signals.test.ts',
  // Stalls at startup: the detection counts the run's stalls only, as the peers see no startup.
  'exit-at-startup.js': 'its stall is at startup, and the process exits in it (test/integration/signals.test.ts checks it)',
  'esm-startup.mjs': 'its stall is an ES module\'s top level, startup on Node.js 22 and later and a run-phase stall on 20 (test/integration/startup.test.ts)',
  // Stalls marked for a test of the report, not with a `// stall:` marker.
  'one-line.js': 'its stall is marked for the report-rows test (`// row:`), which checks it',
  'express-json.js': 'its stall is marked for the report-rows test (`// row:`), which checks it',
};
// The environment a fixture needs for every marked stall to happen, under every tool alike.
const FIXTURE_ENV = {
  'gate-app.js': { GATE_EXTRA: '1' },
};
// Fixtures whose markers are sync I/O below the stall threshold on purpose: there is no
// stall to find, so a marker counts as found (at the right line) when the tool's sync-I/O
// report lists a call site at that line. Only loopwatch has such a report.
const SYNC_IO_FIXTURES = new Set(['sync-io-handler.js', 'sync-io-small.js']);

/** `// stall: <category> <operation> #<label>` lines of a file. */
function readMarkers(file) {
  const markers = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    const m = /\/\/ stall: (\S+) (\S+) #(\S+)/.exec(text);
    if (m) markers.push({ file, line: i + 1, category: m[1], operation: m[2], label: m[3] });
  });
  return markers;
}

function listFixtures() {
  const libDir = path.join(FIXTURES, 'lib');
  // The helpers fixtures share, in lib/ and its folders (lib/startup/).
  const libMarkers = fs.readdirSync(libDir, { recursive: true })
    .filter((n) => /\.m?js$/.test(n))
    .flatMap((n) => readMarkers(path.join(libDir, n)));
  return fs.readdirSync(FIXTURES)
    .filter((n) => /\.m?js$/.test(n))
    .sort()
    .map((name) => ({ name, file: path.join(FIXTURES, name), markers: readMarkers(path.join(FIXTURES, name)), libMarkers }));
}

/**
 * The stalls a fixture run should show, in the order they happened: one per truth
 * record, with its marker (the fixture's own marker with that label, else a marker
 * in fixtures/lib/, for a child process). A marker without any truth record (the
 * process was killed before it could write one) still expects one stall.
 */
function expectedStalls(fixture, truth) {
  const markerFor = (label) => fixture.markers.find((m) => m.label === label) ?? fixture.libMarkers.find((m) => m.label === label);
  const expected = truth.map((t) => ({ pid: t.pid, ms: t.ms, marker: markerFor(t.label) })).filter((e) => e.marker);
  for (const marker of fixture.markers) {
    if (!expected.some((e) => e.marker === marker)) expected.push({ pid: null, ms: THRESHOLD_MS, marker });
  }
  return expected;
}

/** 'threadpool' markers are starvation of libuv's pool; every other one blocks the loop. */
function kindOf(marker) {
  return marker.category === 'threadpool' ? 'threadpool' : 'event-loop';
}

/**
 * Pairs expected stalls with reported ones of the same kind (event loop or threadpool),
 * both in time order, within each process. A reported stall may cover several expected
 * ones when they ran back to back in one callback (two-in-one-callback.js): it must last
 * at least 80 % of their sum.
 */
function matchStalls(expected, stalls) {
  const cursors = new Map();
  for (const e of expected) {
    const kind = kindOf(e.marker);
    const key = `${e.pid} ${kind}`;
    // Peers report only callbacks that ran long: event-loop stalls, without a kind.
    const mine = stalls.filter((s) => (e.pid === null || s.pid === e.pid) && (s.kind ?? 'event-loop') === kind);
    if (!cursors.has(key)) cursors.set(key, { stalls: mine, i: 0, used: 0 });
    const cursor = cursors.get(key);
    while (cursor.i < cursor.stalls.length && cursor.stalls[cursor.i].durationMs < 0.8 * (cursor.used + e.ms)) {
      cursor.i++;
      cursor.used = 0;
    }
    e.stall = cursor.stalls[cursor.i];
    if (e.stall) cursor.used += e.ms;
  }
  return expected;
}

/**
 * Pairs each expected sync-I/O call with the tool's sync-I/O call site at its marked
 * line, or null (the report adds calls up by call site and names no process).
 */
function matchSyncIo(expected, syncIo) {
  for (const e of expected) e.syncIo = syncIo.find((c) => c.file === e.marker.file && c.line === e.marker.line) ?? null;
  return expected;
}

/** One fixture under one tool: { expected: [...], extra, flagged, note } or { skipped }. */
async function detectOnce(fixture, config) {
  const reason = NEEDS_SETUP[fixture.name] ?? config.skipFixtures?.[fixture.name];
  if (reason) return { skipped: reason };
  const runDir = newRunDir('detection');
  try {
    const truthFile = path.join(runDir.dir, 'truth.jsonl');
    const nodeArgv = [NODE, ...(NODE_FLAGS[fixture.name] ?? []), fixture.file];
    const { argv, env } = invocation(config, nodeArgv, runDir, { LOOPWATCH_FIXTURE_TRUTH: truthFile, ...FIXTURE_ENV[fixture.name] });
    const done = await run(argv, { env, cwd: runDir.dir, timeoutMs: RUN_LIMIT_MS });
    if (done.timedOut) return { error: `over ${RUN_LIMIT_MS / 1000} s` };
    const findings = await config.findings(runDir.dir);
    const wanted = expectedStalls(fixture, readJsonLines(truthFile));
    const expected = SYNC_IO_FIXTURES.has(fixture.name)
      ? matchSyncIo(wanted, findings.syncIo ?? [])
      : matchStalls(wanted, findings.stalls ?? []);
    const matched = new Set(expected.map((e) => e.stall).filter(Boolean));
    const extra = findings.stalls ? findings.stalls.length - matched.size : null;
    return { expected: expected.map((e) => outcome(e, findings)), extra, flagged: findings.flagged, note: findings.note };
  } catch (err) {
    return { error: err.message };
  } finally {
    removeRunDir(runDir);
  }
}

/** What a tool said about one expected stall. */
function outcome(e, findings) {
  const marker = { file: path.relative(ROOT, e.marker.file), line: e.marker.line, category: e.marker.category, label: e.marker.label };
  if (e.syncIo !== undefined) return syncIoOutcome(e, marker);
  if (findings.stalls === null) {
    // A tool without a stall list (Doctor) either flagged the run or not, and names no line.
    return { marker, ms: e.ms, found: findings.flagged, rightLine: false, named: [] };
  }
  const named = e.stall ? e.stall.named : [];
  return {
    marker,
    ms: e.ms,
    found: Boolean(e.stall),
    rightLine: named.some((n) => n.file === e.marker.file && n.line === e.marker.line),
    named: named.map((n) => `${path.relative(ROOT, n.file)}:${n.line}`),
    firstSampleMs: e.stall?.firstSampleMs,
    stallId: e.stall ? `${e.stall.pid} ${e.stall.durationMs}` : undefined,
  };
}

/**
 * What a tool's sync-I/O report said about one marked sync call: found, at the right line,
 * when it lists that line. A tool without such a report (the peers; Doctor too, flagged or
 * not, since no stall happened) cannot have seen it.
 */
function syncIoOutcome(e, marker) {
  const site = e.syncIo;
  return {
    marker,
    ms: e.ms,
    found: Boolean(site),
    rightLine: Boolean(site),
    named: site ? [`${path.relative(ROOT, site.file)}:${site.line}`] : [],
    syncIo: site ? { operation: site.operation, count: site.count, totalMs: site.totalMs } : undefined,
  };
}

async function runDetection(configs, options) {
  const tools = configs.filter((c) => c.findings);
  const fixtures = listFixtures().filter((f) => {
    const reason = NOT_STALL_FIXTURES[f.name];
    if (reason) console.log(`bench: detection skips ${f.name}: ${reason}`);
    return !reason;
  });
  console.log(`\n== detection: ${fixtures.length} fixtures x ${tools.length} tools x ${options.detectionReps} repetitions`);
  const results = [];
  for (let rep = 0; rep < options.detectionReps; rep++) {
    for (const fixture of fixtures) {
      for (const tool of tools) {
        const result = await detectOnce(fixture, tool);
        results.push({ fixture: fixture.name, negativeControl: fixture.name === NEGATIVE_CONTROL, tool: tool.id, rep, ...result });
        if (rep === 0 || !result.skipped) console.log(`  ${fixture.name.padEnd(24)} ${tool.label.padEnd(18)} ${describe(result)}`);
      }
    }
  }
  return {
    tools: tools.map((t) => t.id),
    fixtures: fixtures.map((f) => f.name),
    // The marked lines, for the table's rows of fixtures no tool ran.
    markers: Object.fromEntries(fixtures.map((f) => [f.name, f.markers.map((m) => `${m.category} #${m.label} (line ${m.line})`)])),
    reps: options.detectionReps,
    thresholdMs: THRESHOLD_MS,
    results,
  };
}

function describe(result) {
  if (result.skipped) return `skipped: ${result.skipped}`;
  if (result.error) return `ERROR ${result.error}`;
  const parts = result.expected.map((e) => {
    const where = e.named.length ? e.named.join(' + ') : 'no location';
    const first = e.firstSampleMs !== undefined ? `, first sample ${e.firstSampleMs === null ? 'none' : `${e.firstSampleMs.toFixed(1)} ms`}` : '';
    const sync = e.syncIo ? `, sync I/O: ${e.syncIo.count} x ${e.syncIo.operation}, ${e.syncIo.totalMs.toFixed(0)} ms` : '';
    return `#${e.marker.label} ${e.found ? 'found' : 'MISSED'}, ${e.rightLine ? 'right line' : 'wrong line'} (${where})${first}${sync}`;
  });
  if (result.extra) parts.push(`${result.extra} other stall(s)`);
  if (result.expected.length === 0) parts.push(result.flagged ? 'reported a stall (false alarm)' : 'nothing reported');
  if (result.note) parts.push(result.note);
  return parts.join('; ');
}

module.exports = { runDetection };
