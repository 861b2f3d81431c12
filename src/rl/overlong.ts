// What a response that hit the length limit earns. Rewarding truncated responses lets a policy
// collapse into repeating its answer to the limit ("The answer is \boxed{5}" ... until cut off);
// two standard remedies, applied to the verifier's reward before advantages:
//   'zero' — a truncated response earns 0 whatever it contains;
//   'soft' — DAPO's soft overlong punishment (Yu et al. 2025, arXiv 2503.14476, eq. 13): for a
//            response of L tokens, maximum length Lmax and buffer Lcache,
//                0                          if L ≤ Lmax − Lcache
//                ((Lmax − Lcache) − L)/Lcache  if Lmax − Lcache < L ≤ Lmax
//                −1                         if L > Lmax
//            is ADDED to the reward (at L = Lmax it is −1).
//   'off'  — the reward as the verifier gave it (the 1-shot RLVR paper's setting).

export type OverlongMode = 'off' | 'zero' | 'soft';

export const OVERLONG_MODES: readonly OverlongMode[] = ['off', 'zero', 'soft'];

export interface OverlongOptions {
  mode: OverlongMode;
  /** Lmax: the rollout length limit in tokens. */
  maxLength: number;
  /** Lcache: the soft-penalty ramp in tokens before maxLength (DAPO: 4096 of 20480). Used by 'soft'. */
  buffer: number;
}

/** DAPO's soft overlong penalty (≤ 0) for a response of `length` tokens. */
export function softOverlongPenalty(length: number, maxLength: number, buffer: number): number {
  const start = maxLength - buffer;
  if (length <= start) return 0;
  if (length > maxLength) return -1;
  return (start - length) / buffer;
}

/** The reward after overlong handling, for one response. */
export function shapeOverlongReward(reward: number, length: number, truncated: boolean, o: OverlongOptions): number {
  if (o.mode === 'zero') return truncated ? 0 : reward;
  if (o.mode === 'soft') return reward + softOverlongPenalty(length, o.maxLength, o.buffer);
  return reward;
}
