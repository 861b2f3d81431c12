// Which rank owns which parameter under ZeRO-1 (src/distributed/sharded-adamw.ts), and what the memory
// plan (src/memory-plan/plan.ts) counts for the largest shard. Pure arithmetic, no tensors: every rank
// computes the same assignment from the parameter sizes alone, with no communication.
//
// Whole tensors are assigned (no tensor is split), so the fused AdamW kernel updates each owned
// parameter in place, as in one process. Greedy longest-processing-time: parameters by element
// count, largest first, each to the least-loaded rank (ties: the lower index). The largest shard
// is at most the mean plus the largest tensor; with Qwen2.5-Math-1.5B's tied 233M-element
// embedding at 8 ranks it is that tensor alone (1.21x the mean of 193M).

/** Per parameter (in the order given): the rank that owns it, in [0, worldSize). */
export function partitionParameters(numels: readonly number[], worldSize: number): number[] {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`worldSize must be a positive integer, got ${worldSize}`);
  const order = numels.map((n, i) => ({ n, i })).sort((a, b) => b.n - a.n || a.i - b.i);
  const load = new Array<number>(worldSize).fill(0);
  const owner = new Array<number>(numels.length).fill(0);
  for (const { n, i } of order) {
    let r = 0;
    for (let k = 1; k < worldSize; k++) if (load[k]! < load[r]!) r = k;
    owner[i] = r;
    load[r]! += n;
  }
  return owner;
}

/** Elements owned by each rank under partitionParameters. */
export function shardSizes(numels: readonly number[], worldSize: number): number[] {
  const owner = partitionParameters(numels, worldSize);
  const sizes = new Array<number>(worldSize).fill(0);
  owner.forEach((r, i) => {
    sizes[r]! += numels[i]!;
  });
  return sizes;
}
