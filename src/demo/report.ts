// The demo's self-contained HTML report: before/after table, the selected example, and inline
// SVG line charts (train vs held-out accuracy per step, entropy, response length, pretraining loss).
import * as fs from 'node:fs';
import type { DemoResult } from './pipeline.js';

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
  /** Draw a dot at every point (sparse series such as validation). */
  dots?: boolean;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceNumber(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** An SVG line chart with axes, ticks and a legend. */
export function lineChart(title: string, series: Series[], opts: { xLabel?: string; yMin?: number; yMax?: number; width?: number; height?: number } = {}): string {
  const W = opts.width ?? 560, H = opts.height ?? 320;
  // Legend entries flow left to right and wrap into rows under the x axis.
  const legend: { s: Series; x: number; row: number }[] = [];
  {
    let x = 52, row = 0;
    for (const s of series) {
      const w = 30 + s.name.length * 6.2;
      if (x + w > W - 8 && x > 52) { x = 52; row++; }
      legend.push({ s, x, row });
      x += w;
    }
  }
  const rows = legend.length ? legend[legend.length - 1]!.row + 1 : 0;
  const m = { l: 52, r: 16, t: 30, b: 44 + 16 * rows };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = opts.yMin ?? Math.min(...all.map((p) => p[1])), y1 = opts.yMax ?? Math.max(...all.map((p) => p[1]));
  if (!all.length) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y1 = y0 + 1; }
  const pad = opts.yMin === undefined || opts.yMax === undefined ? (y1 - y0) * 0.05 : 0;
  if (opts.yMin === undefined) y0 -= pad;
  if (opts.yMax === undefined) y1 += pad;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const yv = y0 + ((y1 - y0) * i) / 4;
    const y = sy(yv);
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${m.l - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="11">${niceNumber(yv)}</text>`);
    const xv = x0 + ((x1 - x0) * i) / 4;
    parts.push(`<text x="${sx(xv).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${niceNumber(xv)}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`);
  if (opts.xLabel) parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - m.b + 32}" text-anchor="middle" font-size="12">${esc(opts.xLabel)}</text>`);
  for (const { s, x: lx, row } of legend) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length) {
      const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      parts.push(`<path class="series" data-name="${esc(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
      if (s.dots) for (const [x, y] of pts) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
    const ly = H - m.b + 50 + 16 * row;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${lx + 22}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function renderReport(r: DemoResult): string {
  const steps = r.steps;
  const val = r.validation;
  const accuracy = lineChart('Accuracy per RLVR step', [
    { name: 'train accuracy (π1 rollouts)', color: '#1f77b4', points: steps.map((m) => [m.step, m.trainAccuracy]) },
    { name: 'held-out accuracy (boxed, greedy)', color: '#d62728', points: val.map((v) => [v.step, v.accuracy]), dots: true },
    { name: 'held-out, any format', color: '#2ca02c', points: val.map((v) => [v.step, v.lenientAccuracy]), dashed: true, dots: true },
  ], { xLabel: 'step', yMin: 0, yMax: 1 });
  const entropy = lineChart('Policy entropy (rollout tokens)', [
    { name: 'entropy', color: '#9467bd', points: steps.map((m) => [m.step, m.entropy]) },
  ], { xLabel: 'step', yMin: 0 });
  const length = lineChart('Response length (tokens)', [
    { name: 'train mean', color: '#ff7f0e', points: steps.map((m) => [m.step, m.responseLengthMean]) },
    { name: 'held-out mean (greedy)', color: '#8c564b', points: val.map((v) => [v.step, v.meanLength]), dots: true },
  ], { xLabel: 'step', yMin: 0 });
  const boxed = lineChart('Held-out boxed-answer rate', [
    { name: 'boxed rate', color: '#17becf', points: val.map((v) => [v.step, v.boxedRate]), dots: true },
  ], { xLabel: 'step', yMin: 0, yMax: 1 });
  const every = Math.max(1, Math.floor(r.pretrainLosses.length / 400));
  const loss = lineChart('Pretraining loss (assistant tokens)', [
    { name: 'cross-entropy', color: '#7f7f7f', points: r.pretrainLosses.map((l, i) => [i + 1, l] as [number, number]).filter((_, i) => i % every === 0) },
  ], { xLabel: 'step', yMin: 0 });

  const b = r.before, a = r.after;
  const row = (name: string, x: string, y: string) => `<tr><td>${esc(name)}</td><td>${x}</td><td>${y}</td></tr>`;
  const families = Object.keys(b.perFamily);
  const famRows = families.map((f) => row(`${f}: accuracy (boxed) / any format / boxed rate`,
    `${pct(b.perFamily[f]!.accuracy)} / ${pct(b.perFamily[f]!.lenientAccuracy)} / ${pct(b.perFamily[f]!.boxedRate)}`,
    `${pct(a.perFamily[f]?.accuracy ?? 0)} / ${pct(a.perFamily[f]?.lenientAccuracy ?? 0)} / ${pct(a.perFamily[f]?.boxedRate ?? 0)}`)).join('\n');
  // Spread the samples over the families.
  const n = b.responses.length;
  const picks = [0, 1, 2, 3].flatMap((k) => [0, Math.floor(n / 3), Math.floor((2 * n) / 3)].map((o) => o + k)).filter((i) => i < n);
  const sampleRows = picks.map((i) => {
    const x = b.responses[i]!, y = a.responses[i]!;
    return `<tr><td><code>${esc(x.question)}</code></td><td>${esc(x.gold)}</td><td class="${x.correct ? 'ok' : 'bad'}"><code>${esc(x.response)}</code></td><td class="${y.correct ? 'ok' : 'bad'}"><code>${esc(y.response)}</code></td></tr>`;
  });
  const ranking = r.ranking.slice(0, 10).map((e) => `<tr><td>π${e.rank}</td><td><code>${esc(e.question)}</code></td><td>${e.accs.map((x) => x.toFixed(2)).join(' ')}</td><td>${e.variance.toFixed(4)}</td></tr>`).join('\n');
  const c = r.config, g = r.grpoConfig, t = r.times;
  const ratio = b.accuracy > 0 ? `${(a.accuracy / b.accuracy).toFixed(2)}×` : 'n/a (before = 0)';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rlvr demo — seed ${c.seed}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.ok{background:#eaf7ea}.bad{background:#fbecec}code{font-size:12px;white-space:pre-wrap}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #eee;background:#fff}
</style></head><body>
<h1>1-shot RLVR demo (seed ${c.seed})</h1>
<p>A tiny Qwen2 (${c.layers} layers, hidden ${c.hidden}) pretrained from scratch on a synthetic arithmetic family whose answers are
written inconsistently (boxed / "The answer is" / bare), then trained with GRPO on <b>one</b> example chosen by historical
variance. Held-out accuracy is greedy decoding scored by the paper's reward (the last <code>\\boxed{}</code> must hold the right answer);
"any format" takes the last integer of the response as its answer and so measures the arithmetic alone.</p>
<h2>Before / after</h2>
<table><tr><th>held-out (${b.responses.length} problems)</th><th>base model</th><th>after ${steps.length} steps of 1-shot RLVR</th></tr>
${row('accuracy (reward: boxed & correct)', `<b>${pct(b.accuracy)}</b>`, `<b>${pct(a.accuracy)}</b> (${ratio})`)}
${row('accuracy, any answer format', pct(b.lenientAccuracy), pct(a.lenientAccuracy))}
${row('boxed-answer rate', pct(b.boxedRate), pct(a.boxedRate))}
${row('mean response length (tokens)', b.meanLength.toFixed(1), a.meanLength.toFixed(1))}
${famRows}
</table>
<p>Time: pretraining ${t.pretrain.toFixed(0)} s, base evaluation ${t.evalBefore.toFixed(1)} s, selection ${t.selection.toFixed(0)} s,
1-shot RLVR ${t.rlvr.toFixed(0)} s; total ${t.total.toFixed(0)} s.</p>
<h2>Curves</h2>
<div class="charts">
${accuracy}
${entropy}
${length}
${boxed}
${loss}
</div>
<h2>The training example π1</h2>
<p><code>${esc(r.selected.question)}</code> → ${esc(r.selected.answer)} (pool example ${r.selected.index}, historical variance ${r.selected.variance.toFixed(4)}).
The history is the per-epoch training accuracy of each pool example in a short GRPO run over the whole pool (${c.selectionEpochs} epochs), as in the paper's
selection (which used a full-set run); examples are ranked by its variance.</p>
<table><tr><th>rank</th><th>pool example</th><th>accuracy per epoch</th><th>variance</th></tr>
${ranking}
</table>
<h2>Held-out samples (greedy)</h2>
<table><tr><th>problem</th><th>gold</th><th>base model</th><th>after RLVR</th></tr>
${sampleRows.join('\n')}
</table>
<h2>Configuration</h2>
<pre>${esc(JSON.stringify({ demo: { ...c, grpo: undefined }, grpo: g }, null, 2))}</pre>
<p>Files: <code>base-model/</code> and <code>rlvr/final-model/</code> (HF folders), <code>rlvr/metrics.jsonl</code> (per step),
<code>selection/accuracy_history.json</code>, <code>pretrain.jsonl</code>, <code>summary.json</code>.</p>
</body></html>
`;
}

export function writeReport(r: DemoResult): void {
  fs.writeFileSync(r.reportFile, renderReport(r));
}
