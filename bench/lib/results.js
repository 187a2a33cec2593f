'use strict';
// Turns the raw runs into tables (Markdown, printed on stdout and written to
// bench/RESULTS.md) and checks loopwatch's targets. Nothing here knows an expected
// number: every figure comes from the runs.
//
// Every comparison comes from concurrent pairs (overhead.js): per pair, the
// configuration's figure against bare node's in the same seconds (a ratio, or a
// difference for startup CPU and memory); a cell is the median over pairs [min, max].
// Beside it, the A/A pairs (bare against bare, the second side against the first) of the
// same workload: their spread is how far apart two identical runs came out, and a figure
// whose median lies within it cannot be told from no change.
const { summary, percentile } = require('./stats');
const { PAIR_METRICS, ALONE_METRICS, SEQUENTIAL_METRICS, figureOf } = require('./workloads');

// The targets for loopwatch with default settings (issue 4, and issue 10 for the busy
// server and batch work), on the configurations marked `targets` in configs.js.
// check() gets the median of the per-pair comparisons.
const TARGETS = [
  { kind: 'http', metric: 'requests', text: 'at most 2 % fewer requests served', check: (r) => r >= 0.98 },
  { kind: 'http', metric: 'p99', text: 'at most 5 % higher p99 latency', check: (r) => r <= 1.05 },
  { kind: 'timed', metric: 'cpuMs', text: 'at most 2 % more CPU time', check: (r) => r <= 1.02 },
  { kind: 'startup', alone: true, metric: 'wallMs', text: 'at most 30 ms added to startup (free core)', check: (d) => d <= 30 },
  { kind: 'all', metric: 'rssMb', text: 'at most 15 MB added peak RSS (program process)', check: (d) => d <= 15 },
];
const FIRST_SAMPLE_SLACK_MS = 10;
// The A/A pairs must come out within this of each other for a run to count as calibrated.
const AA_LIMIT = 0.01;

/** A number with its unit: one decimal for MB and for small values, none otherwise. */
function fmt(value, unit, { showUnit = true } = {}) {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = unit === 'MB' || Math.abs(value) < 10 ? 1 : 0;
  return `${value.toFixed(digits)}${unit && showUnit ? ` ${unit}` : ''}`;
}

