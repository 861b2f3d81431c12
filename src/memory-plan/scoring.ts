// Memory of pool scoring (`rlvr select --score-pool`): rollouts and rewards only. No gradients,
// no optimizer state, no reference model and no log-prob pass (the training log-prob pass over
// [tokens, vocab] logits is what took 22.7 GB on a 135M model with a 49k vocabulary), so the
// peak is weights + the rollout KV cache + the sampling workspace + the planner's margin. The KV
// budget is what is left; the rollout engine admits rows in waves under it.
import type { ModelConfig } from '../model/config.js';
import { kvBytesPerToken, parameterCount, samplingWorkspaceBytes } from './memory.js';

export interface ScoringPlan {
  weights: number;
  samplingWorkspace: number;
  margin: number;
  /** KV bytes the rollout engine may hold at once. */
  kvBudget: number;
  /** KV of one row at the longest (prompt + maxNewTokens). */
  rowBytes: number;
  /** Rows that fit at once in the worst case (every row to the limit). */
  rowsAtOnce: number;
  fits: boolean;
}

export function planScoring(
  model: ModelConfig,
  x: {
    memoryBytes: number;
    rows: number;
    promptTokens: number;
    maxNewTokens: number;
    computeBytes: number;
  },
): ScoringPlan {
  const weights = x.computeBytes * parameterCount(model);
  const samplingWorkspace = samplingWorkspaceBytes(model, x.rows);
  // The planner's margin (src/memory-plan/plan.ts): 5% of the memory, at least 2 GB; at most half of a small budget.
  const margin = Math.min(Math.max(2e9, 0.05 * x.memoryBytes), 0.5 * x.memoryBytes);
  const kvBudget = Math.max(0, x.memoryBytes - margin - weights - samplingWorkspace);
  const rowBytes = (x.promptTokens + x.maxNewTokens) * kvBytesPerToken(model, x.computeBytes);
  const rowsAtOnce = Math.floor(kvBudget / Math.max(1, rowBytes));
  return { weights, samplingWorkspace, margin, kvBudget, rowBytes, rowsAtOnce, fits: rowsAtOnce >= 1 };
}
