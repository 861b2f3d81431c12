// rollouts.jsonl: a few rollouts of every step, saved in the run folder so that what the policy
// writes is visible while it trains (a collapse into repeating "\boxed{5}" to the length limit
// shows here long before an evaluation). One JSON object per line:
//   { step, promptId, sample, text, reward, verified, extracted, length, truncated }
// step: the rollout step (1-based, as in metrics.jsonl); promptId: the example's index;
// sample: the rollout's index within its group; reward: what training used (after overlong
// handling); verified: the reward before it (the verifier, or the sum of the reward functions); extracted: the answer in the last \boxed{}
// (null: none); length: generated tokens; truncated: cut off at the length limit.
import * as fs from 'node:fs';

export interface RolloutRecord {
  step: number;
  promptId: number;
  sample: number;
  text: string;
  reward: number;
  verified: number;
  extracted: string | null;
  length: number;
  truncated: boolean;
}

/** Which `k` of `n` rollouts to save: evenly spaced, the first one included. */
export function rolloutSampleIndices(n: number, k: number): number[] {
  if (k <= 0 || n <= 0) return [];
  if (k >= n) return [...Array(n).keys()];
  return Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
}

export function appendRollouts(file: string, records: readonly RolloutRecord[]): void {
  if (records.length === 0) return;
  fs.appendFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
