'use strict';
// Turns the raw runs into tables (Markdown, printed on stdout and written to
// bench/RESULTS.md) and checks loopwatch's targets from issue 4. Nothing here knows
// an expected number: every figure comes from the runs.
const { summary, ratios, differences, percentile } = require('./stats');
const { METRICS } = require('./workloads');

// Issue 4's targets for loopwatch with default settings, on the configurations marked
// `targets` in configs.js. check() gets the median of the per-run-pair comparisons.
const TARGETS = [
  { workloads: ['http'], metric: 'rps', text: 'at most 2 % fewer requests/s', check: (r) => r >= 0.98 },
  { workloads: ['http'], metric: 'p99', text: 'at most 5 % higher p99 latency', check: (r) => r <= 1.05 },
  { workloads: ['async', 'cpu-sliced', 'cpu-blocking'], metric: 'workMs', text: 'at most 2 % slower', check: (r) => r <= 1.02 },
  { workloads: ['startup-empty', 'startup-modules'], metric: 'wallMs', text: 'at most 30 ms added to startup', check: (d) => d <= 30 },
  { workloads: 'all', metric: 'rssMb', text: 'at most 15 MB added peak RSS (program process)', check: (d) => d <= 15 },
];
const FIRST_SAMPLE_SLACK_MS = 10;

/** A number with its unit: one decimal for MB and for small values, none otherwise. */
function fmt(value, unit, { showUnit = true } = {}) {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = unit === 'MB' || Math.abs(value) < 10 ? 1 : 0;
  return `${value.toFixed(digits)}${unit && showUnit ? ` ${unit}` : ''}`;
}

