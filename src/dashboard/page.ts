// The one page behind `rlvr dashboard` (live: polls the server) and `rlvr report` (static: data
// and uPlot inlined, one self-contained HTML file). Charts are drawn by uPlot (npm `uplot`, a small
// maintained canvas chart library) from the specs of charts.ts; whole-step ticks on the x axis,
// axis labels with units, runs overlaid; below them a browser of the saved rollouts per step
// with the extracted answer highlighted.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import type { ChartSpec } from './charts.js';
import type { RolloutRow } from './run-data.js';

/** What the page shows; the live page fetches a fresh one from /api/state. */
export interface PageState {
  title: string;
  /** Changes whenever any run's files change (the live page redraws only then). */
  version: string;
  charts: ChartSpec[];
  runs: { name: string; dir: string; lastStep: number; rolloutSteps: number[] }[];
}

export interface PageOptions {
  /** Poll the server for updates (dashboard) or not (report). */
  live: boolean;
  /** Static pages embed the rollouts: run name → step → rows. */
  rollouts?: Record<string, Record<number, RolloutRow[]>>;
  /** Extra HTML placed between the header and the charts (e.g. the demo's tables). */
  intro?: string;
  /** Extra HTML after the rollouts. */
  outro?: string;
}

const require = createRequire(import.meta.url);