/** A comparison as people read it: a ratio as a signed percentage, a difference with its unit. */
function fmtChange(metric, value, { showUnit = true } = {}) {
  if (!Number.isFinite(value)) return 'n/a';
  if (metric.compare === 'ratio') return `${value >= 1 ? '+' : ''}${((value - 1) * 100).toFixed(1)}${showUnit ? ' %' : ''}`;
  return `${value >= 0 ? '+' : ''}${fmt(value, metric.unit, { showUnit })}`;
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const ok = (r) => r && !r.error && !r.timedOut;

/**
 * The per-pair comparisons of one configuration with bare node on one metric: the
 * configuration's side against bare's; for 'bare' itself (the A/A pairs), the second
 * side against the first.
 */
function comparisons(workloadResult, configId, metric) {
  const out = [];
  for (const pair of workloadResult.pairs) {
    if (pair.config !== configId || !pair.sides || !pair.sides.every(ok)) continue;
    const [i, j] = configId === 'bare' ? [1, 0] : pair.order[0] === 'bare' ? [1, 0] : [0, 1];
    const v = figureOf(metric, pair.sides[i]);
    const b = figureOf(metric, pair.sides[j]);
    if (Number.isFinite(v) && Number.isFinite(b)) out.push(metric.compare === 'ratio' ? v / b : v - b);
  }
  return out;
}

/** { median, min, max, n, spread }: spread is the largest distance from no change. */
function withSpread(values, metric) {
  const s = summary(values);
  const zero = metric.compare === 'ratio' ? 1 : 0;
  return { ...s, spread: s.n ? Math.max(Math.abs(s.min - zero), Math.abs(s.max - zero)) : NaN };
}

function aa(workloadResult, metric) {
  return withSpread(comparisons(workloadResult, 'bare', metric), metric);
}

/** Whether a median lies within the A/A spread (cannot be told from no change). */
function withinAa(metric, median, aaStats) {
  const zero = metric.compare === 'ratio' ? 1 : 0;
  return Number.isFinite(median) && Number.isFinite(aaStats.spread) && Math.abs(median - zero) <= aaStats.spread;
}

/** `-6.8 % [-7.9, -5.1]`, with `(within A/A)` when it cannot be told from no change. */
function changeCell(metric, stats, aaStats) {
  if (!stats.n) return 'n/a';
  const range = stats.n > 1 ? ` [${fmtChange(metric, stats.min, { showUnit: false })}, ${fmtChange(metric, stats.max, { showUnit: false })}]` : '';
  const within = aaStats && withinAa(metric, stats.median, aaStats) ? ' (within A/A)' : '';
  return `${fmtChange(metric, stats.median)}${range}${within}`;
}

/** The A/A spread alone: `±1.4 %`, or `±2.9 ms` for a difference. */
function spreadText(metric, aaStats) {
  if (!aaStats.n) return 'n/a';
  return metric.compare === 'ratio' ? `±${(aaStats.spread * 100).toFixed(1)} %` : `±${fmt(aaStats.spread, metric.unit)}`;
}

/** The spread with the A/A pairs it comes from. */
function aaCell(metric, aaStats) {
  if (!aaStats.n) return 'n/a';
  return `${spreadText(metric, aaStats)} (${aaStats.n} pairs: ${changeCell(metric, aaStats)})`;
}

function labelOf(configs, id) {
  return configs.find((c) => c.id === id)?.label ?? id;
}

/** One workload's concurrent pairs: a row per configuration, the A/A first. */
function pairTable(workloadResult, configs) {
  const metrics = PAIR_METRICS[workloadResult.workload.kind];
  const header = ['configuration (pairs with bare)', ...metrics.map((m) => `${m.label} vs bare: median [min, max]`)];
  const rows = [['**A/A: bare vs bare** (spread)', ...metrics.map((m) => aaCell(m, aa(workloadResult, m)))]];
  for (const id of workloadResult.configs.filter((c) => c !== 'bare')) {
    const pairs = workloadResult.pairs.filter((p) => p.config === id);
    const failed = pairs.filter((p) => p.error || p.sides?.some((s) => !ok(s)));
    const timedOut = pairs.some((p) => p.sides?.some((s) => s.timedOut));
    let label = labelOf(configs, id);
    if (timedOut) label += ' (over the time limit: stopped after one pair)';
    else if (failed.length) label += ` (${failed.length} pairs failed: ${failed[0].error ?? failed[0].sides.find((s) => s.error)?.error})`;
    rows.push([label, ...metrics.map((m) => changeCell(m, withSpread(comparisons(workloadResult, id, m), m), aa(workloadResult, m)))]);
  }
  return table(header, rows);
}

/**
 * How busy each core was during the HTTP pairs, and how much of their core the two
 * servers got: when they got much less than all of it, their load generators (or a
 * neighbour) held them back, and the ratio of requests says less than CPU per request.
 */
function coresLine(workloadResult) {
  const pairs = workloadResult.pairs.filter((p) => p.cores && p.sides?.every(ok));
  if (!pairs.length) return '';
  const cores = Object.keys(pairs[0].cores).map((c) => `CPU ${c} ${fmt(summary(pairs.map((p) => p.cores[c] * 100)).median, '%')}`);
  const shares = summary(pairs.map((p) => (100 * (p.sides[0].servingCpuMs + p.sides[1].servingCpuMs)) / (p.loadSeconds * 1000)));
  return `Median load of the cores over the pairs (the load generators' start included): ${cores.join(', ')}. ` +
    `The two servers together used ${fmt(shares.median, '%')} [${fmt(shares.min, '')}-${fmt(shares.max, '')}] of their core during warm-up and load.`;
}

/** Startup alone on a free core, one run after another: what each configuration adds. */
function aloneComparisons(workloadResult, configId, metric) {
  const out = [];
  const reps = new Set(workloadResult.alone.map((r) => r.rep));
  for (const rep of reps) {
    const runs = workloadResult.alone.filter((r) => r.rep === rep && ok(r.result));
    const bares = runs.filter((r) => r.config === 'bare').map((r) => figureOf(metric, r.result));
    if (bares.length !== 2) continue;
    if (configId === 'bare') out.push(bares[1] - bares[0]);
    else {
      const run = runs.find((r) => r.config === configId);
      if (run) out.push(figureOf(metric, run.result) - (bares[0] + bares[1]) / 2);
    }
  }
  return out.filter(Number.isFinite);
}

function aloneTable(workloadResult, configs) {
  const aaOf = (m) => withSpread(aloneComparisons(workloadResult, 'bare', m), m);
  const header = ['configuration (alone, one run after another, unpinned)', ...ALONE_METRICS.map((m) => `${m.label}: median [min, max]`)];
  const rows = [['**A/A: bare vs bare** (spread)', ...ALONE_METRICS.map((m) => aaCell(m, aaOf(m)))]];
  for (const id of workloadResult.configs.filter((c) => c !== 'bare')) {
    rows.push([labelOf(configs, id), ...ALONE_METRICS.map((m) => changeCell(m, withSpread(aloneComparisons(workloadResult, id, m), m), aaOf(m)))]);
  }
  return table(header, rows);
}

/** The one sequential run of each configuration: absolute figures, not for comparing. */
function sequentialTable(workloadResult, configs) {
  const metrics = SEQUENTIAL_METRICS[workloadResult.workload.kind];
  const rows = Object.entries(workloadResult.sequential).map(([id, r]) => {
    if (r.timedOut) return [labelOf(configs, id), 'over the time limit', ...metrics.slice(1).map(() => '')];
    if (r.error) return [`${labelOf(configs, id)} (failed: ${r.error})`, ...metrics.map(() => '')];
    return [labelOf(configs, id), ...metrics.map((m) => fmt(figureOf(m, r), m.unit))];
  });
  return table(['configuration (ONE sequential run: absolute figures only)', ...metrics.map((m) => m.label)], rows);
}

function workloadSection(workloadResult, configs) {
  const parts = [pairTable(workloadResult, configs)];
  const cores = coresLine(workloadResult);
  if (cores) parts.push(cores);
  if (workloadResult.alone) parts.push(aloneTable(workloadResult, configs));
  if (Object.keys(workloadResult.sequential).length) parts.push(sequentialTable(workloadResult, configs));
  return parts.join('\n\n');
}

/** The A/A calibration of every workload: did the A/A pairs come out within 1 %? */
function calibration(overhead) {
  return Object.values(overhead).filter((w) => w.workload.kind !== 'startup').flatMap((w) => {
    // The servers' headline (requests served) and CPU per request; batch work's CPU time.
    const metrics = PAIR_METRICS[w.workload.kind].filter((m) => m.compare === 'ratio' && m.key !== 'p99').slice(0, 2);
    return metrics.map((metric) => {
      const stats = aa(w, metric);
      return { workload: w.workload.title, metric: metric.label, ...stats, within: stats.spread <= AA_LIMIT };
    });
  });
}

function calibrationTable(rows) {
  return table(['workload', 'A/A figure', 'A/A pairs, second side vs first: median [min, max]', 'spread', `within ${AA_LIMIT * 100} %`],
    rows.map((r) => [r.workload, r.metric, changeCell({ compare: 'ratio' }, r), `±${(r.spread * 100).toFixed(1)} %`, r.within ? 'yes' : '**no**']));
}

/**
 * The component preloads: per component, what it changes against bare node, beside this
 * workload's own A/A pairs; for the GC observer, collections a second and what one costs.
 */
function ablationTable(workloadResult, ablations) {
  const kind = workloadResult.workload.kind;
  const metrics = PAIR_METRICS[kind].filter((m) => m.unit !== 'MB');
  const header = ['component', 'group', ...metrics.map((m) => `${m.label} vs bare: median [min, max]`)];
  const rows = [['**A/A: bare vs bare** (spread)', '', ...metrics.map((m) => aaCell(m, aa(workloadResult, m)))]];
  for (const entry of ablations.filter((a) => workloadResult.configs.includes(a.id))) {
    rows.push([entry.label, entry.component, ...metrics.map((m) => changeCell(m, withSpread(comparisons(workloadResult, entry.id, m), m), aa(workloadResult, m)))]);
  }
  return table(header, rows);
}

/**
 * What one collection costs the observer, from its pairs: the CPU the observer's side
 * spent beyond bare's, over the collections it saw. For a server: (CPU per request,
 * observer - bare) x requests served / collections; for batch work: CPU time,
 * observer - bare, / collections.
 */
function gcCost(workloadResult, entry) {
  const perPair = [];
  for (const pair of workloadResult.pairs.filter((p) => p.config === entry.id && p.sides?.every(ok))) {
    const i = pair.order.indexOf(entry.id);
    const mine = pair.sides[i];
    const bare = pair.sides[1 - i];
    if (!mine.gc) continue;
    const seconds = mine.gc.seconds;
    const row = { collections: mine.gc.count, perSecond: mine.gc.count / seconds, byKind: mine.gc.byKind, gcMs: mine.gc.totalMs };
    if (workloadResult.workload.kind === 'http') {
      const cpuPerReq = (r) => r.servingCpuMs / r.servedRequests;
      row.perRequest = mine.gc.count / mine.servedRequests;
      row.costUs = ((cpuPerReq(mine) - cpuPerReq(bare)) * mine.servedRequests * 1000) / mine.gc.count;
    } else {
      row.costUs = ((mine.cpuMs - bare.cpuMs) * 1000) / mine.gc.count;
    }
    perPair.push(row);
  }
  return perPair;
}

function gcCostLine(workloadResult, ablations) {
  const entry = ablations.find((a) => a.gcCounts && workloadResult.configs.includes(a.id));
  if (!entry) return '';
  const rows = gcCost(workloadResult, entry);
  if (!rows.length) return '';
  if (rows.every((r) => r.collections === 0)) {
    return 'GC observer on this workload: it was handed no collection at all. Node delivers \'gc\' entries from the event loop, after the collection; this program does all its work before it yields to the loop, and at exit the entries still queued in Node are lost, so what the observer costs here is loading and connecting it.';
  }
  const m = (k) => summary(rows.map((r) => r[k])).median;
  const kinds = {};
  for (const r of rows) for (const [k, v] of Object.entries(r.byKind)) (kinds[k] ??= []).push(v.count);
  const kindText = Object.entries(kinds).map(([k, v]) => `${k} ${summary(v).median}`).join(', ');
  const perRequest = Number.isFinite(m('perRequest')) ? `, ${(m('perRequest') * 1000).toFixed(2)} per 1000 requests` : '';
  const cost = summary(rows.map((r) => r.costUs));
  return `GC observer on this workload: ${fmt(m('perSecond'), '')} collections a second (median over ${rows.length} runs; by kind: ${kindText})${perRequest}; ` +
    `${fmt(m('gcMs'), 'ms')} of pauses per run. CPU the observer's side spent beyond bare's, per collection: median ${fmt(cost.median, 'µs')} [${fmt(cost.min, '')}, ${fmt(cost.max, '')}].`;
}

/** Every target on every configuration it applies to: { target, config, workload, measured, aa, within, met }. */
function checkTargets(overhead, detection, configs) {
  const checks = [];
  for (const target of TARGETS) {
    for (const w of Object.values(overhead)) {
      if (target.kind !== 'all' && target.kind !== w.workload.kind) continue;
      // bench/pairs.js runs no startup alone: that target is npm run bench's.
      if (target.alone && !w.alone) continue;
      const metrics = target.alone ? ALONE_METRICS : PAIR_METRICS[w.workload.kind];
      const metric = metrics.find((m) => m.key === target.metric);
      if (!metric) continue;
      for (const config of configs.filter((c) => c.targets && w.configs.includes(c.id))) {
        const timedOut = w.pairs.some((p) => p.config === config.id && p.sides?.some((s) => s.timedOut));
        const compare = target.alone ? (id) => aloneComparisons(w, id, metric) : (id) => comparisons(w, id, metric);
        const stats = withSpread(compare(config.id), metric);
        const aaStats = withSpread(compare('bare'), metric);
        checks.push({
          target: target.text,
          config: config.label,
          workload: w.workload.title,
          measured: timedOut ? 'over the time limit' : changeCell(metric, stats),
          aa: spreadText(metric, aaStats),
          within: withinAa(metric, stats.median, aaStats),
          met: !timedOut && Number.isFinite(stats.median) && target.check(stats.median),
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
      aa: '',
      within: false,
      met: Number.isFinite(p95) && p95 <= limit,
    });
  }
  return checks;
}

function targetsTable(checks) {
  return table(['target', 'configuration', 'workload', 'measured vs bare: median [min, max]', 'A/A spread', 'result'],
    checks.map((c) => [c.target, c.config, c.workload, c.measured, c.aa, `${c.met ? 'met' : '**MISSED**'}${c.within ? ' (within A/A: cannot be told from no change)' : ''}`]));
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

module.exports = { pairTable, workloadSection, calibration, calibrationTable, ablationTable, gcCostLine, gcCost, checkTargets, targetsTable, detectionTable, firstSampleTable, table, comparisons, aa, withSpread };
