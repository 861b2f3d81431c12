// Ablations: the same data and seed under several presets, one run after another, compared in one
// table (the paper's Table 5 style). Each variant is an ordinary run folder (run_config.json,
// metrics.jsonl, checkpoints/) under the ablation folder; comparison.json lists them for overlays.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StepMetrics } from './trainer.js';
import { formatP, pairedDifference, wilson } from '../stats/index.js';

export interface RunSummary {
  /** The preset (variant) name. */
  preset: string;
  /** The variant's run folder, relative to the ablation folder. */
  runDir: string;
  steps: number;
  seconds: number;
  /** Training accuracy (mean over the step's rollouts) at the first and the last step. */
  trainAccuracyFirst: number;
  trainAccuracyLast: number;
  /** Mean training accuracy over the last quarter of the steps (less noisy than the last step). */
  trainAccuracyTail: number;
  /** First step whose rollouts were all correct (the paper's "saturation"), or null. */
  stepsToSaturation: number | null;
  /** Validation accuracy at step 0 and at the end, when validation ran. */
  validationBefore: number | null;
  validationAfter: number | null;
  /** Best validation accuracy and its step. */
  validationBest: number | null;
  validationBestStep: number | null;
  /** Mean response length at the last step. */
  responseLengthLast: number;
  /** Validation problems (null: unknown), for the Wilson intervals. */
  validationN?: number | null;
  /** The last validation's per-problem outcomes ('1'/'0', problem order; from validation.jsonl), for paired tests. */
  validationOutcomes?: string | null;
}

/** First step with training accuracy ≥ threshold (default 1: every rollout correct), or null. */
export function stepsToSaturation(metrics: readonly StepMetrics[], threshold = 1): number | null {
  const m = metrics.find((x) => x.trainAccuracy >= threshold - 1e-12);
  return m ? m.step : null;
}

/**
 * Summary of one variant. `validation` holds (step, accuracy) pairs, step 0 being before training;
 * `key` picks the accuracy out of StepMetrics.validation when validation is read from metrics.
 */
export function summarizeRun(
  preset: string,
  runDir: string,
  metrics: readonly StepMetrics[],
  validation: readonly { step: number; accuracy: number; n?: number }[],
  seconds: number,
  outcomes: string | null = null,
): RunSummary {
  const n = metrics.length;
  const tail = metrics.slice(Math.floor((3 * n) / 4));
  const best = validation.length ? validation.reduce((a, b) => (b.accuracy > a.accuracy ? b : a)) : null;
  const v0 = validation.find((v) => v.step === 0);
  const vLast = validation.length ? validation.reduce((a, b) => (b.step > a.step ? b : a)) : null;
  return {
    preset,
    runDir,
    steps: n,
    seconds,
    trainAccuracyFirst: n ? metrics[0]!.trainAccuracy : 0,
    trainAccuracyLast: n ? metrics[n - 1]!.trainAccuracy : 0,
    trainAccuracyTail: tail.length ? tail.reduce((a, m) => a + m.trainAccuracy, 0) / tail.length : 0,
    stepsToSaturation: stepsToSaturation(metrics),
    validationBefore: v0 ? v0.accuracy : null,
    validationAfter: vLast && vLast.step > 0 ? vLast.accuracy : null,
    validationBest: best ? best.accuracy : null,
    validationBestStep: best ? best.step : null,
    responseLengthLast: n ? metrics[n - 1]!.responseLengthMean : 0,
    validationN: validation.find((x) => typeof x.n === 'number')?.n ?? (outcomes ? outcomes.length : null),
    validationOutcomes: outcomes,
  };
}

/** The last validation's per-problem outcomes of a run folder (validation.jsonl), or null. */
export function readFinalOutcomes(runDir: string): string | null {
  const file = path.join(runDir, 'validation.jsonl');
  if (!fs.existsSync(file)) return null;
  const rows = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { step: number | null; outcomes: string });
  return rows.length ? rows[rows.length - 1]!.outcomes : null;
}

