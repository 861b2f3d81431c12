// An accuracy with its uncertainty: the Wilson score interval of a binomial proportion (Wilson
// 1927), the interval statsmodels' proportion_confint(method='wilson') gives. Chosen over the
// normal ("Wald") interval because it stays inside [0, 1] and keeps its coverage near 0 and 1
// and at the small n of our held-out sets (20-120 problems), where Wald collapses to a point.
// The normal quantile comes from jstat (jStat.normal.inv, accurate to the last digit against
// scipy.stats.norm.ppf); the formula is two lines.
import jStat from 'jstat';

/** z such that a standard normal lies in [-z, z] with probability `level` (1.959963984540054 for 0.95). */
export function normalQuantileTwoSided(level: number): number {
  if (!(level > 0 && level < 1)) throw new Error(`confidence level must be in (0, 1), got ${level}`);
  return jStat.normal.inv(1 - (1 - level) / 2, 0, 1);
}

export interface Proportion {
  /** successes / n (0 when n = 0). */
  p: number;
  successes: number;
  n: number;
  /** The Wilson interval at `level`; [0, 1] when n = 0. */
  lo: number;
  hi: number;
  level: number;
}

/** The Wilson score interval of `successes` out of `n` trials. */
export function wilson(successes: number, n: number, level = 0.95): Proportion {
  if (!Number.isInteger(n) || n < 0) throw new Error(`wilson: n must be a non-negative integer, got ${n}`);
  if (!(successes >= 0 && successes <= n)) throw new Error(`wilson: successes must be in [0, ${n}], got ${successes}`);
  if (n === 0) return { p: 0, successes, n, lo: 0, hi: 1, level };
  const z = normalQuantileTwoSided(level);
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return { p, successes, n, lo: Math.max(0, center - half), hi: Math.min(1, center + half), level };
}

/** "62.5% [53.6, 70.6]": a proportion in percent with its interval. */
export function formatProportion(x: Pick<Proportion, 'p' | 'lo' | 'hi'>, digits = 1): string {
  return `${(100 * x.p).toFixed(digits)}% [${(100 * x.lo).toFixed(digits)}, ${(100 * x.hi).toFixed(digits)}]`;
}
