// Post-saturation generalisation, measured (Wang et al. 2025, §"post-saturation generalization"):
// training accuracy on the one example saturates early, yet held-out accuracy keeps rising. Given
// the per-step training accuracy and the held-out evaluations, this says when training accuracy
// saturated and what the held-out curve did from there on. Pure, so the tests check it directly.

/** Training accuracy on π1 (share of the step's rollouts rewarded) at or above this counts as saturated. */
export const SATURATION = 0.95;

export interface HeldOutPoint {
  step: number;
  /** The held-out number followed (the demo: any-format accuracy). */
  value: number;
}

export interface PostSaturation {
  /** First step whose training accuracy reached SATURATION. */
  saturationStep: number;
  /** The first held-out evaluation at or after the saturation step. */
  atSaturation: HeldOutPoint;
  /** The last held-out evaluation. */
  end: HeldOutPoint;
  /** The best held-out evaluation after atSaturation (null: none was above it). */
  best: HeldOutPoint | null;
  /** Held-out evaluations after atSaturation. */
  evaluationsAfter: number;
  /** Of those, how many were higher than the evaluation before them. */
  rises: number;
  /** Of those, how many set a new high since saturation (above atSaturation and every one between). */
  newHighs: number;
  /** The step of the last new high (null: none). */
  lastNewHighStep: number | null;
  /** Training steps after the saturation step. */
  stepsAfter: number;
  /**
   * Of those, how many still had a failing rollout (training accuracy < 1): GRPO's groups with
   * mixed rewards, the policy-gradient signal that keeps moving the weights after saturation.
   */
  stepsWithFailures: number;
}

/** First step with training accuracy ≥ SATURATION, or null. */
export function saturationStep(steps: readonly { step: number; trainAccuracy: number }[]): number | null {
  const s = steps.find((m) => m.trainAccuracy >= SATURATION);
  return s ? s.step : null;
}

/** What held-out accuracy did from the saturation step on; null when training never saturated or no evaluation followed. */
export function postSaturation(steps: readonly { step: number; trainAccuracy: number }[], heldOut: readonly HeldOutPoint[]): PostSaturation | null {
  const sat = saturationStep(steps);
  if (sat === null) return null;
  const from = heldOut.findIndex((v) => v.step >= sat);
  if (from < 0) return null;
  const atSaturation = heldOut[from]!;
  const after = heldOut.slice(from + 1);
  let rises = 0,
    newHighs = 0,
    high = atSaturation.value;
  let best: HeldOutPoint | null = null,
    lastNewHighStep: number | null = null;
  after.forEach((v, k) => {
    const prev = k === 0 ? atSaturation : after[k - 1]!;
    if (v.value > prev.value) rises++;
    if (v.value > high) {
      high = v.value;
      best = v;
      newHighs++;
      lastNewHighStep = v.step;
    }
  });
  const later = steps.filter((m) => m.step > sat);
  return {
    saturationStep: sat,
    atSaturation,
    end: heldOut[heldOut.length - 1]!,
    best,
    evaluationsAfter: after.length,
    rises,
    newHighs,
    lastNewHighStep,
    stepsAfter: later.length,
    stepsWithFailures: later.filter((m) => m.trainAccuracy < 1).length,
  };
}
