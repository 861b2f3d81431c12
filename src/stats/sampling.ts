// Metrics over k sampled responses per problem (the paper's avg@k for AIME/AMC; Chen et al. 2021
// "Evaluating Large Language Models Trained on Code", section 2.1, for pass@k; maj@k as in
// Wang et al. 2023, self-consistency). Inputs are per problem, in sample order.

/**
 * The unbiased pass@k estimator of Chen et al. 2021 for one problem with n samples of which c are
 * correct: 1 - C(n-c, k) / C(n, k), computed as their numerically stable product
 * 1 - prod_{i=n-c+1..n} (1 - k / i).
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new Error(`passAtK: need integers 0 <= c <= n and 1 <= k <= n, got n=${n} c=${c} k=${k}`);
  }
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** pass@k for every k from 1 to the samples drawn, averaged over problems: index k-1 holds pass@k. */
export function passAtKCurve(correct: readonly (readonly boolean[])[]): number[] {
  if (correct.length === 0) return [];
  const n = Math.min(...correct.map((c) => c.length));
  if (n === 0) return [];
  const out: number[] = [];
  for (let k = 1; k <= n; k++) {
    out.push(correct.reduce((a, c) => a + passAtK(c.length, c.filter(Boolean).length, k), 0) / correct.length);
  }
  return out;
}

export interface AvgAtK {
  /** Mean accuracy over all problems and samples (avg@k). */
  mean: number;
  /** Accuracy of each sample index j (the j-th response of every problem): k numbers. */
  perSample: number[];
  /** Their sample standard deviation (n-1; 0 for k = 1): how much one decoding pass varies. */
  std: number;
  min: number;
  max: number;
}

/** avg@k and its spread over the k samples. Every problem must have the same number of samples. */
export function avgAtK(correct: readonly (readonly boolean[])[]): AvgAtK {
  if (correct.length === 0) return { mean: 0, perSample: [], std: 0, min: 0, max: 0 };
  const k = correct[0]!.length;
  if (correct.some((c) => c.length !== k)) throw new Error('avgAtK: every problem needs the same number of samples');
  const perSample = Array.from({ length: k }, (_, j) => correct.reduce((a, c) => a + (c[j] ? 1 : 0), 0) / correct.length);
  const mean = perSample.reduce((a, b) => a + b, 0) / Math.max(1, k);
  const std = k > 1 ? Math.sqrt(perSample.reduce((a, x) => a + (x - mean) ** 2, 0) / (k - 1)) : 0;
  return { mean, perSample, std, min: Math.min(...perSample), max: Math.max(...perSample) };
}

/**
 * maj@k for one problem: the answer given most often among the first k samples (ties: the one
 * reached first) is correct. `answers[j]` is sample j's extracted answer (null: none; never
 * counted as a vote) and `correct[j]` its verdict; samples with equal answers share a verdict.
 */
export function majorityCorrect(answers: readonly (string | null)[], correct: readonly boolean[], k = answers.length): boolean {
  const votes = new Map<string, { n: number; first: number; correct: boolean }>();
  for (let j = 0; j < Math.min(k, answers.length); j++) {
    const a = answers[j];
    if (a === null || a === undefined) continue;
    const v = votes.get(a) ?? { n: 0, first: j, correct: correct[j]! };
    v.n++;
    votes.set(a, v);
  }
  let best: { n: number; first: number; correct: boolean } | null = null;
  for (const v of votes.values()) if (!best || v.n > best.n || (v.n === best.n && v.first < best.first)) best = v;
  return best?.correct ?? false;
}

/** maj@k over problems: the share of problems whose majority answer (first k samples) is correct. */
export function majAtK(problems: readonly { answers: readonly (string | null)[]; correct: readonly boolean[] }[], k?: number): number {
  if (problems.length === 0) return 0;
  return problems.reduce((a, p) => a + (majorityCorrect(p.answers, p.correct, k) ? 1 : 0), 0) / problems.length;
}
