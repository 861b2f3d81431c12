// The math task's training reward: the paper's 0/1 verifier check of the completion's answer,
// run in the verifier's worker pool. A RewardFunction (src/tasks/reward.ts) like any other.
import type { RewardFunction } from '../reward.js';
import type { VerifierPool } from './verifier/pool.js';
import type { VerifyOptions } from './verifier/verifier.js';

/**
 * The paper's reward: 1 when the verifier finds the completion's answer (last \boxed{} in reward
 * mode) equal to `example.groundTruth`, else 0. Checks run in the pool's workers, each bounded by
 * the pool's deadline (a timeout scores 0). A truncated completion whose last box is unclosed scores 0.
 */
export function mathReward(pool: VerifierPool, opts: VerifyOptions = { mode: 'reward' }): RewardFunction {
  return (batch) =>
    pool.rewards(
      batch.map((b) => ({ gold: b.example.groundTruth, response: b.completion, truncated: b.truncated })),
      opts,
    );
}
