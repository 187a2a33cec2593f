import { CATEGORIES } from '../../attribution/categories';

/**
 * The HTML report's stylesheet, inlined into the page (and allowed by its hash in the
 * Content-Security-Policy). Colours are custom properties with a light and a dark set,
 * chosen by prefers-color-scheme; categories keep their hue in both.
 */

/** One hue per stall category: the timeline's marks, the legend, the call-site table. */
const CATEGORY_HUES: Record<(typeof CATEGORIES)[number], number> = {
  // About 30 degrees apart around the colour wheel; threadpool starvation has its own band and red.
  regex: 0,
  js: 25,
  json: 55,
  gc: 85,
  module: 120,
  dns: 165,
  fs: 205,
  'sync-wait': 240,
  crypto: 275,
  zlib: 310,
  child_process: 340,
  threadpool: 15,
  // Native addon code: between crypto and zlib, a darker tone of its own.
  native: 295,
  // The host's stalls: grey like unknown time, which is what they are to the program.
  host: 210,
  unknown: 0,
};

const categoryRules = CATEGORIES.map((category) => {
  const hue = CATEGORY_HUES[category];
  const saturation = category === 'unknown' ? 0 : category === 'host' ? 12 : 70;
  return `.c-${category}{--hue:${hue};--sat:${saturation}%}`;
}).join('');

