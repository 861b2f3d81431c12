// Generalised advantage estimation (Schulman et al. 2016, arXiv 1506.02438) for PPO with a critic,
// as verl 0.2 computes it (core_algos.compute_gae_advantage_return), per response token:
//
//   δ_t = r_t + γ·V_{t+1} − V_t          (V past the last token is 0: the episode ends there)
//   A_t = δ_t + γλ·A_{t+1}
//   R_t = A_t + V_t                      (the critic's regression target, before whitening)
//   A   ← (A − mean) / sqrt(var + 1e-8)  over every response token of the batch (masked_whiten, unbiased var)
//
// Inputs are ragged per sequence ([B][len_i]); verl's padded [B, T] form with values and rewards zero
// past each response's end gives the same numbers.

export interface GaeResult {
  /** Whitened advantages per token. */
  advantages: number[][];
  /** Returns (value targets) per token, from the un-whitened advantages. */
  returns: number[][];
}

export function gaeAdvantages(tokenRewards: readonly (readonly number[])[], values: readonly (readonly number[])[], gamma: number, lam: number): GaeResult {
  if (tokenRewards.length !== values.length) throw new Error(`gaeAdvantages: ${tokenRewards.length} reward rows but ${values.length} value rows`);
  const raw: number[][] = [];
  const returns: number[][] = [];
  tokenRewards.forEach((r, i) => {
    const v = values[i]!;
    if (r.length !== v.length) throw new Error(`gaeAdvantages: sequence ${i} has ${r.length} rewards but ${v.length} values`);
    const a = new Array<number>(r.length);
    let last = 0;
    for (let t = r.length - 1; t >= 0; t--) {
      const next = t + 1 < r.length ? v[t + 1]! : 0;
      const delta = r[t]! + gamma * next - v[t]!;
      last = delta + gamma * lam * last;
      a[t] = last;
    }
    raw.push(a);
    returns.push(a.map((x, t) => x + v[t]!));
  });
  return { advantages: maskedWhiten(raw), returns };
}

/** verl's masked_whiten over all tokens: (x − mean) · rsqrt(unbiased var + 1e-8). */
export function maskedWhiten(xs: readonly (readonly number[])[]): number[][] {
  const flat = xs.flat();
  const n = flat.length;
  if (n < 2) throw new Error(`maskedWhiten: needs at least 2 tokens, got ${n} (verl raises too)`);
  const mean = flat.reduce((s, x) => s + x, 0) / n;
  const variance = (flat.reduce((s, x) => s + (x - mean) ** 2, 0) / n) * (n / (n - 1));
  const scale = 1 / Math.sqrt(variance + 1e-8);
  return xs.map((row) => row.map((x) => (x - mean) * scale));
}
