// Token-level rewards with the KL penalty folded in (verl's apply_kl_penalty, kl_penalty 'kl', fixed
// controller): the outcome reward sits on the last response token and every token pays
// β · (logp_old − logp_ref). Outcome estimators (GRPO, RLOO) then use the sum over the sequence,
// GAE uses the tokens.

/** r_t = [t = last] · score − β · (old_t − ref_t); refLogp null (or β = 0) gives the bare outcome reward. */
export function tokenLevelRewards(
  scores: readonly number[],
  oldLogp: readonly (readonly number[])[],
  refLogp: readonly (readonly number[])[] | null,
  beta: number,
): number[][] {
  return scores.map((s, i) => {
    const old = oldLogp[i]!;
    const r = new Array<number>(old.length).fill(0);
    if (refLogp && beta !== 0) {
      const ref = refLogp[i]!;
      for (let t = 0; t < r.length; t++) r[t] = -beta * (old[t]! - ref[t]!);
    }
    if (r.length > 0) r[r.length - 1]! += s;
    return r;
  });
}

/** Mean over sequences of each sequence's mean token KL (old − ref): verl's 'critic/kl' metric. */
export function meanSequenceKL(oldLogp: readonly (readonly number[])[], refLogp: readonly (readonly number[])[]): number {
  if (oldLogp.length === 0) return 0;
  let total = 0;
  oldLogp.forEach((old, i) => {
    const ref = refLogp[i]!;
    total += old.length ? old.reduce((s, x, t) => s + x - ref[t]!, 0) / old.length : 0;
  });
  return total / oldLogp.length;
}
