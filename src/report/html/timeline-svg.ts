import type { Report } from '../schema';
import { formatDuration, formatMs } from '../to-text';
import { html, type Markup } from './escape';
import type { LaneIndex } from './lanes';

/**
 * The timeline, drawn as SVG when the report is written: one lane per event loop, all
 * on the run's time axis. In each lane:
 *
 *   delay   /|      /|    a stall is the event-loop delay it caused: a timer due when it
 *   ------ / | --- / | -  began ran late by its whole length at its end (a sawtooth);
 *                          height on a log scale, the dashed line is the threshold
 *   pool    ====           threadpool starvation episodes
 *   gc       |  |   |      GC pauses
 *
 * Stalls are focusable marks (one tab stop for the whole timeline, arrows move between
 * them: page-script.ts); the page's script shows a mark's call site when it is hovered
 * or focused, from the page data, by its `data-i`.
 */

const WIDTH = 1200;
const LABEL_WIDTH = 200;
const RIGHT_PAD = 14;
const AXIS_HEIGHT = 24;
const LANE_TOP_PAD = 6;
const DELAY_HEIGHT = 30;
const POOL_HEIGHT = 6;
const GC_HEIGHT = 5;
const BAND_GAP = 3;
const LANE_HEIGHT = LANE_TOP_PAD + DELAY_HEIGHT + BAND_GAP + POOL_HEIGHT + BAND_GAP + GC_HEIGHT + 8;
/** Marks narrower than this are widened so that they stay visible and can be pointed at. */
const MIN_MARK_WIDTH = 2;
const LABEL_CHARS = 26;

