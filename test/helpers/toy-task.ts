// The toy task of the trainer tests: a 32-symbol alphabet as the tokenizer, a tiny Qwen2 shape and
// prompts "abc0".."abcN" whose answer is "a" (each test brings its own reward).
import type { TrainExample } from '../../src/data/examples.js';
import type { ModelConfig } from '../../src/model/config.js';
import { PAPER_GRPO_CONFIG, type GRPOConfig } from '../../src/rl/config.js';

export const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123 ?';

/** Characters <-> ids of ALPHABET (unknown characters encode as 'a', unknown ids decode as '?'). */
export const codec = {
  encode: (s: string) => [...s].map((c) => Math.max(0, ALPHABET.indexOf(c))),
  decode: (ids: number[]) => ids.map((i) => ALPHABET[i] ?? '?').join(''),
};

/** Hidden 32, 2 layers, 4 heads (2 KV), vocabulary 32, EOS = 31 ('?'). */
export function toyModelConfig(tieWordEmbeddings = true): ModelConfig {
  return {
    architecture: 'Qwen2ForCausalLM',
    hiddenSize: 32,
    intermediateSize: 64,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    vocabSize: 32,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    ropeScaling: null,
    tieWordEmbeddings,
    attentionBias: true,
    maxPositionEmbeddings: 128,
    bosTokenId: null,
    eosTokenId: 31,
    torchDtype: 'float32',
  };
}

/** n one-turn examples "abc<i>" with ground truth "a". */
export function toyExamples(n = 4): TrainExample[] {
  return Array.from({ length: n }, (_, i) => ({ index: i, messages: [{ role: 'user', content: `abc${i}` }], groundTruth: 'a', dataSource: 'test' }));
}

/**
 * Every GRPO setting that shapes an update, written out explicitly, on the toy task: the shared base of
 * the whole-step PyTorch replays (test/rl/trainer-reference.test.ts, test/model/lora.test.ts).
 */
export const TOY_UPDATE_CONFIG: GRPOConfig = {
  ...PAPER_GRPO_CONFIG,
  trainBatchSize: 4,
  groupSize: 4,
  miniBatchSize: 2,
  ppoEpochs: 2,
  maxResponseLength: 6,
  maxPromptLength: 16,
  steps: 1,
  seed: 5,
  temperature: 0.7,
  topP: 1,
  topK: 0,
  lr: 3e-3,
  betas: [0.9, 0.999],
  eps: 1e-8,
  weightDecay: 0.01,
  gradClip: 1.0,
  clipRatio: 0.2,
  clipRatioHigh: 0.28,
  klCoef: 0.05,
  entropyCoef: 0.01,
  policyGradient: true,
  policyLoss: 'vanilla',
  lossAggregation: 'token-mean',
  normalizeAdvantageByStd: true,
  advantageEstimator: 'grpo',
  klRewardCoef: 0,
  reuseRolloutLogprobs: false,
  computeDtype: 'float32',
  microBatchTokens: 24,
  activationCheckpointing: false,
  zeroStage: 0,
  dynamicSampling: false,
  overlong: 'off',
  overlongBuffer: 0,
  overlongFilter: false,
  samplingShards: 1,
  saveEvery: 0,
  validateEvery: 0,
  rolloutSamples: 0,
};
