// The sampling filters (temperature, top-k, top-p) shared by the reference sampler and the rollout
// engine: one rule, checked against transformers' logits warpers (test/sampling/filters.test.ts).
import { opMany, where, type Tensor } from '../engine/index.js';

/** The settings the filter reads (a subset of both samplers' options). */
export interface FilterRule {
  temperature?: number;
  topK?: number;
  topP?: number;
}

/**
 * The sampling distribution's logits [B, V]: logits / T, then top-k, then top-p, truncated
 * tokens at -inf. The rule is transformers' TemperatureLogitsWarper → TopKLogitsWarper →
 * TopPLogitsWarper (the order `generate` applies them; vLLM's `_apply_top_k_top_p` is the same
 * rule), op for op, so that the kept set is the same even on ties: top-k keeps every token tied
 * with the k-th; top-p sorts ascending and drops tokens whose cumulative probability (from the
 * least likely up) is <= 1 - p, always keeping the most likely one.
 * One rule for both samplers (the reference sampler, src/rollout/reference-sampler.ts, and the rollout
 * engine, src/rollout/sample.ts); test/sampling/filters.test.ts compares it with transformers.
 */
export function filterLogits(logits: Tensor, opts: FilterRule): Tensor {
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`temperature must be > 0 (use greedy for argmax), got ${temperature}`);
  let filtered = logits.div(temperature);
  const topK = opts.topK ?? 0;
  if (topK > 0 && topK < logits.size(-1)) {
    const [vals] = filtered.topk(topK, -1);
    filtered = where(filtered.lt(vals.narrow(-1, topK - 1, 1)), -Infinity, filtered);
  }
  const topP = opts.topP ?? 1;
  if (topP < 1) {
    // aten::sort with stable=false, the kernel torch.sort runs for the warper: ties come out in
    // the same order, so a boundary inside a tie keeps the same tokens.
    const [sorted, order] = opMany('aten::sort', filtered, -1, false) as [Tensor, Tensor];
    const dropSorted = sorted
      .softmax(-1)
      .cumsum(-1)
      .le(1 - topP);
    dropSorted.narrow(-1, dropSorted.size(-1) - 1, 1).fill_(0); // the most likely token stays
    filtered = filtered.maskedFill(dropSorted.scatter(-1, order, dropSorted), -Infinity);
  }
  return filtered;
}