/** The comparison as a Markdown table. */
export function comparisonTable(rows: readonly RunSummary[]): string {
  const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);
  // Validation after, with its Wilson 95% interval when the problem count is known.
  const withCi = (x: number | null, n: number | null | undefined) => {
    if (x === null || !n) return pct(x);
    const w = wilson(Math.round(x * n), n);
    return `${pct(x)} [${(100 * w.lo).toFixed(1)}, ${(100 * w.hi).toFixed(1)}]`;
  };
  // Each variant against the first one on the same validation problems: paired bootstrap and McNemar.
  const first = rows[0];
  const vsFirst = (r: RunSummary, i: number) => {
    if (i === 0 || !first?.validationOutcomes || !r.validationOutcomes || first.validationOutcomes.length !== r.validationOutcomes.length) return '–';
    const bits = (s: string) => [...s].map((c) => c === '1');
    const d = pairedDifference(bits(first.validationOutcomes), bits(r.validationOutcomes), { seed: 0 });
    return `${d.diff >= 0 ? '+' : ''}${(100 * d.diff).toFixed(1)} [${(100 * d.lo).toFixed(1)}, ${(100 * d.hi).toFixed(1)}], p ${formatP(d.mcnemar.p)}`;
  };
  const header = [
    'preset',
    'steps',
    'train acc first → last (last ¼)',
    'saturated at step',
    'validation before → after [95% CI]',
    `after vs ${first?.preset ?? 'first'} (points [95% CI], McNemar p)`,
    'best validation (step)',
    'len',
    'seconds',
  ];
  const lines = rows.map((r, i) => [
    r.preset,
    String(r.steps),
    `${pct(r.trainAccuracyFirst)} → ${pct(r.trainAccuracyLast)} (${pct(r.trainAccuracyTail)})`,
    r.stepsToSaturation === null ? 'never' : String(r.stepsToSaturation),
    `${pct(r.validationBefore)} → ${withCi(r.validationAfter, r.validationN)}`,
    vsFirst(r, i),
    r.validationBest === null ? '–' : `${pct(r.validationBest)} (${r.validationBestStep})`,
    r.responseLengthLast.toFixed(1),
    r.seconds.toFixed(0),
  ]);
  const all = [header, ...lines];
  const w = header.map((_, j) => Math.max(...all.map((l) => l[j]!.length)));
  const fmt = (l: string[]) => `| ${l.map((c, j) => c.padEnd(w[j]!)).join(' | ')} |`;
  return [fmt(header), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

/** Writes comparison.json (machine-readable, lists the run folders) and comparison.md; returns the table. */
export function writeComparison(dir: string, rows: readonly RunSummary[], meta: Record<string, unknown> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const table = comparisonTable(rows);
  fs.writeFileSync(
    path.join(dir, 'comparison.json'),
    JSON.stringify(
      {
        kind: 'rlvr-ablation',
        ...meta,
        runs: rows.map((r) => ({ name: r.preset, dir: r.runDir, metrics: path.join(r.runDir, 'metrics.jsonl') })),
        summary: rows,
      },
      null,
      2,
    ) + '\n',
  );
  fs.writeFileSync(path.join(dir, 'comparison.md'), table + '\n');
  return table;
}

/** Reads a run folder's metrics.jsonl: the step rows and the validation points (step 0 included). */
export function readRunMetrics(runDir: string, validationKey = 'accuracy'): { steps: StepMetrics[]; validation: { step: number; accuracy: number }[] } {
  const file = path.join(runDir, 'metrics.jsonl');
  const rows = fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Partial<StepMetrics> & { step: number })
    : [];
  const steps = rows.filter((r) => typeof r.trainAccuracy === 'number') as StepMetrics[];
  const validation = rows
    .filter((r) => r.validation && typeof r.validation[validationKey] === 'number')
    .map((r) => ({ step: r.step, accuracy: r.validation![validationKey]! }));
  return { steps, validation };
}
