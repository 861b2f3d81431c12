// The rollout engine on sliding-window layers (Gemma 3) against its oracle, the reference sampler
// (the training forward with a KV cache and the window mask; that forward is held to transformers
// in test/model/gemma3.test.ts): a tiny random Gemma 3 with window 4, so that the shared prompt
// keys leave the window of later tokens, rows of different prompt lengths cross it at different
// steps, and own keys are narrowed, through growth, compaction and stops. CPU, no Python.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferenceMode, liveTensors, manualSeed, randn, tidy } from '../../src/engine/index.js';
import { parseModelConfig } from '../../src/model/config.js';
import { CausalLM } from '../../src/model/transformer.js';
import { rollout } from '../../src/rollout/engine.js';
import { generate } from '../../src/rollout/reference-sampler.js';

function tinyGemma(window: number): CausalLM {
  const cfg = parseModelConfig({
    architectures: ['Gemma3ForCausalLM'],
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    vocab_size: 48,
    rms_norm_eps: 1e-6,
    max_position_embeddings: 256,
    sliding_window: window,
    layer_types: ['sliding_attention', 'sliding_attention', 'full_attention', 'sliding_attention'],
    query_pre_attn_scalar: 24,
  });
  manualSeed(11);
  const m = CausalLM.randomInit(cfg);
  // Sharper than HF's 0.02 init (tokens depend on context) and norms away from Gemma's 0.
  tidy(() =>
    inferenceMode(() => {
      for (const [name, p] of m.params) {
        if (name.endsWith('norm.weight')) p.add_(randn(p.shape).mul(0.3));
        else p.mul_(15);
      }
    }),
  );
  return m;
}

test('sliding window: the engine decodes exactly as the reference sampler (greedy, mixed prompts, n > 1, stops, growth, compaction)', () => {
  const before = liveTensors();
  const m = tinyGemma(4);
  const wide = tinyGemma(4096);
  try {
    const prompts = [[3, 7, 1, 9, 4, 11, 12], [2, 2], [5, 6, 7, 8, 9, 10, 11, 12, 13], [40]];
    const opts = { maxNewTokens: 24, greedy: true, n: 2, stopTokenIds: [0] };
    const ref = generate(m, prompts, opts);
    const { samples, stats } = rollout(m, prompts, { ...opts, syncEvery: 3, initialCapacity: 2 });
    assert.deepEqual(
      samples.map((s) => s.tokens),
      ref.map((s) => s.tokens),
    );
    samples.forEach((s, i) => s.logprobs.forEach((lp, j) => assert.ok(Math.abs(lp - ref[i]!.logprobs[j]!) < 1e-4)));
    assert.ok(stats.growths > 0);
    // One shared prompt (no per-row mask, the prompt keys narrowed by the window alone).
    const one = [[3, 7, 1, 9, 4, 11, 12]];
    assert.deepEqual(
      rollout(m, one, opts).samples.map((s) => s.tokens),
      generate(m, one, opts).map((s) => s.tokens),
    );
    // The window matters: the same weights without it decode other tokens.
    assert.notDeepEqual(
      generate(wide, prompts, opts).map((s) => s.tokens),
      ref.map((s) => s.tokens),
    );
    assert.throws(() => rollout(m, prompts, { ...opts, attentionLayout: 'varlen' }), /no sliding window/);
  } finally {
    m.dispose();
    wide.dispose();
  }
  assert.equal(liveTensors(), before, 'no native tensor leaked');
});