export function timelineSvg(report: Report, lanes: LaneIndex, span: { start: number; end: number }): Markup {
  const plotWidth = WIDTH - LABEL_WIDTH - RIGHT_PAD;
  const x = (t: number) => LABEL_WIDTH + ((t - span.start) / (span.end - span.start)) * plotWidth;
  const height = AXIS_HEIGHT + lanes.lanes.length * LANE_HEIGHT;
  const loopStalls = report.stalls.filter((s) => s.kind === 'event-loop');
  const maxMs = Math.max(report.thresholdMs * 2, ...loopStalls.map((s) => s.durationMs));
  // log(1 + ms / threshold): the threshold is a visible step, a 10 s stall still fits.
  const delayHeight = (ms: number) => (DELAY_HEIGHT * Math.log1p(ms / report.thresholdMs)) / Math.log1p(maxMs / report.thresholdMs);
  const laneTop = (lane: number) => AXIS_HEIGHT + lane * LANE_HEIGHT;
  const baseline = (lane: number) => laneTop(lane) + LANE_TOP_PAD + DELAY_HEIGHT;

  const background = lanes.lanes.map((lane, i) => {
    const top = laneTop(i);
    const base = baseline(i);
    const thresholdY = base - delayHeight(report.thresholdMs);
    const p = report.processes.find((proc) => proc.pid === lane.pid);
    // The line is how long the lane's event loop ran: its process's, or its thread's own.
    const thread = lane.threadId === null ? undefined : p?.threads?.find((t) => t.threadId === lane.threadId);
    const life = lane.threadId === null ? p : thread;
    const alive = life ? html`<line class="alive" x1="${n(x(life.startedAt))}" x2="${n(x(life.startedAt + life.durationMs))}" y1="${n(base)}" y2="${n(base)}"/>` : '';
    const title = p ? (lane.threadId === null ? p.argv.join(' ') : `worker thread ${lane.threadId}${thread?.name ? ` "${thread.name}"` : ''} of pid ${p.pid}: ${p.argv.join(' ')}`) : lane.label;
    return html`<g class="lane"><rect class="lane-bg${i % 2 ? ' odd' : ''}" x="0" y="${n(top)}" width="${WIDTH}" height="${LANE_HEIGHT}"/><text class="lane-label" x="${LABEL_WIDTH - 10}" y="${n(base - DELAY_HEIGHT / 2 + 4)}" text-anchor="end">${shorten(lane.label)}<title>${title}</title></text><line class="threshold" x1="${LABEL_WIDTH}" x2="${WIDTH - RIGHT_PAD}" y1="${n(thresholdY)}" y2="${n(thresholdY)}"/>${alive}</g>`;
  });

  let first = true;
  // One tab stop for the whole timeline, the first mark: the script moves it as focus
  // moves (a roving tabindex), and gives each mark its role and name when it is focused.
  const tabStop = () => {
    const attributes = first ? html` tabindex="0" role="button"` : '';
    first = false;
    return attributes;
  };
  const marks = report.stalls.map((stall, i) => {
    const lane = lanes.of(stall);
    let x0 = x(stall.start);
    const x1 = x(stall.start + stall.durationMs);
    if (x1 - x0 < MIN_MARK_WIDTH) x0 = x1 - MIN_MARK_WIDTH;
    if (stall.kind === 'threadpool') {
      const y = baseline(lane) + BAND_GAP;
      return html`<rect class="mark pool"${tabStop()} data-i="${i}" x="${n(x0)}" y="${n(y)}" width="${n(x1 - x0)}" height="${POOL_HEIGHT}"/>`;
    }
    const base = baseline(lane);
    const top = base - delayHeight(stall.durationMs);
    // The sawtooth's tooth: from the stall's start on the baseline up to its length at its end.
    return html`<path class="mark loop c-${stall.category}"${tabStop()} data-i="${i}" d="M${n(x0)} ${n(base)}L${n(x1)} ${n(top)}V${n(base)}Z"/>`;
  });

  const pauses = report.gcPauses.map((gc, i) => {
    const y = baseline(lanes.ofThread(gc.pid, gc.threadId)) + BAND_GAP + POOL_HEIGHT + BAND_GAP;
    const x0 = x(gc.start);
    const w = Math.max(1, x(gc.start + gc.durationMs) - x0);
    return html`<rect class="gc" data-g="${i}" x="${n(x0)}" y="${n(y)}" width="${n(w)}" height="${GC_HEIGHT}"/>`;
  });

  const ticks = axisTicks(span.end - span.start).map((t) => {
    const tx = x(span.start + t);
    return html`<line class="tick" x1="${n(tx)}" x2="${n(tx)}" y1="${AXIS_HEIGHT - 4}" y2="${height}"/><text class="tick-label" x="${n(tx)}" y="${AXIS_HEIGHT - 8}" text-anchor="middle">${formatTick(t)}</text>`;
  });

  const summary = `${loopStalls.length} event-loop stalls, ${report.stalls.length - loopStalls.length} threadpool stalls and ${report.gcPauses.length} GC pauses over ${formatDuration(span.end - span.start)}, ${laneCount(lanes)}`;
  return html`<svg id="timeline-svg" class="timeline" viewBox="0 0 ${WIDTH} ${n(height)}" width="${WIDTH}" height="${n(height)}" role="group" aria-label="${summary}">${background}${ticks}<g class="gc-pauses">${pauses}</g><g class="marks">${marks}</g></svg>`;
}

/** About eight ticks at 1, 2 or 5 times a power of ten milliseconds. */
function axisTicks(spanMs: number): number[] {
  const rough = spanMs / 8;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? power * 10;
  const ticks: number[] = [];
  for (let t = 0; t <= spanMs; t += step) ticks.push(t);
  return ticks;
}

function formatTick(ms: number): string {
  return ms === 0 ? '0' : ms < 1000 ? formatMs(ms) : formatDuration(ms);
}

/** Coordinates to a tenth of a unit: the drawing's resolution, and a short file. */
function n(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

function shorten(label: string): string {
  return label.length <= LABEL_CHARS ? label : `${label.slice(0, LABEL_CHARS - 1)}…`;
}

/** "2 processes", "1 process and 2 worker threads": what the lanes are. */
function laneCount(lanes: LaneIndex): string {
  const threads = lanes.lanes.filter((l) => l.threadId !== null).length;
  const processes = lanes.lanes.length - threads;
  const counted = `${processes} ${processes === 1 ? 'process' : 'processes'}`;
  return threads === 0 ? counted : `${counted} and ${threads} worker ${threads === 1 ? 'thread' : 'threads'}`;
}
