// The warning when most GRPO groups have zero reward variance. Such a group (all rewards 0, or
// all 1) has zero advantages: it costs a full forward/backward and gives no policy-gradient
// signal. When most groups are like that (a model that never boxes its answer earns 0
// everywhere), the run trains at full cost for nothing. The share itself is the step metric
// `zeroVarianceGroupFrac` (metrics.jsonl).

/** The warning line when more than half the groups have zero reward variance, else null. */
export function zeroVarianceWarning(step: number, zeroVarianceGroupFrac: number, rewardMean: number): string | null {
  if (!(zeroVarianceGroupFrac > 0.5)) return null;
  return (
    `WARNING: step ${step}: ${(100 * zeroVarianceGroupFrac).toFixed(0)}% of groups have zero reward variance ` +
    `(mean reward ${rewardMean.toFixed(3)}): they give no policy-gradient signal.` +
    (rewardMean === 0 ? ' Every response scored 0: does the prompt ask for the answer format the reward checks (\\boxed{})? See --prompt-suffix.' : '')
  );
}
