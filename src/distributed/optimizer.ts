// The policy optimizer of a run, chosen in one place: AdamW whole on every rank (zeroStage 0,
// and every single-process run), or the ZeRO-1 sharded AdamW (zeroStage 1 over more than one
// rank, src/distributed/sharded-adamw.ts) with the same step/zeroGrad/lr/dispose. The trainer
// constructs its optimizer only through this function.
import { AdamW, type AdamWOptions } from '../engine/optim.js';
import type { Tensor } from '../engine/tensor.js';
import type { DataParallel } from './data-parallel.js';
import { ShardedAdamW } from './sharded-adamw.js';

export type PolicyOptimizer = AdamW | ShardedAdamW;

export function createPolicyOptimizer(params: Tensor[], opts: AdamWOptions, dp: DataParallel, zeroStage: number): PolicyOptimizer {
  // One process has nothing to shard with: zeroStage 1 is plain AdamW there (same updates, one whole state file).
  if (zeroStage === 1 && dp.worldSize > 1) return new ShardedAdamW(params, dp.group, opts);
  return new AdamW(params, opts);
}
