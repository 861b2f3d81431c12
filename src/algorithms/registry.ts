// The algorithm registry: every algorithm file, in the order presets and help list them. The
// config schema's advantageEstimator / policyLoss enums and its algorithm presets derive from this
// list (src/rl/config.ts); the trainer and the loss look estimators and losses up here by name.
// ADDING AN ALGORITHM: one file in src/algorithms/ exporting an Algorithm, and one line below.
import { dapo } from './dapo.js';
import { grpo } from './grpo.js';
import { gspo } from './gspo.js';
import { ppo } from './ppo.js';
import { reinforcePlusPlus } from './reinforce-plus-plus.js';
import { rloo } from './rloo.js';
import type { AdvantageEstimator, Algorithm, PolicyLoss } from './types.js';

export const ALGORITHMS: readonly Algorithm[] = [grpo, ppo, dapo, gspo, rloo, reinforcePlusPlus];

function registered<T extends { name: string }>(what: string, items: T[]): ReadonlyMap<string, T> {
  const m = new Map<string, T>();
  for (const x of items) {
    if (m.has(x.name)) throw new Error(`algorithm registry: two ${what} named '${x.name}'`);
    m.set(x.name, x);
  }
  return m;
}

/** Advantage estimators by name (verl's register_adv_est). */
export const ADVANTAGE_ESTIMATOR_REGISTRY = registered(
  'advantage estimators',
  ALGORITHMS.flatMap((a) => (a.advantageEstimator ? [a.advantageEstimator] : [])),
);
/** Policy losses by name (verl's register_policy_loss). */
export const POLICY_LOSS_REGISTRY = registered(
  'policy losses',
  ALGORITHMS.flatMap((a) => (a.policyLoss ? [a.policyLoss] : [])),
);
registered('algorithms', [...ALGORITHMS]);

export function estimatorOf(name: string): AdvantageEstimator {
  const e = ADVANTAGE_ESTIMATOR_REGISTRY.get(name);
  if (!e) throw new Error(`unknown advantage estimator '${name}' (registered: ${[...ADVANTAGE_ESTIMATOR_REGISTRY.keys()].join(', ')})`);
  return e;
}

export function policyLossOf(name: string): PolicyLoss {
  const l = POLICY_LOSS_REGISTRY.get(name);
  if (!l) throw new Error(`unknown policy loss '${name}' (registered: ${[...POLICY_LOSS_REGISTRY.keys()].join(', ')})`);
  return l;
}

/** The registered names as zod.enum wants them (non-empty). */
export function namesOf(m: ReadonlyMap<string, unknown>): [string, ...string[]] {
  const names = [...m.keys()];
  if (names.length === 0) throw new Error('algorithm registry: nothing registered');
  return names as [string, ...string[]];
}
