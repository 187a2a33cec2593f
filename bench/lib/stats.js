'use strict';
// Small statistics for benchmark runs: medians, ranges and percentiles.

function sorted(values) {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100) of the finite values; NaN when there are none. */
function percentile(values, p) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

function median(values) {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** { median, min, max, n } of the finite values. */
function summary(values) {
  const s = sorted(values);
  return { median: median(s), min: s.length ? s[0] : NaN, max: s.length ? s[s.length - 1] : NaN, n: s.length };
}

module.exports = { percentile, median, summary };
