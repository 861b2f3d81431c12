// The summary of bench/cpu-step.ts: per case and phase, the median and min-max of our runs and
// TRL's, and TRL / ours as the ratio of the medians and as the median of the per-pair ratios
// (pair i = our run i and TRL's run i, interleaved). Pure: unit-tested in test/bench/.

/** The measured quantities of one run (seconds, bytes); both sides report the same keys. */
export const STEP_METRICS = ['step', 'generation', 'logprobs', 'update', 'peakRssBytes'] as const;
export type StepMetric = (typeof STEP_METRICS)[number];
export type StepRun = Record<StepMetric, number>;

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface MetricSummary {
  ours: Spread;
  trl: Spread;
  /** median(TRL) / median(ours): > 1 means TRL takes longer (or more memory). */
  ratioOfMedians: number;
  /** Median over pairs of TRL_i / ours_i (pairs run back to back share the machine's load). */
  medianPairRatio: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of nothing');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function spread(xs: readonly number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** One case's summary; `ours[i]` and `trl[i]` are pair i (the lists must be equally long). */
export function summarize(ours: readonly StepRun[], trl: readonly StepRun[]): Record<StepMetric, MetricSummary> {
  if (ours.length !== trl.length || ours.length === 0) throw new Error(`unpaired runs: ${ours.length} ours, ${trl.length} TRL`);
  const out = {} as Record<StepMetric, MetricSummary>;
  for (const k of STEP_METRICS) {
    const a = ours.map((r) => r[k]);
    const b = trl.map((r) => r[k]);
    const o = spread(a);
    const t = spread(b);
    out[k] = { ours: o, trl: t, ratioOfMedians: t.median / o.median, medianPairRatio: median(b.map((x, i) => x / a[i]!)) };
  }
  return out;
}

/** "median [min–max] unit": seconds with one decimal, bytes as GiB with two. */
function fmtSpread(k: StepMetric, s: Spread): string {
  const [f, unit] = k === 'peakRssBytes' ? [(x: number) => (x / 2 ** 30).toFixed(2), 'GiB'] : [(x: number) => x.toFixed(1), 's'];
  return `${f(s.median)} [${f(s.min)}–${f(s.max)}] ${unit}`;
}

/** A plain-text table: one row per case and metric (median [min–max] of each side, TRL/ours). */
export function formatTable(cases: readonly { name: string; summary: Record<StepMetric, MetricSummary> }[]): string {
  const rows = [['case', 'metric', 'ours median [min–max]', 'TRL median [min–max]', 'TRL/ours', 'pair ratio']];
  for (const c of cases) {
    for (const k of STEP_METRICS) {
      const m = c.summary[k];
      rows.push([c.name, k, fmtSpread(k, m.ours), fmtSpread(k, m.trl), `${m.ratioOfMedians.toFixed(2)}x`, `${m.medianPairRatio.toFixed(2)}x`]);
    }
  }
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows
    .map((r) =>
      r
        .map((x, j) => x.padEnd(widths[j]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
