// What an RL algorithm is, as the trainer sees it (the shape of verl's register_adv_est /
// register_policy_loss, core_algos.py): an advantage estimator (rewards -> per-token advantages)
// and/or a policy loss (the surrogate on per-token tensors), each declaring what it needs, plus a
// preset of config overrides under the algorithm's name. One file per algorithm exports one
// Algorithm; src/algorithms/registry.ts lists them and the config schema's enums and presets derive
// from that list. This file imports no config type (the config imports the registry).
import type { Tensor } from '../engine/index.js';

/** Estimator inputs, ragged per rollout ([B][len_i]). */
export interface EstimatorInputs {
  /**
   * Per-token rewards: the outcome reward (after overlong handling) on the last response token,
   * minus klRewardCoef · (logp_old − logp_ref) on every token when the KL is in the reward (kl-reward.ts).
   */
  tokenRewards: readonly (readonly number[])[];
  /** Group (prompt) id per rollout. */
  groups: readonly (string | number)[];
  /** Critic values per token, for an estimator that needs a critic; else null. */
  values: readonly (readonly number[])[] | null;
}

/** The config fields estimators read (a structural slice of GRPOConfig). */
export interface EstimatorSettings {
  normalizeAdvantageByStd: boolean;
  gamma: number;
  lam: number;
}

export interface AdvantageResult {
  /** Per rollout: one advantage for every token (outcome estimators) or one per token. */
  advantages: (number | number[])[];
  /** Value targets per token, for the critic (estimators that need one); else null. */
  returns: number[][] | null;
}

/** An advantage estimator (verl: @register_adv_est(name)); `name` is config.advantageEstimator. */
export interface AdvantageEstimator {
  readonly name: string;
  /** One line for the schema's help. */
  readonly summary: string;
  readonly needs: {
    /** A value model trained beside the policy (its values feed the estimator; PPO). */
    readonly critic: boolean;
    /** Statistics over the whole batch (e.g. whitening over every token): not split over data-parallel ranks yet. */
    readonly globalStatistics: boolean;
  };
  compute(x: EstimatorInputs, s: EstimatorSettings): AdvantageResult;
}

/** Per-token tensors a policy loss reads ([N] over the response tokens of a chunk). */
export interface PolicyLossInputs {
  logp: Tensor;
  oldLogp: Tensor;
  advantages: Tensor;
  /** Each token's sequence mean of (logp − oldLogp), detached; given when needs.sequenceLogRatio. */
  seqLogRatio?: Tensor;
}

/** A policy-gradient surrogate (verl: @register_policy_loss(name)); `name` is config.policyLoss. */
export interface PolicyLoss {
  readonly name: string;
  readonly summary: string;
  readonly needs: {
    /** A no-grad pass first for each sequence's mean log-ratio (sequence-level ratios). */
    readonly sequenceLogRatio: boolean;
  };
  /** Loss per token and whether the clipped branch was taken (the clip fraction metric). */
  compute(x: PolicyLossInputs, clipLow: number, clipHigh: number): { loss: Tensor; clipped: Tensor };
}

/** Config overrides of a preset; validated by the config schema when src/rl/config.ts loads. */
export type PresetOverrides = Readonly<Record<string, string | number | boolean | null>>;

/** One algorithm: what it registers and the preset named after it. */
export interface Algorithm {
  /** The preset's name (`--preset NAME`, ablations `grpo,ppo,...`). */
  readonly name: string;
  /** The preset's description: the settings and where they come from. */
  readonly description: string;
  readonly overrides: PresetOverrides;
  readonly advantageEstimator?: AdvantageEstimator;
  readonly policyLoss?: PolicyLoss;
}
