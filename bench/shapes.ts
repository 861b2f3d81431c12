// Model shapes the benchmarks (and the tests that check their arithmetic) build with random
// weights, as HF config.json fields: one copy of each instead of one per file.
import { parseModelConfig } from '../src/model/config.js';

/** SmolLM2-135M-Instruct's config.json (Llama, 30 layers, hidden 576, 9 heads / 3 KV heads, vocab 49,152, tied embeddings). */
export const SMOLLM2_135M = parseModelConfig({
  architectures: ['LlamaForCausalLM'],
  hidden_size: 576,
  intermediate_size: 1536,
  num_hidden_layers: 30,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  vocab_size: 49152,
  rms_norm_eps: 1e-5,
  rope_theta: 100000,
  max_position_embeddings: 8192,
  tie_word_embeddings: true,
});
