// A working copy of a model in another dtype: the bf16 weights rollouts decode with while the
// float32 master weights are trained. Made from the master weights before each step's
// rollouts and freed after them, so it never goes stale and costs memory only while it is used.
import { noGrad, tidy, type DType } from '../engine/index.js';
import { CausalLM } from './transformer.js';

/** A new CausalLM with every parameter cast to dtype (no gradients); dispose it when done. */
export function castModel(model: CausalLM, dtype: DType): CausalLM {
  const params = new Map(noGrad(() => [...model.params].map(([name, p]) => [name, tidy(() => p.detach().to({ dtype, copy: true })).keep()] as const)));
  return new CausalLM(model.config, params);
}
