// The toy task of the trainer tests: a 32-symbol alphabet as the tokenizer, a tiny Qwen2 shape and
// prompts "abc0".."abcN" whose answer is "a" (each test brings its own reward).
import type { TrainExample } from '../../src/data/examples.js';
import type { ModelConfig } from '../../src/model/config.js';

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
