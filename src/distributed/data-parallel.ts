// Data-parallel GRPO's pieces, used by the trainer (src/rl/trainer.ts): which groups this rank
// samples and trains on, the step's per-rollout numbers of every rank (for loss weights over the
// global batch, metrics and the accuracy history), and the gradient all-reduce.
//
// The invariant: every rank computes the same global quantities (mini-batch membership, per-token
// loss weights, metrics) from the same gathered numbers, and its own sequences' share of the
// gradient; the summed gradients are then exactly the gradient of one process holding the whole
// batch (up to the order of floating-point additions), so every rank takes the same AdamW step.
import { zeros } from '../engine/creation.js';
import type { Tensor } from '../engine/tensor.js';
import { noGrad } from '../engine/autograd.js';
import { ProcessGroup } from './process-group.js';

/** A contiguous run of groups sampled in one rollout call from one seed. */
export interface SamplingShard {
  /** Shard index in the step (0..shards-1): its seed derives from (seed, step, index). */
  index: number;
  /** Global group indices [start, end). */
  start: number;
  end: number;
}

/** Shard s of S over B groups: [floor(sB/S), floor((s+1)B/S)). */
function span(s: number, parts: number, total: number): [number, number] {
  return [Math.floor((s * total) / parts), Math.floor(((s + 1) * total) / parts)];
}

/**
 * The groups a rank samples: the step's B groups are cut into S sampling shards of consecutive
 * groups (each drawn from its own seed), and the ranks take consecutive runs of whole shards. The
 * tokens drawn depend on S, not on the number of ranks, and a group never spans two ranks.
 */
export function shardsOfRank(groups: number, shards: number, worldSize: number, rank: number): { start: number; end: number; shards: SamplingShard[] } {
  const [s0, s1] = span(rank, worldSize, shards);
  const out: SamplingShard[] = [];
  for (let s = s0; s < s1; s++) {
    const [start, end] = span(s, shards, groups);
    if (end > start) out.push({ index: s, start, end });
  }
  const start = span(s0, shards, groups)[0];
  const end = s1 > s0 ? span(s1 - 1, shards, groups)[1] : start;
  return { start, end, shards: out };
}

/** samplingShards 'auto' = one shard per rank (each rank's rollouts in one batched call). */
export function resolveSamplingShards(setting: number | 'auto', worldSize: number): number {
  return setting === 'auto' ? worldSize : setting;
}

export class DataParallel {
  readonly group: ProcessGroup;

  constructor(group: ProcessGroup = ProcessGroup.single()) {
    this.group = group;
  }

  get rank(): number {
    return this.group.rank;
  }
  get worldSize(): number {
    return this.group.worldSize;
  }
  /** Rank 0 writes metrics, history, rollouts and checkpoints. */
  get isMain(): boolean {
    return this.group.rank === 0;
  }

  /**
   * Columns of per-row numbers (rows = this rank's rollouts), concatenated over the ranks in rank
   * order; `offset` = the global index of this rank's first row. One process: the columns as given.
   */
  gatherRows(columns: readonly (readonly number[])[]): { columns: number[][]; offset: number } {
    if (this.worldSize === 1) return { columns: columns.map((c) => [...c]), offset: 0 };
    const n = columns[0]?.length ?? 0;
    const counts = this.gatherCounts(n);
    const offset = counts.slice(0, this.rank).reduce((a, b) => a + b, 0);
    const max = Math.max(...counts);
    // One all-reduce: each rank writes its rows into its own slot of a zeroed [ranks, cols, max] block.
    const block = new Array<number>(this.worldSize * columns.length * max).fill(0);
    columns.forEach((c, j) =>
      c.forEach((v, i) => {
        block[(this.rank * columns.length + j) * max + i] = v;
      }),
    );
    const summed = this.group.allReduceNumbers(block);
    const out = columns.map((_, j) => counts.flatMap((cnt, r) => summed.slice((r * columns.length + j) * max, (r * columns.length + j) * max + cnt)));
    return { columns: out, offset };
  }

  /** Every rank's count, in rank order. */
  gatherCounts(n: number): number[] {
    if (this.worldSize === 1) return [n];
    const v = new Array<number>(this.worldSize).fill(0);
    v[this.rank] = n;
    return this.group.allReduceNumbers(v);
  }

  /** Sums numbers over the ranks (max for op 'max'). */
  reduceNumbers(values: number[], op: 'sum' | 'max' = 'sum'): number[] {
    return this.group.allReduceNumbers(values, op);
  }

  /**
   * Sums the gradients of `params` (and the extra device tensors, e.g. the loss statistics) over
   * the ranks, in place, in flat buckets. A parameter without a gradient on this rank (no rows in
   * this mini-batch) joins with zeros, so every rank ends with the same set of gradients.
   */
  reduceGradients(params: readonly Tensor[], extra: readonly Tensor[] = []): void {
    if (this.worldSize === 1) return;
    const grads = noGrad(() =>
      params.map((p) => {
        const g = p.grad;
        if (g) return g;
        const z = zeros(p.shape, { dtype: p.dtype, device: p.device });
        p.grad = z;
        z.dispose(); // the parameter holds it now
        return p.grad!;
      }),
    );
    this.group.allReduce([...grads, ...extra]);
    for (const g of grads) g.dispose(); // the handles p.grad returned (the gradients themselves stay)
  }

  /** Whether any rank asks to stop (so all ranks stop after the same step). */
  anyRank(flag: boolean): boolean {
    if (this.worldSize === 1) return flag;
    return this.group.allReduceNumbers([flag ? 1 : 0], 'max')[0]! > 0;
  }

  /** Makes every rank's copies of `tensors` rank 0's (the initial weights, so all ranks start equal). */
  syncFromMain(tensors: readonly Tensor[]): void {
    if (this.worldSize > 1) this.group.broadcast([...tensors], 0);
  }
}