export const PAGE_STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--panel:#f6f8fa;--lane:#fafbfc;--lane-odd:#f0f3f6;
--accent:#0969da;--warn:#9a6700;--ok:#1a7f37;--focus:#bf3989;--pool:#d1242f;--gc:#7d8590;--mark-l:48%;--tip-bg:#1b1f24;--tip-fg:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--panel:#161b22;--lane:#0f141a;
--lane-odd:#151b23;--accent:#58a6ff;--warn:#d29922;--ok:#3fb950;--focus:#f778ba;--pool:#ff7b72;--gc:#9198a1;--mark-l:62%;--tip-bg:#e6edf3;--tip-fg:#0d1117}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main,header{max-width:1260px;margin:0 auto;padding:0 20px}
header{padding-top:16px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.verdict{font-size:16px;margin:4px 0 12px}
.verdict.bad strong{color:var(--pool)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
.totals{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0;padding:0;list-style:none}
.totals li{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:6px 10px}
.totals b{display:block;font-size:16px}
.slot{border:1px dashed var(--line);border-radius:6px;padding:6px 10px;color:var(--muted)}
.note{color:var(--muted)}
.timeline-box{overflow-x:auto;border:1px solid var(--line);border-radius:6px;background:var(--lane)}
svg.timeline{display:block;max-width:none}
.lane-bg{fill:var(--lane)}.lane-bg.odd{fill:var(--lane-odd)}
.lane-label{fill:var(--fg);font-size:12px}
.tick{stroke:var(--line);stroke-width:1}.tick-label{fill:var(--muted);font-size:11px}
.threshold{stroke:var(--muted);stroke-dasharray:3 3;stroke-width:.7}
.alive{stroke:var(--muted);stroke-width:1}
.mark{cursor:pointer;outline:none;stroke-linejoin:round}
.mark.loop{fill:hsl(var(--hue,0) var(--sat,0%) var(--mark-l));stroke:hsl(var(--hue,0) var(--sat,0%) calc(var(--mark-l) - 15%));stroke-width:.6}
.mark.pool{fill:var(--pool)}
.mark:hover,.mark.selected{stroke:var(--fg);stroke-width:1.5}
.mark:focus-visible{stroke:var(--focus);stroke-width:3}
.gc{fill:var(--gc)}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0;padding:0;list-style:none;color:var(--muted);font-size:12.5px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px;background:hsl(var(--hue,0) var(--sat,0%) var(--mark-l))}
.swatch.pool{background:var(--pool)}.swatch.gc{background:var(--gc)}
#tooltip{position:fixed;z-index:10;max-width:520px;pointer-events:none;background:var(--tip-bg);color:var(--tip-fg);border-radius:6px;padding:6px 9px;
font-size:12.5px;box-shadow:0 4px 14px #0004;overflow-wrap:anywhere}
#tooltip[hidden]{display:none}
#tooltip .op{font-weight:600}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th button::after{content:" \\2195";color:var(--muted)}
th[aria-sort=ascending] button::after{content:" \\2191"}th[aria-sort=descending] button::after{content:" \\2193"}
tbody.site>tr:first-child{cursor:pointer}
tbody.site{content-visibility:auto;contain-intrinsic-size:auto 32px}
tbody.site>tr:first-child:hover{background:var(--panel)}
button.expand{font:inherit;background:none;border:1px solid var(--line);border-radius:4px;color:inherit;width:24px;height:22px;padding:0;cursor:pointer}
button.expand[aria-expanded=true] span{display:inline-block;transform:rotate(90deg)}
button:focus-visible,a:focus-visible,[tabindex]:focus-visible{outline:2px solid var(--focus);outline-offset:1px}
.site-detail>td{background:var(--panel)}
.where{overflow-wrap:anywhere}
ol.stack{margin:4px 0 8px;padding-left:28px}
ol.stack li.program{font-weight:600}
ol.stack li.node,ol.stack li.builtin{color:var(--muted)}
.detail-cols{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media (max-width:900px){.detail-cols{grid-template-columns:1fr}}
.stall-links{display:flex;flex-wrap:wrap;gap:4px}
.stall-links button,.linkish{font:inherit;font-size:12.5px;background:var(--bg);border:1px solid var(--line);border-radius:4px;color:var(--accent);cursor:pointer;padding:1px 6px}
#flame{position:relative;border:1px solid var(--line);border-radius:6px;background:var(--lane);min-height:40px;overflow:hidden}
#flame button{position:absolute;height:20px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;text-align:left;font:12px/18px ui-monospace,Menlo,Consolas,monospace;
padding:0 4px;border:1px solid var(--bg);border-radius:2px;cursor:pointer;color:#111;background:hsl(var(--hue,210) var(--sat,15%) 78%)}
#flame button.program,.flame-program{--hue:28;--sat:85%}#flame button.dependency,.flame-dependency{--hue:200;--sat:60%}
#flame button.node,.flame-node{--hue:150;--sat:35%}#flame button.builtin,.flame-builtin{--hue:260;--sat:25%}#flame button.root{--sat:0%}
.swatch[class*=flame-]{background:hsl(var(--hue) var(--sat) 78%)}
#flame button:focus-visible{outline:2px solid var(--focus);z-index:2}
#flame-frame{min-height:1.5em}
.causes{margin:4px 0}
.time-bar{display:flex;height:10px;max-width:480px;border-radius:3px;overflow:hidden;border:1px solid var(--line);margin:2px 0 6px}
.time-bar span{display:block;height:100%}.time-bar .on-cpu{background:var(--accent)}.time-bar .run-queue{background:var(--warn)}.time-bar .off-cpu{background:var(--gc)}
.thread-time p{margin:4px 0}.thread-time .host{font-weight:600}
.swatch.on-cpu{background:var(--accent)}.swatch.run-queue{background:var(--warn)}.swatch.off-cpu{background:var(--gc)}
#gate-verdict{border:1px solid var(--line);border-left-width:4px;border-radius:6px;padding:4px 12px;margin:12px 0}
#gate-verdict.held{border-left-color:var(--ok)}#gate-verdict.broken{border-left-color:var(--pool)}
#gate-verdict h2{font-size:15px;margin:6px 0 2px;border:0;padding:0}#gate-verdict p{margin:6px 0;color:var(--muted)}
#gate-verdict ul{margin:4px 0 6px;padding-left:20px}#gate-verdict li{overflow-wrap:anywhere}
#gate-verdict li.held>strong{color:var(--ok)}#gate-verdict li.broken>strong{color:var(--pool)}
ul.threads{margin:0;padding-left:16px}.unwatched strong{color:var(--warn)}
#warnings{border:1px solid var(--warn);border-left-width:4px;border-radius:6px;padding:4px 12px;margin:12px 0;background:var(--panel)}
#warnings h2{font-size:15px;margin:6px 0 2px;border:0;padding:0}
#warnings ul{margin:4px 0 6px;padding-left:20px}#warnings li{overflow-wrap:anywhere}
${categoryRules}
`;
