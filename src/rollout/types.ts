// What a sampler takes and gives: the options and the Sample of both samplers (the rollout
// engine, engine.ts, and its oracle, reference-sampler.ts), which trainer and evaluation read.

export interface SamplingOptions {
  /** Maximum new tokens per sample. */
  maxNewTokens: number;
  /** Argmax decoding (ignores temperature/top-p/top-k). Default false. */
  greedy?: boolean;
  /** Softmax temperature. Default 1.0 (the paper's rollouts use 0.6). */
  temperature?: number;
  /** Nucleus sampling: keep the smallest set of tokens with cumulative probability ≥ topP. Default 1. */
  topP?: number;
  /** Keep only the k most likely tokens (0 = off). Default 0. */
  topK?: number;
  /** Seed of this call's random generator. Default 0. */
  seed?: number;
  /** Generation stops for a sample when it emits one of these (the token is kept). */
  stopTokenIds?: number[];
  /** Samples per prompt. Default 1. */
  n?: number;
  /** Called after each decode step with the number of tokens generated so far (all rows). */
  onStep?: (generatedTokens: number, activeRows: number) => void;
}

export interface Sample {
  promptIndex: number;
  sampleIndex: number;
  /** Generated token ids (the stop token included when finishReason is 'stop'). */
  tokens: number[];
  /**
   * Log-probability of each generated token under the distribution it was sampled from:
   * logits / temperature, before top-p/top-k truncation (greedy: temperature 1).
   */
  logprobs: number[];
  finishReason: 'stop' | 'length';
}
