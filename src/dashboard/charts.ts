// What the dashboard and the report plot: chart specifications computed from run data (pure, so
// both pages and the tests share them). The browser only draws them (uPlot, src/dashboard/page.ts).
// A chart appears when at least one run has its metric; several runs overlay in one chart.
import type { MetricsRow, RunData } from './run-data.js';
import { wilson } from '../stats/proportion.js';

export interface SeriesSpec {
  label: string;
  x: number[];
  y: (number | null)[];
  color: string;
  /**
   * Dash pattern (canvas setLineDash, px; empty or absent: solid). A run's k-th line gets DASHES[k],
   * so that with several runs (colour = run) every line of a chart is still told apart, in the
   * plot and in the legend (which draws the same pattern).
   */
  dash?: number[];
  /** Draw points (sparse series such as validation). */
  points?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** Fixed y range (fractions: [0, 1]); otherwise from the data. */
  yRange?: [number, number];
  /** Values are fractions (0-1): an automatic range stays within [0, 1] (all zero: [0, 1], not uPlot's 0-100). */
  fraction?: boolean;
  series: SeriesSpec[];
  /**
   * Vertical lines at given x values (e.g. the step where training accuracy saturated), drawn by a
   * uPlot draw hook in the page: a series cannot draw one (uPlot joins series on x and connects
   * points left to right, so two points at one x make no visible line).
   */
  markers?: MarkerSpec[];
}

export interface MarkerSpec {
  x: number;
  /** Written next to the line, at the top of the plot. */
  label: string;
  color: string;
}

/** Dash patterns of a run's lines in order: solid, dashed, dotted, dash-dot, long dash. */
export const DASHES: readonly number[][] = [[], [7, 4], [2, 3], [9, 3, 2, 3], [14, 5]];

// Tableau 10: distinct and readable on white.
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Color of a run's k-th series: by series when there is one run, by run when several overlay. */
function colorFor(runs: number, run: number, k: number): string {
  return PALETTE[(runs === 1 ? k : run) % PALETTE.length]!;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

interface Line {
  label: string;
  get: (m: MetricsRow) => number | null;
  points?: boolean;
}

/** One chart over every run: each run contributes its lines (those with at least one value). */
function chart(
  runs: readonly RunData[],
  id: string,
  title: string,
  yLabel: string,
  lines: (run: RunData) => Line[],
  yRange?: [number, number],
  fraction = yRange !== undefined,
): ChartSpec | null {
  const series: SeriesSpec[] = [];
  runs.forEach((run, r) => {
    lines(run).forEach((line, k) => {
      const rows = run.metrics.map((m) => [m.step, line.get(m)] as const).filter(([, y]) => y !== null);
      if (rows.length === 0) return;
      series.push({
        label: runs.length > 1 ? `${run.name}: ${line.label}` : line.label,
        x: rows.map(([x]) => x),
        y: rows.map(([, y]) => y),
        color: colorFor(runs.length, r, k),
        dash: DASHES[k % DASHES.length],
        points: line.points ?? rows.length < 30,
      });
    });
  });
  return series.length ? { id, title, xLabel: 'step', yLabel, yRange, fraction, series } : null;
}

const metric = (key: string) => (m: MetricsRow) => num(m[key]);

/** Validation keys whose values are fractions (accuracies, rates) vs the rest (lengths...). */
function validationKeys(run: RunData): { fractions: string[]; lengths: string[] } {
  const keys = new Set<string>();
  for (const m of run.metrics) for (const k of Object.keys(m.validation ?? {})) keys.add(k);
  const all = [...keys].sort((a, b) => (a === 'accuracy' ? -1 : b === 'accuracy' ? 1 : a.localeCompare(b)));
  const isLength = (k: string) => /length|tokens/i.test(k);
  return { fractions: all.filter((k) => !isLength(k)), lengths: all.filter(isLength) };
}

function rewardNames(run: RunData): string[] {
  const names = new Set<string>();
  for (const m of run.metrics) for (const k of Object.keys(m.rewardsByName ?? {})) names.add(k);
  return [...names];
}

/** Per-example training accuracy by epoch (accuracy_history.json): the examples of highest variance first, at most 12 per run. */
function historyChart(runs: readonly RunData[]): ChartSpec | null {
  const series: SeriesSpec[] = [];
  runs.forEach((run, r) => {
    if (!run.history) return;
    const entries = Object.entries(run.history).filter(([, accs]) => Array.isArray(accs) && accs.length > 0);
    const variance = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
    };
    entries.sort((a, b) => variance(b[1]) - variance(a[1]) || Number(a[0]) - Number(b[0]));
    entries.slice(0, 12).forEach(([index, accs], k) => {
      series.push({
        label: `${runs.length > 1 ? `${run.name}: ` : ''}example ${index}`,
        x: accs.map((_, e) => e + 1),
        y: accs.map(num),
        color: PALETTE[(runs.length === 1 ? k : r) % PALETTE.length]!,
        points: true,
        dash: runs.length === 1 ? [] : DASHES[k % DASHES.length],
      });
    });
  });
  return series.length
    ? {
        id: 'history',
        title: 'Per-example training accuracy by epoch',
        xLabel: 'epoch',
        yLabel: 'accuracy (fraction of rollouts)',
        yRange: [0, 1],
        fraction: true,
        series,
      }
    : null;
}

