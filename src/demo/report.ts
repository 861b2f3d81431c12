// The demo's self-contained HTML report: the run report of `rlvr report` (src/dashboard/: uPlot
// charts of the 1-shot RLVR run, sampled responses) with the demo's own charts (held-out
// accuracy per step, pretraining loss) and tables (before/after, the selected example, samples).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DASHES, type ChartSpec, type MarkerSpec } from '../dashboard/charts.js';
import { escapeHtml as esc } from '../dashboard/page.js';
import { renderRunReport } from '../dashboard/report.js';
import { SATURATION } from './saturation.js';
import { otherFamiliesLenient, outcomeBits, type DemoResult } from './result.js';
import { formatDifference, formatProportion, pairedDifference, wilson } from '../stats/index.js';

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
  /** Draw a dot at every point (sparse series such as validation). */
  dots?: boolean;
}

/** A chart of the report (drawn by uPlot in the page). */
export function lineChart(
  title: string,
  series: Series[],
  opts: { xLabel?: string; yLabel?: string; yMin?: number; yMax?: number; markers?: MarkerSpec[] } = {},
): ChartSpec {
  return {
    ...(opts.markers?.length ? { markers: opts.markers } : {}),
    id: title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    title,
    xLabel: opts.xLabel ?? 'step',
    yLabel: opts.yLabel ?? '',
    yRange: opts.yMin !== undefined && opts.yMax !== undefined ? [opts.yMin, opts.yMax] : undefined,
    series: series
      .filter((s) => s.points.length > 0)
      .map((s) => ({
        label: s.name,
        color: s.color,
        dash: s.dashed ? DASHES[1] : [],
        points: s.dots,
        x: s.points.map((p) => p[0]),
        y: s.points.map((p) => p[1]),
      })),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Line colors of the families (the trained one is named in the legend). */
const FAMILY_COLORS = ['#1f77b4', '#ff7f0e', '#9467bd', '#8c564b'];
/** The saturation marker's color (not used by any series of the charts it is drawn on). */
export const SATURATION_COLOR = '#e377c2';

export function renderReport(r: DemoResult): string {
  const steps = r.steps;
  const val = r.validation;
  const pi = `π${r.selected.rank}`;
  const markers: MarkerSpec[] =
    r.saturationStep === null
      ? []
      : [{ x: r.saturationStep, label: `train accuracy ≥ ${SATURATION * 100}% (step ${r.saturationStep})`, color: SATURATION_COLOR }];
  const accuracy = lineChart(
    'Accuracy per RLVR step',
    [
      { name: `train accuracy (${pi} rollouts)`, color: '#1f77b4', points: steps.map((m) => [m.step, m.trainAccuracy]) },
      { name: 'held-out accuracy (boxed, greedy)', color: '#d62728', points: val.map((v) => [v.step, v.accuracy]), dots: true },
      { name: 'held-out, any format', color: '#2ca02c', points: val.map((v) => [v.step, v.lenientAccuracy]), dashed: true, dots: true },
      {
        name: 'held-out families not trained on, any format',
        color: '#bcbd22',
        points: val.map((v) => [v.step, otherFamiliesLenient(v, r.trainedFamily)]),
        dots: true,
      },
    ],
    { xLabel: 'step', yLabel: 'accuracy (fraction)', yMin: 0, yMax: 1, markers },
  );
  const families0 = Object.keys(val[0]?.perFamily ?? {});
  const perFamily = lineChart(
    'Held-out accuracy per family (any format)',
    [
      ...families0.map((f, k) => ({
        name: f === r.trainedFamily ? `${f} (family of ${pi})` : f,
        color: FAMILY_COLORS[k % FAMILY_COLORS.length]!,
        dots: true,
        dashed: f === r.trainedFamily,
        points: val.map((v) => [v.step, v.perFamily[f]?.lenientAccuracy ?? 0] as [number, number]),
      })),
      { name: `train accuracy (${pi} rollouts)`, color: '#7f7f7f', points: steps.map((m) => [m.step, m.trainAccuracy] as [number, number]) },
    ],
    { xLabel: 'step', yLabel: 'accuracy (fraction)', yMin: 0, yMax: 1, markers },
  );
  const boxed = lineChart('Held-out boxed-answer rate', [{ name: 'boxed rate', color: '#17becf', points: val.map((v) => [v.step, v.boxedRate]), dots: true }], {
    xLabel: 'step',
    yLabel: 'share of responses',
    yMin: 0,
    yMax: 1,
  });
  const every = Math.max(1, Math.floor(r.pretrainLosses.length / 400));
  const loss = lineChart(
    'Pretraining loss (assistant tokens)',
    [{ name: 'cross-entropy', color: '#7f7f7f', points: r.pretrainLosses.map((l, i) => [i + 1, l] as [number, number]).filter((_, i) => i % every === 0) }],
    { xLabel: 'pretraining step', yLabel: 'cross-entropy (nats / token)' },
  );

  const b = r.before,
    a = r.after;
  const row = (name: string, x: string, y: string) => `<tr><td>${esc(name)}</td><td>${x}</td><td>${y}</td></tr>`;
  const families = Object.keys(b.perFamily);
  const famRows = families
    .map((f) =>
      row(
        `${f}${f === r.trainedFamily ? ` (the family of ${pi})` : ''}: accuracy (boxed) / any format / boxed rate`,
        `${pct(b.perFamily[f]!.accuracy)} / ${pct(b.perFamily[f]!.lenientAccuracy)} / ${pct(b.perFamily[f]!.boxedRate)}`,
        `${pct(a.perFamily[f]?.accuracy ?? 0)} / ${pct(a.perFamily[f]?.lenientAccuracy ?? 0)} / ${pct(a.perFamily[f]?.boxedRate ?? 0)}`,
      ),
    )
    .join('\n');
  // Spread the samples over the families.
  const n = b.responses.length;
  const picks = [0, 1, 2, 3].flatMap((k) => [0, Math.floor(n / 3), Math.floor((2 * n) / 3)].map((o) => o + k)).filter((i) => i < n);
  const sampleRows = picks.map((i) => {
    const x = b.responses[i]!,
      y = a.responses[i]!;
    return `<tr><td><code>${esc(x.question)}</code></td><td>${esc(x.gold)}</td><td class="${x.correct ? 'ok' : 'bad'}"><code>${esc(x.response)}</code></td><td class="${y.correct ? 'ok' : 'bad'}"><code>${esc(y.response)}</code></td></tr>`;
  });
  const ranking = r.ranking
    .slice(0, 10)
    .map(
      (e) =>
        `<tr><td>π${e.rank}</td><td><code>${esc(e.question)}</code></td><td>${e.accs.map((x) => x.toFixed(2)).join(' ')}</td><td>${e.variance.toFixed(4)}</td></tr>`,
    )
    .join('\n');
  const c = r.config,
    g = r.grpoConfig,
    t = r.times;
  // Intervals: Wilson 95% for each accuracy over the n held-out problems; each ablation against the
  // full-loss run on the same problems (paired bootstrap interval, McNemar's exact test).
  const nTest = r.test.length;
  const ci = (p: number) => formatProportion(wilson(Math.round(p * nTest), nTest));
  const bits = (s: string) => [...s].map((ch) => ch === '1');
  const full = r.ablations[0];
  const vsFull = (x: DemoResult['ablations'][number], i: number) =>
    i === 0 || !full ? '–' : esc(formatDifference(pairedDifference(bits(full.afterOutcomes), bits(x.afterOutcomes), { seed: r.config.seed })));
  const change = formatDifference(pairedDifference(bits(outcomeBits(b, r.test)), bits(outcomeBits(a, r.test)), { seed: r.config.seed }));
  const ablationRows = r.ablations
    .map(
      (x, i) =>
        `<tr><td>${esc(x.name)}</td><td><code>${esc(x.question)}</code> (${x.family})</td>` +
        `<td>${pct(x.before.accuracy)} → <b>${pct(x.after.accuracy)}</b></td><td>${pct(x.before.lenientAccuracy)} → <b>${ci(x.after.lenientAccuracy)}</b></td><td>${vsFull(x, i)}</td>` +
        `<td>${pct(x.before.otherFamiliesLenient)} → <b>${pct(x.after.otherFamiliesLenient)}</b></td><td>${pct(x.finalTrainAccuracy)}</td><td>${x.saturationStep ?? 'never'}</td></tr>`,
    )
    .join('\n');
  const saturation = postSaturationText(r);
  const ratio = b.accuracy > 0 ? `${(a.accuracy / b.accuracy).toFixed(2)}×` : 'n/a (before = 0)';
  const intro = `<p>A tiny Qwen2 (${c.layers} layers, hidden ${c.hidden}) pretrained from scratch on four synthetic arithmetic families. Its corpus
solves each problem either carefully (column by column, always right) or with a plausible flawed shortcut (usually wrong), the
careful way one time in four, so the base model has the skill but rarely uses it. It is then trained with GRPO on <b>one</b>
example (of the ${esc(r.trainedFamily)} family) chosen by historical variance. Held-out accuracy is greedy decoding scored by the paper's reward (the last <code>\\boxed{}</code> must hold the right answer);
"any format" takes the last integer of the response as its answer and so measures the arithmetic alone.</p>
<h2>Before / after</h2>
<table><tr><th>held-out (${b.responses.length} problems)</th><th>base model</th><th>after ${steps.length} steps of 1-shot RLVR</th></tr>
${row('accuracy (reward: boxed & correct)', `<b>${pct(b.accuracy)}</b>`, `<b>${pct(a.accuracy)}</b> (${ratio})`)}
${row('accuracy, any answer format [Wilson 95%]', ci(b.lenientAccuracy), ci(a.lenientAccuracy))}
${row('change, any format (paired, same problems)', '', esc(change))}
${row('boxed-answer rate', pct(b.boxedRate), pct(a.boxedRate))}
${row('mean response length (tokens)', b.meanLength.toFixed(1), a.meanLength.toFixed(1))}
${famRows}
</table>
<p>Time: pretraining ${t.pretrain.toFixed(0)} s, base evaluation ${t.evalBefore.toFixed(1)} s, selection ${t.selection.toFixed(0)} s,
1-shot RLVR ${t.rlvr.toFixed(0)} s, ablations ${t.ablations.toFixed(0)} s; total ${t.total.toFixed(0)} s.</p>
<h2>Post-saturation generalisation</h2>
<p>${saturation}</p>
<h2>Ablations (the paper's Table 5 shape)</h2>
<p>Each row starts from the same base model with the same seed and budget (${g.steps} steps); held-out accuracy before → after the run.
"Other families" is the any-format accuracy on the families its example does not belong to.</p>
<table><tr><th>run</th><th>example</th><th>held-out boxed</th><th>held-out any format [Wilson 95%]</th><th>vs the full loss (points [bootstrap 95%], McNemar)</th><th>other families, any format</th><th>final train accuracy</th><th>saturation step</th></tr>
${ablationRows}
</table>
<h2>Curves</h2>`;
  const outro = `<h2>The training example ${pi}</h2>
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
<code>selection/accuracy_history.json</code>, <code>pretrain.jsonl</code>, <code>summary.json</code>.</p>`;
  // The run's own charts (reward, entropy, KL, clip, grad norm, length, ...) follow the demo's; its
  // train-vs-validation chart is the demo's first chart, with the held-out metrics named.
  return renderRunReport([path.join(r.outDir, 'rlvr')], {
    title: `1-shot RLVR demo (seed ${c.seed})`,
    extraCharts: [accuracy, perFamily, boxed, loss],
    omitCharts: ['accuracy'],
    intro,
    outro,
  });
}

export function writeReport(r: DemoResult): void {
  fs.writeFileSync(r.reportFile, renderReport(r));
}

/** The post-saturation paragraph: the saturation step and what held-out accuracy did after it. */
export function postSaturationText(r: Pick<DemoResult, 'postSaturation' | 'saturationStep' | 'steps' | 'validation' | 'trainedFamily' | 'selected'>): string {
  const p = r.postSaturation;
  const pi = `π${r.selected.rank}`;
  if (r.saturationStep === null) return `Training accuracy on ${pi} did not reach ${SATURATION * 100}% within ${r.steps.length} steps.`;
  if (!p) return `Training accuracy on ${pi} first reached ${SATURATION * 100}% at step ${r.saturationStep}, after the last held-out evaluation.`;
  const at = r.validation.find((v) => v.step === p.atSaturation.step)!;
  const end = r.validation.find((v) => v.step === p.end.step)!;
  const best = p.best ? `; its highest after saturation was ${pct(p.best.value)} at step ${p.best.step}` : '';
  return (
    `Training accuracy on ${pi} first reached ${SATURATION * 100}% at step ${p.saturationStep} (the vertical line on the accuracy charts). ` +
    `Held-out accuracy in any format was ${pct(p.atSaturation.value)} at step ${p.atSaturation.step} (the first evaluation from saturation on) and ` +
    `${pct(p.end.value)} at step ${p.end.step}${best}. Of the ${p.evaluationsAfter} evaluations after step ${p.atSaturation.step}, ${p.rises} were higher than the one before ` +
    `and ${p.newHighs} set a new high${p.lastNewHighStep !== null ? ` (the last at step ${p.lastNewHighStep})` : ''}. ` +
    `After saturation ${p.stepsWithFailures} of ${p.stepsAfter} steps still had a failing rollout: GRPO normalises each group's rewards, so one failure among ` +
    `its rollouts still gives a full-size advantage, and Adam moves the weights by about lr per step whatever the gradient's scale — the policy keeps moving ` +
    `after the example is solved. ` +
    `On the families not trained on: ${pct(otherFamiliesLenient(at, r.trainedFamily))} → ${pct(otherFamiliesLenient(end, r.trainedFamily))}.`
  );
}
