// The algorithms' public surface: the registry and the types an algorithm file implements.
export { ALGORITHMS, ADVANTAGE_ESTIMATOR_REGISTRY, POLICY_LOSS_REGISTRY, estimatorOf, policyLossOf } from './registry.js';
export type {
  Algorithm,
  AdvantageEstimator,
  AdvantageResult,
  EstimatorInputs,
  EstimatorSettings,
  PolicyLoss,
  PolicyLossInputs,
  PresetOverrides,
} from './types.js';