/** Every chart of the dashboard and the report, in display order. */
export function runCharts(runs: readonly RunData[]): ChartSpec[] {
  const charts: (ChartSpec | null)[] = [
    chart(runs, 'reward', "Reward (mean over the step's rollouts)", 'reward', (run) => [
      { label: 'reward', get: metric('rewardMean') },
      ...(rewardNames(run).length > 1 ? rewardNames(run).map((n) => ({ label: `reward ${n}`, get: (m: MetricsRow) => num(m.rewardsByName?.[n]) })) : []),
    ]),
    chart(
      runs,
      'accuracy',
      'Training vs validation accuracy',
      'accuracy (fraction)',
      (run) => [
        { label: 'train (rollouts)', get: metric('trainAccuracy') },
        ...validationKeys(run).fractions.map((k) => ({ label: `validation ${k}`, get: (m: MetricsRow) => num(m.validation?.[k]), points: true })),
        // The validation accuracy's Wilson 95% interval over the validation problems (validation.jsonl's n).
        ...(run.validationN
          ? (['lo', 'hi'] as const).map((side) => ({
              label: `validation accuracy 95% ${side === 'lo' ? 'low' : 'high'}`,
              points: true,
              get: (m: MetricsRow) => {
                const a = m.validation?.['accuracy'];
                if (typeof a !== 'number') return null;
                const w = wilson(Math.round(a * run.validationN!), run.validationN!);
                return side === 'lo' ? w.lo : w.hi;
              },
            }))
          : []),
      ],
      [0, 1],
    ),
    chart(runs, 'entropy', 'Policy entropy', 'entropy (nats / token)', () => [{ label: 'entropy', get: metric('entropy') }]),
    chart(runs, 'kl', 'KL to the reference model', 'KL (nats / token)', () => [{ label: 'KL', get: metric('kl') }]),
    chart(runs, 'clip', 'Clipped share of tokens (PPO ratio)', 'clip fraction', () => [{ label: 'clip fraction', get: metric('clipFrac') }], undefined, true),
    chart(runs, 'gradnorm', 'Gradient norm', 'L2 norm (before clipping)', () => [{ label: 'grad norm', get: metric('gradNorm') }]),
    chart(runs, 'length', 'Response length', 'tokens', (run) => [
      { label: 'mean', get: metric('responseLengthMean') },
      { label: 'max', get: metric('responseLengthMax') },
      ...validationKeys(run).lengths.map((k) => ({ label: `validation ${k}`, get: (m: MetricsRow) => num(m.validation?.[k]), points: true })),
    ]),
    chart(
      runs,
      'truncated',
      'Truncated responses (hit the length limit)',
      'share of rollouts',
      () => [{ label: 'truncated', get: metric('truncatedFrac') }],
      [0, 1],
    ),
    chart(
      runs,
      'zerovar',
      'Groups with zero reward variance (no gradient)',
      'share of groups',
      () => [{ label: 'zero-variance groups', get: metric('zeroVarianceGroupFrac') }],
      [0, 1],
    ),
    chart(runs, 'rewardstd', 'Reward standard deviation', 'reward std', () => [{ label: 'reward std', get: metric('rewardStd') }]),
    chart(runs, 'throughput', 'Rollout throughput', 'tokens / s', () => [{ label: 'tok/s', get: metric('tokensPerSecond') }]),
    chart(runs, 'time', 'Time per step', 'seconds', () => [
      { label: 'generation', get: metric('timeGeneration') },
      { label: 'log-probs', get: metric('timeLogprobs') },
      { label: 'update', get: metric('timeUpdate') },
    ]),
    historyChart(runs),
  ];
  return charts.filter((c): c is ChartSpec => c !== null);
}

/** The newest step of each run (shown in the page header). */
export function lastSteps(runs: readonly RunData[]): Record<string, number> {
  return Object.fromEntries(runs.map((r) => [r.name, r.metrics.at(-1)?.step ?? 0]));
}
