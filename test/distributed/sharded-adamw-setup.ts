// Parameters, gradients and AdamW settings shared by test/distributed/sharded-adamw.test.ts and its
// worker ranks: the same numbers in every process (seeded).
import { fromBytes, manualSeed, randn, type Tensor } from '../../src/engine/index.js';
import { SafetensorsReader } from '../../src/model/safetensors.js';

/** Mixed sizes so that the two shards differ in tensor count; lr high enough that 5 steps move every weight. */
export const SHAPES: number[][] = [[96, 32], [32], [64, 48], [16, 16], [300], [8, 8, 4], [40, 40], [7]];
export const ADAMW = { lr: 1e-2, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.01 };

/** The initial parameters (seeded), or those saved in `file` (p.0, p.1, ...). Kept, requiring grad. */
export function makeParams(file?: string): Tensor[] {
  if (file) {
    const r = new SafetensorsReader(file);
    try {
      return SHAPES.map((s, i) =>
        fromBytes(r.read(`p.${i}`), 'float32', s)
          .requiresGrad_(true)
          .keep(),
      );
    } finally {
      r.close();
    }
  }
  manualSeed(0);
  return SHAPES.map((s) => randn(s).requiresGrad_(true).keep());
}

/** Rank `rank`'s gradients at step `step` (seeded; the global gradient is their sum over ranks). */
export function makeGrads(params: Tensor[], step: number, rank: number): Tensor[] {
  manualSeed(1000 + 10 * step + rank);
  return params.map((p) => randn(p.shape));
}
