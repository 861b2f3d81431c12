// The result of one demo run (runDemo) and the measures read off it, in a module of their own:
// the pipeline produces it, the report (report.ts) and the results record (results.ts) read it,
// and neither has to import the pipeline back.
import type { BaseScore, RankedExample } from '../data/selection.js';
import type { GRPOConfig } from '../rl/config.js';
import type { StepMetrics } from '../rl/trainer.js';
import type { Family, Problem } from '../tasks/arithmetic/problems.js';
import type { HeldOutResult } from './held-out.js';
import type { PostSaturation } from './saturation.js';

export interface DemoConfig {
  seed: number;
  threads: number;
  // task
  testPerFamily: number;
  poolPerFamily: number;
  // base model
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  pretrainSteps: number;
  pretrainBatch: number;
  pretrainLr: number;
  // selection: a short full-pool GRPO run whose per-epoch accuracies are the "history"
  selectionEpochs: number;
  selectionBatch: number;
  /**
   * Train on the pool example ranked k-th by historical variance (the paper's π_k; it reports
   * π1, π2, π13, ...). Default 1.
   */
  exampleRank: number;
  /**
   * Responses sampled per pool example on the base model before selection: π_k is skipped when
   * all of them score alike (no reward variance: GRPO has nothing to learn from it) while a
   * later-ranked example has variance (data/selection.ts firstAlive).
   */
  baseScoringRollouts: number;
  // 1-shot RLVR: overrides of the paper's GRPO config
  grpo: Partial<GRPOConfig>;
  /** Max new tokens of the held-out (greedy) evaluation. */
  evalMaxTokens: number;
  /** Also run the ablations (pg-only, entropy-only, a random example) after the main run. */
  ablations: boolean;
  /**
   * An earlier demo output folder whose base model (same seed and model settings) is reused
   * instead of pretraining again: for trying RL settings. Unset: pretrain.
   */
  baseFrom?: string;
}

export interface ValidationPoint {
  step: number;
  accuracy: number;
  lenientAccuracy: number;
  boxedRate: number;
  meanLength: number;
  perFamily: HeldOutResult['perFamily'];
}

/** One row of the ablation table. */
export interface AblationResult {
  name: string;
  question: string;
  family: Family;
  before: { accuracy: number; lenientAccuracy: number; otherFamiliesLenient: number };
  after: { accuracy: number; lenientAccuracy: number; otherFamiliesLenient: number };
  finalTrainAccuracy: number;
  saturationStep: number | null;
  /** Per held-out problem (the test set's order), any-format correct after the run: '1'/'0'. For paired tests. */
  afterOutcomes: string;
}

export interface PhaseTimes {
  pretrain: number;
  evalBefore: number;
  selection: number;
  rlvr: number;
  ablations: number;
  total: number;
}

export interface DemoResult {
  config: DemoConfig;
  grpoConfig: GRPOConfig;
  outDir: string;
  before: HeldOutResult;
  after: HeldOutResult;
  pretrainLosses: number[];
  ranking: (RankedExample & { question: string; accs: number[] })[];
  /** Per pool example, its accuracy on the base model (baseScoringRollouts responses). */
  baseScores: Map<number, BaseScore>;
  /** The training example; rank k means the paper's π_k (DemoConfig.exampleRank). */
  selected: { index: number; rank: number; question: string; answer: string; variance: number };
  steps: StepMetrics[];
  /** Held-out validation at step 0 and every validateEvery steps. */
  validation: ValidationPoint[];
  times: PhaseTimes;
  /** The held-out problems, in the order of afterOutcomes. */
  test: Problem[];
  /** The family of π1; the other families measure generalisation. */
  trainedFamily: Family;
  /** First step whose training accuracy on π1 reached SATURATION (null: never). */
  saturationStep: number | null;
  /** Held-out accuracy (any format) from the saturation step on (null: never saturated). */
  postSaturation: PostSaturation | null;
  /** Before/after of each RL variant; the first row is the main run. */
  ablations: AblationResult[];
  reportFile: string;
}

export function summarize(r: HeldOutResult): Record<string, unknown> {
  return { accuracy: r.accuracy, lenientAccuracy: r.lenientAccuracy, boxedRate: r.boxedRate, meanLength: r.meanLength, perFamily: r.perFamily };
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Mean any-format accuracy over the families other than `trained`, weighted by problem count. */
export function otherFamiliesLenient(r: Pick<HeldOutResult, 'perFamily'>, trained: Family): number {
  let c = 0,
    n = 0;
  for (const [f, x] of Object.entries(r.perFamily)) {
    if (f === trained) continue;
    c += x.lenientAccuracy * x.n;
    n += x.n;
  }
  return n ? c / n : 0;
}

/** Any-format outcome per problem of `test`, in its order, as a '1'/'0' string. */
export function outcomeBits(r: HeldOutResult, test: readonly Problem[]): string {
  const byQuestion = new Map(r.responses.map((x) => [x.question, x.lenient]));
  return test.map((p) => (byQuestion.get(p.question) ? '1' : '0')).join('');
}
