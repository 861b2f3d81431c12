// The loss weighting of the paper's code (its verl 0.2 fork, `use_dynamic_bsz=True`), as
// per-token aggregation weights, so that Σ_t w_t ℓ_t is the loss whose gradient the fork applied,
// however we chunk the batch for memory:
//
//  1. The rollout batch is reordered so that each of the R data-parallel ranks gets the same
//     number of sequences with balanced token totals (Karmarkar–Karp, equal sizes), and rank r
//     takes the r-th part.
//  2. Each rank splits its part into mini-batches (one optimizer step each) of consecutive
//     sequences, and each mini-batch into micro-batches by token count: as many as
//     ceil(tokens / maxTokensPerRank), the largest count over the ranks, balanced by
//     Karmarkar–Karp (any sizes). "Tokens" are prompt + response tokens (the attention mask).
//  3. A micro-batch's loss is the mean over its response tokens, scaled by
//     (sequences in the micro-batch / sequences in the rank's mini-batch); gradients are summed
//     over micro-batches and averaged over the R ranks.
//
// So every response token of a sequence in micro-batch m gets
//     w = (1/R) · (|m| / miniBatchPerRank) · 1 / (response tokens in m).
// Short sequences that share a micro-batch with long ones weigh less per token than under a
// global token mean; this is the paper's computation, emulated on one device.

export interface ForkBatching {
  /** Data-parallel ranks of the paper's run (its 8 GPUs). */
  ranks: number;
  /** `ppo_max_token_len_per_gpu`: the token budget of one micro-batch (paper: 24000). */
  maxTokensPerRank: number;
  /** Sequences per mini-batch on one rank (paper: 128 prompts × 8 rollouts / 8 ranks = 128). */
  miniBatchPerRank: number;
}

export interface ForkPlan {
  /** Per sequence: the optimizer step (mini-batch index) it belongs to. */
  miniBatch: number[];
  /** Per sequence: the weight of each of its response tokens. */
  weight: number[];
  /** Per sequence: its rank. */
  rank: number[];
  /** [mini-batch][rank][micro-batch] → sequence indices (sorted). */
  microBatches: number[][][][];
}

/** Largest-differencing (Karmarkar–Karp) partition of items into k parts; each part's indices sorted. */
export function karmarkarKarp(lengths: readonly number[], k: number, equalSize: boolean): number[][] {
  if (lengths.length < k) throw new Error(`cannot split ${lengths.length} sequences into ${k} parts`);
  if (equalSize && lengths.length % k !== 0) throw new Error(`${lengths.length} sequences do not split evenly into ${k} parts`);
  // A set: its items (index, length) in insertion order and their sum.
  type KSet = { sum: number; items: [number, number][] };
  type State = KSet[]; // always sorted by setLess, largest first
  const setLess = (a: KSet, b: KSet): boolean => {
    if (a.sum !== b.sum) return a.sum < b.sum;
    if (a.items.length !== b.items.length) return a.items.length < b.items.length;
    for (let i = 0; i < a.items.length; i++) {
      const [x, y] = [a.items[i]!, b.items[i]!];
      if (x[0] !== y[0]) return x[0] < y[0];
      if (x[1] !== y[1]) return x[1] < y[1];
    }
    return false;
  };
  const sortDesc = (s: State) => s.sort((a, b) => (setLess(b, a) ? -1 : setLess(a, b) ? 1 : 0));
  const spread = (s: State) => s[0]!.sum - s[s.length - 1]!.sum;
  // The state popped first: the largest spread, then the largest first set.
  const stateFirst = (a: State, b: State): boolean => (spread(a) !== spread(b) ? spread(a) > spread(b) : setLess(b[0]!, a[0]!));
  const newState = (items: [number, number][]): State => {
    const s: State = Array.from({ length: k }, () => ({ sum: 0, items: [] }));
    items.forEach(([idx, len], i) => {
      s[i]!.items.push([idx, len]);
      s[i]!.sum += len;
    });
    return sortDesc(s);
  };
  const sorted = lengths.map((len, i) => [len, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const states: State[] = [];
  if (equalSize) {
    for (let o = 0; o < sorted.length; o += k) states.push(newState(sorted.slice(o, o + k).map(([len, idx]) => [idx, len])));
  } else {
    for (const [len, idx] of sorted) states.push(newState([[idx, len]]));
  }
  const popFirst = (): State => {
    let best = 0;
    for (let i = 1; i < states.length; i++) if (stateFirst(states[i]!, states[best]!)) best = i;
    return states.splice(best, 1)[0]!;
  };
  while (states.length > 1) {
    const a = popFirst();
    const b = popFirst();
    // Pair a's largest set with b's smallest, and so on.
    for (let i = 0; i < k; i++) {
      const other = b[k - 1 - i]!;
      a[i]!.items.push(...other.items);
      a[i]!.sum += other.sum;
    }
    states.push(sortDesc(a));
  }
  const parts = states[0]!.map((s) => s.items.map(([idx]) => idx).sort((x, y) => x - y));
  if (parts.some((p) => p.length === 0)) throw new Error(`a partition into ${k} parts came out empty`);
  return parts;
}

/**
 * The fork's per-token loss weights for one rollout batch. `seqLens[i]` is sequence i's prompt +
 * response tokens, `responseLens[i]` its response tokens (the EOS token included), in rollout
 * order (each prompt's rollouts together).
 */
export function forkLossWeights(seqLens: readonly number[], responseLens: readonly number[], b: ForkBatching): ForkPlan {
  const n = seqLens.length;
  if (responseLens.length !== n) throw new Error(`forkLossWeights: ${n} sequence lengths but ${responseLens.length} response lengths`);
  const perRank = n / b.ranks;
  if (!Number.isInteger(perRank)) throw new Error(`the fork's batching needs the ${n} rollouts of a step to split evenly over ${b.ranks} ranks`);
  if (perRank % b.miniBatchPerRank !== 0) throw new Error(`${perRank} rollouts per rank do not split into mini-batches of ${b.miniBatchPerRank}`);
  const longest = Math.max(...seqLens);
  if (longest > b.maxTokensPerRank) throw new Error(`a sequence of ${longest} tokens exceeds the micro-batch token budget ${b.maxTokensPerRank}`);
  const rankParts = karmarkarKarp(seqLens, b.ranks, true);
  const plan: ForkPlan = { miniBatch: new Array(n).fill(-1), weight: new Array(n).fill(0), rank: new Array(n).fill(-1), microBatches: [] };
  const minis = perRank / b.miniBatchPerRank;
  for (let mb = 0; mb < minis; mb++) {
    const members = rankParts.map((part) => part.slice(mb * b.miniBatchPerRank, (mb + 1) * b.miniBatchPerRank));
    // Every rank runs the same number of micro-batches: the largest any rank needs.
    const count = Math.max(...members.map((m) => Math.ceil(m.reduce((s, i) => s + seqLens[i]!, 0) / b.maxTokensPerRank)));
    const perRankMicros = members.map((m, r) => {
      const micros = karmarkarKarp(
        m.map((i) => seqLens[i]!),
        count,
        false,
      ).map((p) => p.map((j) => m[j]!));
      for (const micro of micros) {
        const tokens = micro.reduce((s, i) => s + responseLens[i]!, 0);
        const w = ((1 / b.ranks) * (micro.length / b.miniBatchPerRank)) / tokens;
        for (const i of micro) {
          plan.weight[i] = w;
          plan.miniBatch[i] = mb;
          plan.rank[i] = r;
        }
      }
      return micros;
    });
    plan.microBatches.push(perRankMicros);
  }
  return plan;
}