/** uPlot's browser build and stylesheet, from node_modules (never a CDN). */
export function uplotAssets(): { js: string; css: string } {
  return {
    js: fs.readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: fs.readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/** JSON safe inside a <script> element. */
function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function renderPage(state: PageState, opts: PageOptions): string {
  const assets = opts.live ? null : uplotAssets();
  const head = assets
    ? `<style>${assets.css}</style>\n<script>${assets.js}</script>`
    : '<link rel="stylesheet" href="/uplot.css">\n<script src="/uplot.js"></script>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(state.title)}</title>
${head}
<style>
body{font-family:${FONT_STACK};margin:16px 24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 8px}#status{color:#666;font-size:13px}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #e4e4e4;padding:4px}
.uplot .u-title{font-size:14px;font-weight:600}
table{border-collapse:collapse;margin:8px 0 16px;background:#fff}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top;font-size:13px}
th{background:#f1f1f1}.ok{background:#eaf7ea}.bad{background:#fbecec}
pre.text{white-space:pre-wrap;max-height:260px;overflow:auto;margin:0;font-size:12px}
mark{background:#ffe066;padding:0 1px;border-radius:2px}
select{font-size:13px;margin-right:12px}
</style></head><body>
<h1>${escapeHtml(state.title)}</h1>
<div id="status"></div>
${opts.intro ?? ''}
<div class="charts" id="charts"></div>
<h2>Sampled responses</h2>
<div id="rollout-controls"></div>
<div id="rollouts"></div>
${opts.outro ?? ''}
<script>
const LIVE = ${opts.live ? 'true' : 'false'};
const EMBEDDED_ROLLOUTS = ${scriptJson(opts.rollouts ?? {})};
let state = ${scriptJson(state)};
${CLIENT}
</script>
</body></html>
`;
}

/**
 * Fonts of the page and of the canvas axes: the system UI font, then Noto CJK (Debian's
 * fonts-noto-cjk) so that Chinese / Japanese / Korean text in responses, run names and labels
 * renders as glyphs, not boxes.
 */
export const FONT_STACK =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Source Han Sans", "Microsoft YaHei", sans-serif';

// The browser side (plain JS: it runs in the page, not in Node).
const CLIENT =
  `const FONT_STACK = ${JSON.stringify(FONT_STACK)};\n` +
  String.raw`
const charts = new Map();
window.__rlvr = { charts, get state() { return state; } };
// Whole steps only: uPlot picks the first increment that leaves enough room between ticks.
const STEP_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000];

function chartWidth() {
  return Math.max(320, Math.min(560, Math.floor((document.body.clientWidth - 40) / 2)));
}

function chartData(spec) {
  return uPlot.join(spec.series.map((s) => [s.x, s.y]));
}

// Vertical marker lines (spec.markers) drawn on the plot's canvas after the series. 'holder'
// carries the current markers so that a live update can change them; what was drawn (x in data
// units, px in canvas pixels) is kept on the chart for tests.
function markerPlugin(holder) {
  return { hooks: { draw: [(u) => {
    const { ctx, bbox } = u;
    const dpr = window.devicePixelRatio || 1;
    const drawn = [];
    for (const m of holder.markers) {
      const px = Math.round(u.valToPos(m.x, 'x', true));
      if (!(px >= bbox.left && px <= bbox.left + bbox.width)) continue;
      ctx.save();
      ctx.strokeStyle = m.color;
      ctx.fillStyle = m.color;
      ctx.lineWidth = 2 * dpr;
      ctx.beginPath();
      ctx.moveTo(px, bbox.top);
      ctx.lineTo(px, bbox.top + bbox.height);
      ctx.stroke();
      ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
      ctx.textAlign = 'left'; // uPlot leaves its axis text settings on the context
      ctx.textBaseline = 'bottom';
      const w = ctx.measureText(m.label).width;
      // The label at the bottom of the plot (accuracy curves are high after saturation), on the
      // side of the line with room for it, on a white box so that lines under it do not hide it.
      const lx = px + 4 * dpr + w > bbox.left + bbox.width ? px - 4 * dpr - w : px + 4 * dpr;
      const ly = bbox.top + bbox.height - 3 * dpr;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(lx - 2 * dpr, ly - 14 * dpr, w + 4 * dpr, 14 * dpr);
      ctx.fillStyle = m.color;
      ctx.fillText(m.label, lx, ly);
      ctx.restore();
      drawn.push({ x: m.x, px, label: m.label, color: m.color });
    }
    holder.drawn = drawn;
  }] } };
}

// Tick labels with as many decimals as the tick spacing needs (a small range such as an entropy
// between 11.8961 and 11.8964 must not print "11.896" four times); big or tiny magnitudes in
// exponent form.
function tickLabels(u, vals) {
  const finite = vals.filter((v) => v != null && Number.isFinite(v));
  if (finite.length === 0) return vals.map(() => '');
  let step = Infinity;
  for (let i = 1; i < finite.length; i++) step = Math.min(step, Math.abs(finite[i] - finite[i - 1]));
  const big = Math.max(...finite.map(Math.abs));
  if (big >= 1e6 || (big > 0 && big < 1e-4)) {
    const digits = Number.isFinite(step) && step > 0 ? Math.min(12, Math.max(1, Math.ceil(Math.log10(big / step)) + 1)) : 3;
    return vals.map((v) => (v == null ? '' : v === 0 ? '0' : v.toExponential(digits - 1)));
  }
  const decimals = Number.isFinite(step) && step > 0 ? Math.min(12, Math.max(0, -Math.floor(Math.log10(step) + 1e-9))) : 2;
  return vals.map((v) => (v == null ? '' : v.toFixed(decimals)));
}

// The y range: fixed (spec.yRange), or from the data; all-zero data gets [0, 1] (uPlot's default
// for a flat zero series is 0-100, which reads as a percentage); fractions stay within [0, 1].
function yScale(spec) {
  if (spec.yRange) return { range: spec.yRange };
  return { auto: true, range: (u, min, max) => {
    if (min == null || max == null) return [0, 1];
    if (min === 0 && max === 0) return [0, 1];
    const [lo, hi] = uPlot.rangeNum(min, max, 0.1, true);
    return spec.fraction ? [Math.max(0, lo), Math.min(1, hi)] : [lo, hi];
  } };
}

// The legend's swatch of every series: a short line with the series' colour AND dash pattern
// (uPlot's own swatch shows the colour only: with several runs, colour marks the run and two
// lines of one run would look the same).
function legendSwatches(el, spec) {
  const rows = el.querySelectorAll('.u-legend .u-series');
  spec.series.forEach((s, i) => {
    const marker = rows[i + 1] && rows[i + 1].querySelector('.u-marker');
    if (!marker) return;
    const dash = (s.dash || []).join(' ');
    marker.style.border = 'none';
    marker.style.background = 'none';
    marker.style.width = '30px';
    marker.innerHTML = '<svg width="30" height="10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5" stroke="' + s.color +
      '" stroke-width="2.5"' + (dash ? ' stroke-dasharray="' + dash + '"' : '') + '/></svg>';
    marker.dataset.dash = dash || 'solid';
    marker.dataset.color = s.color;
  });
}

function chartOptions(spec, holder) {
  const font = '12px ' + FONT_STACK;
  return {
    plugins: [markerPlugin(holder)],
    title: spec.title, width: chartWidth(), height: 260,
    scales: { x: { time: false }, y: yScale(spec) },
    axes: [
      { label: spec.xLabel, incrs: STEP_INCRS, font, labelFont: 'bold ' + font, values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? String(v) : '')) },
      { label: spec.yLabel, size: 72, font, labelFont: 'bold ' + font, values: tickLabels },
    ],
    series: [
      { label: spec.xLabel },
      ...spec.series.map((s) => ({
        label: s.label, stroke: s.color, width: 1.6, dash: s.dash && s.dash.length ? s.dash : undefined, spanGaps: true,
        points: { show: !!s.points, size: 5, fill: s.color },
      })),
    ],
  };
}

function drawCharts() {
  const root = document.getElementById('charts');
  const seen = new Set();
  for (const spec of state.charts) {
    seen.add(spec.id);
    const signature = JSON.stringify([spec.title, spec.series.map((s) => s.label)]);
    const data = chartData(spec);
    const have = charts.get(spec.id);
    if (have && have.signature === signature) {
      have.markers.markers = spec.markers || [];
      have.u.setData(data);
      continue;
    }
    if (have) { have.u.destroy(); have.el.remove(); }
    const el = document.createElement('div');
    el.className = 'chart';
    el.dataset.chart = spec.id;
    root.appendChild(el);
    const markers = { markers: spec.markers || [], drawn: [] };
    charts.set(spec.id, { u: new uPlot(chartOptions(spec, markers), data, el), el, signature, markers });
    legendSwatches(el, spec);
  }
  for (const [id, c] of charts) if (!seen.has(id)) { c.u.destroy(); c.el.remove(); charts.delete(id); }
  const steps = state.runs.map((r) => r.name + ': step ' + r.lastStep).join(' · ');
  document.getElementById('status').textContent = (LIVE ? 'live · updated ' + new Date().toLocaleTimeString() + ' · ' : '') + steps;
}

// ---- rollouts ----
function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

// The extracted answer in context: the last \boxed{...} when there is one, else the last occurrence of the answer.
function highlight(text, extracted) {
  let start = text.lastIndexOf('\\boxed{');
  let end = -1;
  if (start >= 0) {
    let depth = 0;
    for (let i = start + 6; i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) { end = i + 1; break; }
    }
  }
  if (end < 0 && extracted) {
    start = text.lastIndexOf(extracted);
    end = start >= 0 ? start + extracted.length : -1;
  }
  if (start < 0 || end < 0) return esc(text);
  return esc(text.slice(0, start)) + '<mark>' + esc(text.slice(start, end)) + '</mark>' + esc(text.slice(end));
}

let rolloutRun = null;
let rolloutStep = null;

async function rolloutRows(run, step) {
  if (!LIVE) return (EMBEDDED_ROLLOUTS[run] || {})[step] || [];
  const r = await fetch('/api/rollouts?run=' + encodeURIComponent(run) + '&step=' + step);
  return r.ok ? r.json() : [];
}

function drawRolloutControls() {
  const runs = state.runs.filter((r) => r.rolloutSteps.length > 0);
  const box = document.getElementById('rollout-controls');
  if (runs.length === 0) {
    box.innerHTML = '<p>No rollouts saved (rollouts.jsonl) in ' + (state.runs.length > 1 ? 'these runs' : 'this run') + '.</p>';
    return;
  }
  const follow = rolloutStep === null || (rolloutRun && rolloutStep === lastStepOf(rolloutRun, true));
  if (!rolloutRun || !runs.some((r) => r.name === rolloutRun)) rolloutRun = runs[0].name;
  const run = runs.find((r) => r.name === rolloutRun);
  if (follow || !run.rolloutSteps.includes(rolloutStep)) rolloutStep = run.rolloutSteps[run.rolloutSteps.length - 1];
  box.innerHTML = 'run <select id="rollout-run">' + runs.map((r) => '<option' + (r.name === rolloutRun ? ' selected' : '') + '>' + esc(r.name) + '</option>').join('') + '</select>' +
    'step <select id="rollout-step">' + run.rolloutSteps.map((s) => '<option' + (s === rolloutStep ? ' selected' : '') + '>' + s + '</option>').join('') + '</select>';
  document.getElementById('rollout-run').onchange = (e) => { rolloutRun = e.target.value; rolloutStep = null; drawRolloutControls(); };
  document.getElementById('rollout-step').onchange = (e) => { rolloutStep = Number(e.target.value); drawRollouts(); };
  drawRollouts();
}

function lastStepOf(name, withRollouts) {
  const r = state.runs.find((x) => x.name === name);
  return r ? (withRollouts ? r.rolloutSteps[r.rolloutSteps.length - 1] : r.lastStep) : null;
}

let shownRollouts = '';
async function drawRollouts() {
  const key = rolloutRun + '@' + rolloutStep;
  const rows = await rolloutRows(rolloutRun, rolloutStep);
  const html = '<table><tr><th>prompt</th><th>sample</th><th>reward</th><th>extracted answer</th><th>tokens</th><th>response</th></tr>' +
    rows.map((r) => '<tr class="' + (r.reward > 0 ? 'ok' : 'bad') + '"><td>' + r.promptId + '</td><td>' + r.sample + '</td><td>' + Number(r.reward).toFixed(3) +
      '</td><td><code>' + (r.extracted === null || r.extracted === undefined ? '—' : esc(r.extracted)) + '</code></td><td>' + r.length + (r.truncated ? ' (truncated)' : '') +
      '</td><td><pre class="text">' + highlight(r.text, r.extracted) + '</pre></td></tr>').join('') + '</table>';
  if (key + html === shownRollouts) return;
  shownRollouts = key + html;
  document.getElementById('rollouts').innerHTML = html;
}

// ---- live updates ----
async function poll() {
  try {
    const r = await fetch('/api/state?since=' + encodeURIComponent(state.version), { cache: 'no-store' });
    if (r.status === 200) {
      state = await r.json();
      drawCharts();
      drawRolloutControls();
    }
  } catch (e) {
    document.getElementById('status').textContent = 'dashboard server unreachable (' + e + '); retrying';
  }
  setTimeout(poll, 1000);
}

drawCharts();
drawRolloutControls();
if (LIVE) setTimeout(poll, 1000);
`;