function fmtChange(metric, value) {
  if (!Number.isFinite(value)) return 'n/a';
  if (metric.compare === 'ratio') return `${value >= 1 ? '+' : ''}${((value - 1) * 100).toFixed(1)} %`;
  return `${value >= 0 ? '+' : ''}${fmt(value, metric.unit)}`;
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Values of one metric, run by run, for one configuration (NaN where a run gave none). */
function series(runs, key) {
  return runs.map((r) => (r.error || r.timedOut ? NaN : r[key]));
}

/** The median of the per-run-pair comparison to bare node. */
function versusBare(workloadResult, configId, metric) {
  const values = series(workloadResult.runs[configId], metric.key);
  const bare = series(workloadResult.runs.bare, metric.key);
  const compare = metric.compare === 'ratio' ? ratios : differences;
  return summary(compare(values, bare)).median;
}

function workloadTable(workloadResult, configs, limitMs) {
  const metrics = METRICS[workloadResult.workload.kind];
  const header = ['configuration', ...metrics.flatMap((m) => [`${m.label}: median [min-max]`, 'vs bare'])];
  const rows = workloadResult.configs.map((id) => {
    const runs = workloadResult.runs[id];
    const label = configs.find((c) => c.id === id).label;
    if (runs.some((r) => r.timedOut)) {
      return [label, `over the ${limitMs / 1000} s limit: stopped after one run`, ...Array(2 * metrics.length - 1).fill('')];
    }
    const errors = runs.filter((r) => r.error).length;
    return [errors ? `${label} (${errors} runs failed: ${runs.find((r) => r.error).error})` : label, ...metrics.flatMap((m) => {
      const s = summary(series(runs, m.key));
      const bare = { showUnit: false };
      const cell = `${fmt(s.median, m.unit)} [${fmt(s.min, m.unit, bare)}-${fmt(s.max, m.unit, bare)}]`;
      return [cell, id === 'bare' ? '' : fmtChange(m, versusBare(workloadResult, id, m))];
    })];
  });
  return table(header, rows);
}

/** Every target on every configuration it applies to: { text, config, workload, measured, met }. */
function checkTargets(overhead, detection, configs) {
  const checks = [];
  for (const target of TARGETS) {
    for (const workloadResult of Object.values(overhead)) {
      const wid = workloadResult.workload.id;
      if (target.workloads !== 'all' && !target.workloads.includes(wid)) continue;
      const metric = METRICS[workloadResult.workload.kind].find((m) => m.key === target.metric);
      for (const config of configs.filter((c) => c.targets && workloadResult.configs.includes(c.id))) {
        const timedOut = workloadResult.runs[config.id].some((r) => r.timedOut);
        const value = timedOut ? NaN : versusBare(workloadResult, config.id, metric);
        checks.push({
          target: target.text,
          config: config.label,
          workload: workloadResult.workload.title,
          measured: timedOut ? 'over the time limit' : fmtChange(metric, value),
          met: Number.isFinite(value) && target.check(value),
        });
      }
    }
  }
  if (detection) {
    const delays = firstSampleDelays(detection);
    const limit = detection.thresholdMs + FIRST_SAMPLE_SLACK_MS;
    const p95 = percentile(delays.js.map((d) => d ?? Infinity), 95);
    checks.push({
      target: `first stack sample of a JavaScript stall within threshold + ${FIRST_SAMPLE_SLACK_MS} ms (${limit} ms), p95`,
      config: 'loopwatch',
      workload: `detection (${delays.js.length} JavaScript stalls)`,
      measured: delays.js.length ? `p95 ${fmt(p95, 'ms')}` : 'no JavaScript stall seen',
      met: Number.isFinite(p95) && p95 <= limit,
    });
  }
  return checks;
}

function targetsTable(checks) {
  return table(['target (issue 4)', 'configuration', 'workload', 'measured vs bare', 'result'],
    checks.map((c) => [c.target, c.config, c.workload, c.measured, c.met ? 'met' : '**MISSED**']));
}

/** loopwatch's first-sample delays over all repetitions: { js: [ms|null], native: [ms|null] }. */
function firstSampleDelays(detection) {
  const out = { js: [], native: [] };
  for (const r of detection.results.filter((r) => r.tool === 'loopwatch' && r.expected)) {
    const seen = new Set();
    for (const e of r.expected) {
      // One stall may hold two marked calls (two-in-one-callback.js): count it once.
      if (!e.found || e.firstSampleMs === undefined || seen.has(e.stallId)) continue;
      seen.add(e.stallId);
      out[['js', 'regex'].includes(e.marker.category) ? 'js' : 'native'].push(e.firstSampleMs);
    }
  }
  return out;
}

function firstSampleTable(detection) {
  const delays = firstSampleDelays(detection);
  const row = (name, list) => {
    const values = list.map((d) => d ?? Infinity);
    const none = list.filter((d) => d === null).length;
    return [name, String(list.length), ...[50, 95, 100].map((p) => fmt(percentile(values, p), 'ms')), String(none)];
  };
  return table(['stalls', 'count', 'p50', 'p95', 'max', 'without any sample'],
    [row('JavaScript (js, regex)', delays.js), row('native (crypto, fs, zlib, json, child_process, dns...)', delays.native)]);
}

/** Per fixture and tool: found k/n, right line r/n, and what it named. */
function detectionTable(detection, configs) {
  const tools = detection.tools.map((id) => configs.find((c) => c.id === id));
  const rows = detection.fixtures.map((fixture) => {
    const cells = tools.map((tool) => detectionCell(detection.results.filter((r) => r.fixture === fixture && r.tool === tool.id)));
    // From a run when there is one (it has the markers of fixtures/lib/ a child process hit).
    const first = detection.results.find((r) => r.fixture === fixture && r.expected?.length);
    const marked = first ? first.expected.map((e) => `${e.marker.category} #${e.marker.label} (line ${e.marker.line})`) : detection.markers?.[fixture] ?? [];
    const markers = marked.length ? [...new Set(marked)].join(', ') : '(none: negative control)';
    return [fixture, markers, ...cells];
  });
  rows.push(['**all fixtures**', '', ...tools.map((tool) => totalsCell(detection.results.filter((r) => r.tool === tool.id && r.expected)))]);
  return table(['fixture', 'marked stalls', ...tools.map((t) => t.label)], rows);
}

function detectionCell(results) {
  if (results[0]?.skipped) return `skipped: ${results[0].skipped}`;
  const ran = results.filter((r) => r.expected);
  const failed = results.length - ran.length;
  const expected = ran.flatMap((r) => r.expected);
  if (ran.length && expected.length === 0) {
    const alarms = ran.filter((r) => r.flagged).length;
    return alarms ? `false alarm in ${alarms}/${ran.length} runs` : 'no false alarm';
  }
  const found = expected.filter((e) => e.found).length;
  const right = expected.filter((e) => e.rightLine).length;
  const named = mostCommon(expected.filter((e) => e.found).map(namedBy));
  const parts = [`found ${found}/${expected.length}`];
  if (found) parts.push(`right line ${right}/${expected.length}`, `names ${named}`);
  if (failed) parts.push(`${failed} runs failed`);
  return parts.join(', ');
}

/** Where the tool pointed for one found marker; sync-I/O markers are found in loopwatch's sync-I/O section. */
function namedBy(e) {
  const where = e.named.length ? e.named.join(' + ') : 'no location';
  return e.syncIo ? `${where} (sync-I/O section)` : where;
}

function totalsCell(results) {
  const expected = results.flatMap((r) => r.expected);
  return `found ${expected.filter((e) => e.found).length}/${expected.length}, right line ${expected.filter((e) => e.rightLine).length}/${expected.length}`;
}

function mostCommon(values) {
  const counts = new Map();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

module.exports = { workloadTable, checkTargets, targetsTable, detectionTable, firstSampleTable, table };
