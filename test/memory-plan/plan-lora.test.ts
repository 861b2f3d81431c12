// rlvr plan with LoRA (src/memory-plan/plan.ts): gradients and AdamW state for the adapters only,
// the weights = the frozen base + the adapters, no reference copy (the base with adapters off).
// Against hand arithmetic: Qwen2.5-7B at the paper's GRPO settings on one 80 GB GPU (full
// fine-tuning does not fit; LoRA at rank 1 and 64 does), and CPU machines of 16 and 24 GB.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseModelConfig } from '../../src/model/config.js';
import { LORA_TARGETS, loraParameterCount } from '../../src/model/lora-targets.js';
import { parameterCount } from '../../src/memory-plan/memory.js';
import { planMemory, type PlanInputs } from '../../src/memory-plan/plan.js';

/** Qwen/Qwen2.5-7B config.json (the fields that matter, as published). */
const QWEN25_7B = parseModelConfig({
  architectures: ['Qwen2ForCausalLM'],
  hidden_size: 3584,
  intermediate_size: 18944,
  num_hidden_layers: 28,
  num_attention_heads: 28,
  num_key_value_heads: 4,
  vocab_size: 152064,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  max_position_embeddings: 131072,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
});
/** Qwen/Qwen2.5-Math-1.5B (as test/memory-plan/plan.test.ts; importing it would run its tests here). */
const QWEN25_MATH_15B = parseModelConfig({
  architectures: ['Qwen2ForCausalLM'],
  hidden_size: 1536,
  intermediate_size: 8960,
  num_hidden_layers: 28,
  num_attention_heads: 12,
  num_key_value_heads: 2,
  vocab_size: 151936,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  max_position_embeddings: 4096,
  tie_word_embeddings: true,
});
const all = [...LORA_TARGETS];
const paper = { trainBatchSize: 128, groupSize: 8, maxPromptLength: 1024, maxResponseLength: 3072, klCoef: 0.001 };

describe('rlvr plan: LoRA', () => {
  // h 3584, m 18944, 28 layers, q/o 3584×3584, k/v 512×3584 (+ biases), untied head, vocab 152064.
  const perLayer = 3584 * 3584 + 3584 + 2 * (512 * 3584 + 512) + 3584 * 3584 + 3 * 3584 * 18944 + 2 * 3584; // 233,057,792
  const P = 2 * 152064 * 3584 + 28 * perLayer + 3584;
  // Adapters per layer at rank 1: r·(in + out) = q 7168 + k 4096 + v 4096 + o 7168 + gate/up/down 3 × 22528.
  const L1 = 28 * (7168 + 4096 + 4096 + 7168 + 3 * 22528);
  const gpu: PlanInputs = { model: QWEN25_7B, deviceBytes: 80e9, computeDtype: 'bfloat16', ...paper };

  test('Qwen2.5-7B: 7.62B parameters; 2.52M adapters at rank 1, 64× that at rank 64', () => {
    assert.equal(P, 7_615_616_512);
    assert.equal(parameterCount(QWEN25_7B), P);
    assert.equal(L1, 2_523_136);
    assert.equal(loraParameterCount(QWEN25_7B, 1, all), L1);
    assert.equal(loraParameterCount(QWEN25_7B, 64, all), 64 * L1);
    assert.equal(loraParameterCount(QWEN25_7B, 1, ['q_proj', 'v_proj']), 28 * (7168 + 4096));
  });

  test("one 80 GB GPU, the paper's settings: full fine-tuning does not fit; LoRA rank 1 and 64 do", () => {
    const full = planMemory(gpu);
    assert.equal(full.weights + full.gradients + full.optimizer + full.castCopy + full.reference, 20 * P); // 152 GB before activations
    assert.equal(full.fits, false);
    for (const rank of [1, 64]) {
      const L = rank * L1;
      const p = planMemory({ ...gpu, lora: { rank, targetModules: all } });
      assert.equal(p.trainableParameters, L);
      assert.equal(p.weights, 4 * (P + L)); // float32 base + adapters: 30.5 GB
      assert.equal(p.gradients, 4 * L); // adapters only
      assert.equal(p.optimizer, 8 * L);
      assert.equal(p.castCopy, 2 * (P + L)); // the bf16 autocast copy: 15.2 GB
      assert.equal(p.reference, 0); // the base with adapters off
      assert.equal(p.margin, 4e9);
      // The KV budget is what the rollout leaves: 80 GB - margin - resident - sampling workspace.
      assert.equal(p.kv.budget, 80e9 - 4e9 - (4 * (P + L) + 8 * L + 2 * (P + L)) - 1024 * 152064 * 16);
      assert.ok(p.fits, `rank ${rank}: ${p.problems.join('; ')}`);
      assert.ok(p.updatePeak <= 80e9 && p.rolloutPeak <= 80e9);
    }
  });

  test('CPU machines (float32): Qwen2.5-Math-1.5B with LoRA fits 24 GB (full fine-tuning does not); on 16 GB at 4 prompts x 8 rollouts', () => {
    const m = QWEN25_MATH_15B;
    const P15 = 1_543_714_304;
    const cpu = (bytes: number, over: Partial<PlanInputs> = {}): PlanInputs => ({
      model: m,
      deviceBytes: bytes,
      computeDtype: 'float32',
      maxMicroBatchTokens: 16384,
      ...paper,
      ...over,
    });
    const full = planMemory(cpu(24e9));
    assert.equal(full.weights + full.gradients + full.optimizer + full.reference, 20 * P15); // 30.9 GB: no
    assert.equal(full.fits, false);
    const L = loraParameterCount(m, 64, all);
    const lora24 = planMemory(cpu(24e9, { lora: { rank: 64, targetModules: all } }));
    assert.equal(lora24.weights + lora24.gradients + lora24.optimizer + lora24.reference + lora24.castCopy, 4 * P15 + 16 * L); // 6.47 + 0.89 GB
    assert.ok(lora24.fits, lora24.problems.join('; '));
    // 16 GB: the weights fit, but the paper's 128 prompts of 4096-token rows leave no KV room;
    // issue 27's CPU batch (4 prompts x 8 rollouts), here with 1024-token responses, does.
    const lora16 = planMemory(cpu(16e9, { lora: { rank: 64, targetModules: all } }));
    assert.equal(lora16.fits, false);
    assert.match(lora16.problems.join('; '), /KV budget/);
    const short = planMemory(cpu(16e9, { lora: { rank: 64, targetModules: all }, trainBatchSize: 4, groupSize: 8, maxResponseLength: 1024 }));
    assert.ok(short.fits, short.problems.join('; '));
  });
});
