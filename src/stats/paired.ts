// Comparing two models (or runs) on the SAME problems: per-problem outcomes are paired, so the
// tests use the pairs. McNemar's exact test (McNemar 1947; the exact, binomial form as
// statsmodels' mcnemar(exact=True)): under "no difference" the problems that flipped are equally
// likely to flip either way, so the smaller flip count is Binomial(flips, 1/2); two-sided p =
// min(1, 2 P[X <= min]). And a paired bootstrap (Efron & Tibshirani 1993): resample problems
// with replacement, keeping each problem's pair, and take the percentile interval of the
// difference in accuracy.
//
// The binomial tail is summed here rather than taken from jstat: jStat.binomial.cdf rounds to 10
// decimals (cdf(2, 12, 0.5) = 0.0192871094, exactly 0.019287109375; cdf(400, 1000, 0.5) = 1e-10,
// scipy 1.364e-10), and the @stdlib function pulls 229 packages. Summed in log space it is exact
// to ~1e-13 relative (checked against scipy.stats.binom.cdf in the tests).
import { Rng } from '../data/rng.js';

/** P[X <= m] for X ~ Binomial(n, 1/2). */
export function binomialHalfCdf(m: number, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(`binomialHalfCdf: n must be a non-negative integer, got ${n}`);
  if (m < 0) return 0;
  if (m >= n) return 1;
  // log C(n, i) - n log 2, accumulated; then log-sum-exp.
  const logs: number[] = [];
  let logC = 0;
  for (let i = 0; i <= m; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    logs.push(logC - n * Math.LN2);
  }
  const top = Math.max(...logs);
  return Math.min(1, Math.exp(top) * logs.reduce((a, l) => a + Math.exp(l - top), 0));
}

export interface McNemar {
  /** Problems right in A and wrong in B. */
  onlyA: number;
  /** Problems right in B and wrong in A. */
  onlyB: number;
  /** Exact two-sided p-value (1 when nothing flipped). */
  p: number;
}

/** McNemar's exact test from the two discordant counts. */
export function mcnemarExact(onlyA: number, onlyB: number): McNemar {
  const n = onlyA + onlyB;
  const p = n === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(onlyA, onlyB), n));
  return { onlyA, onlyB, p };
}

export interface PairedDifference {
  n: number;
  accuracyA: number;
  accuracyB: number;
  /** accuracyB - accuracyA. */
  diff: number;
  /** Percentile bootstrap interval of diff at `level`. */
  lo: number;
  hi: number;
  level: number;
  resamples: number;
  seed: number;
  mcnemar: McNemar;
}

/**
 * B - A over paired per-problem outcomes (true/1: correct; a share in [0, 1] for k samples): the difference in accuracy, its paired
 * bootstrap interval (seeded: the same inputs give the same interval) and McNemar's exact test.
 */
export function pairedDifference(
  a: readonly (boolean | number)[],
  b: readonly (boolean | number)[],
  o: { resamples?: number; seed?: number; level?: number } = {},
): PairedDifference {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} outcomes against ${b.length}; the problems must be the same`);
  const resamples = o.resamples ?? 10000,
    seed = o.seed ?? 0,
    level = o.level ?? 0.95;
  const n = a.length;
  // A number is a problem's share of correct samples (avg@k); McNemar counts a problem as solved
  // when more than half of its samples are (for one sample: when it is correct).
  const x = a.map(Number),
    y = b.map(Number);
  if (![...x, ...y].every((v) => v >= 0 && v <= 1)) throw new Error('pairedDifference: outcomes must be booleans or shares in [0, 1]');
  const d = x.map((v, i) => y[i]! - v);
  let onlyA = 0,
    onlyB = 0;
  x.forEach((v, i) => {
    const ra = v > 0.5,
      rb = y[i]! > 0.5;
    if (ra && !rb) onlyA++;
    else if (rb && !ra) onlyB++;
  });
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : 0);
  const diff = mean(d);
  let lo = diff,
    hi = diff;
  if (n > 0) {
    const rng = new Rng(seed);
    const stats = new Float64Array(resamples);
    for (let r = 0; r < resamples; r++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += d[rng.int(n)]!;
      stats[r] = s / n;
    }
    stats.sort();
    // numpy's percentile (linear interpolation), as scipy.stats.bootstrap(method='percentile').
    const q = (p: number) => {
      const h = (resamples - 1) * p,
        f = Math.floor(h);
      return stats[f]! + (h - f) * (stats[Math.min(f + 1, resamples - 1)]! - stats[f]!);
    };
    lo = q((1 - level) / 2);
    hi = q(1 - (1 - level) / 2);
  }
  return { n, accuracyA: mean(x), accuracyB: mean(y), diff, lo, hi, level, resamples, seed, mcnemar: mcnemarExact(onlyA, onlyB) };
}

/** "+12.5 points [4.2, 20.8], McNemar p = 0.006 (9 up, 1 down)". */
export function formatDifference(d: PairedDifference): string {
  const pts = (v: number) => (100 * v).toFixed(1);
  return `${d.diff >= 0 ? '+' : ''}${pts(d.diff)} points [${pts(d.lo)}, ${pts(d.hi)}], McNemar p = ${formatP(d.mcnemar.p)} (${d.mcnemar.onlyB} up, ${d.mcnemar.onlyA} down)`;
}

export function formatP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}
