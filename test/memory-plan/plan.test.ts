// The memory planner on the real Qwen2.5-Math-1.5B shape (its config.json, written here; no
// weights) against hand arithmetic, and its choices on smaller devices.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { parseModelConfig } from '../../src/model/config.js';
import { activationBytesPerTokenLayer, kvBytesPerToken, parameterCount } from '../../src/memory-plan/memory.js';
import { RunConfigBuilder } from '../../src/run/run-config.js';
import { parseBytes, planMemory, planRun, type PlanInputs } from '../../src/memory-plan/plan.js';

/** Qwen/Qwen2.5-Math-1.5B config.json (the fields that matter, as published). */
export const QWEN25_MATH_15B = {
  architectures: ['Qwen2ForCausalLM'],
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 1536,
  initializer_range: 0.02,
  intermediate_size: 8960,
  max_position_embeddings: 4096,
  max_window_layers: 21,
  model_type: 'qwen2',
  num_attention_heads: 12,
  num_hidden_layers: 28,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  sliding_window: 4096,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};
const model = parseModelConfig(QWEN25_MATH_15B);
const paper: PlanInputs = {
  model,
  deviceBytes: 80e9,
  computeDtype: 'bfloat16',
  trainBatchSize: 128,
  groupSize: 8,
  maxPromptLength: 1024,
  maxResponseLength: 3072,
  klCoef: 0.001,
};

describe('rlvr plan: Qwen2.5-Math-1.5B, the paper configuration, 80 GB', () => {
  // Hand arithmetic. h 1536, m 8960, 28 layers, 12 heads × 128, 2 KV heads × 128, vocab 151936, tied head.
  const embed = 151936 * 1536; // 233,373,696
  const perLayer = 1536 * 1536 + 1536 + 2 * (256 * 1536 + 256) + 1536 * 1536 + 3 * 1536 * 8960 + 2 * 1536; // 46,797,824
  const P = embed + 28 * perLayer + 1536; // 1,543,714,304
  const plan = planMemory(paper);

  test('parameters, weights, gradients, AdamW state, bf16 cast, reference', () => {
    assert.equal(P, 1_543_714_304);
    assert.equal(parameterCount(model), P);
    assert.equal(plan.weights, 4 * P); // 6.17 GB float32
    assert.equal(plan.gradients, 4 * P);
    assert.equal(plan.optimizer, 8 * P); // 12.35 GB
    assert.equal(plan.castCopy, 2 * P); // 3.09 GB
    assert.equal(plan.reference, 2 * P); // bf16, frozen
    assert.equal(plan.margin, 4e9); // 5% of 80 GB
  });

  test('KV cache: 28,672 B/token; typical and worst peaks; the budget and its waves', () => {
    assert.equal(kvBytesPerToken(model, 2), 2 * 28 * 2 * 128 * 2);
    assert.equal(plan.kv.bytesPerToken, 28_672);
    const prompts = 128 * 1024 * 28_672; // each distinct prompt once: 3.76 GB
    assert.equal(plan.kv.typicalPeak, prompts + 1024 * 768 * 28_672); // 26.31 GB
    assert.equal(plan.kv.worstPeak, prompts + 1024 * 3072 * 28_672); // 93.95 GB: never all at once on 80 GB
    assert.equal(plan.kv.samplingWorkspace, 1024 * 151936 * 16);
    const budget = 80e9 - 4e9 - 16 * P - 1024 * 151936 * 16; // weights + AdamW + cast + reference resident
    assert.equal(plan.kv.budget, budget); // 48.81 GB
    assert.equal(plan.kv.worstCaseWaves, Math.ceil((1024 * 3072 * 28_672) / (budget - prompts))); // 3
    assert.equal(plan.kv.worstCaseWaves, 3);
    assert.ok(plan.rolloutPeak <= 80e9);
  });

  test('activations per micro-batch; picked budget 12,288 tokens without checkpointing; fits', () => {
    // Per token per layer (bf16 compute): norms 2·(4h + 4h + 4) + casts 5·2h + SDPA q,k,v,out + o_proj input
    // (3·2·1536 + 2·2·256) + logsumexp 4·12 + MLP 4·2·8960.
    const layer = 2 * (8 * 1536 + 4) + 5 * 2 * 1536 + 3 * 2 * 1536 + 2 * 2 * 256 + 4 * 12 + 4 * 2 * 8960;
    assert.equal(layer, 121_912);
    assert.equal(activationBytesPerTokenLayer(model, 2), layer);
    const perToken = 28 * layer + 16 * 1536; // 3.44 MB/token
    assert.equal(plan.training.activationBytesPerToken, perToken);
    const head = 512 * 151936 * 32;
    assert.equal(plan.training.headWorkspace, head);
    const room = 80e9 - 4e9 - 20 * P - head;
    const tokens = Math.floor(Math.floor(room / perToken) / 1024) * 1024;
    assert.equal(tokens, 12_288);
    assert.equal(plan.training.microBatchTokens, 12_288);
    assert.equal(plan.training.activationCheckpointing, false);
    assert.equal(plan.training.activations, 12_288 * perToken); // 42.25 GB
    assert.equal(plan.updatePeak, 20 * P + 12_288 * perToken + head + 4e9); // 79.61 GB
    assert.ok(plan.fits, plan.problems.join('; '));
  });

  test('40 GB: checkpointing is switched on; 24 GB: does not fit, and says why', () => {
    const p40 = planMemory({ ...paper, deviceBytes: 40e9 });
    assert.equal(p40.training.activationCheckpointing, true);
    assert.ok(p40.training.microBatchTokens >= 4096);
    assert.ok(p40.fits, p40.problems.join('; '));
    assert.ok(p40.kv.worstCaseWaves > 3);
    const p24 = planMemory({ ...paper, deviceBytes: 24e9 });
    assert.equal(p24.fits, false);
    assert.match(p24.problems.join('\n'), /update needs .* of 24\.00 GB/);
  });

  test('advice that would make it fit: a length that fits, or "only more memory or sharding"', () => {
    // 1.5B on 20 GB: weights + gradients + AdamW (24.7 GB) alone exceed it; no length helps.
    const tiny = planMemory({ ...paper, deviceBytes: 20e9 });
    assert.match(
      tiny.problems.join('\n'),
      /the weights, gradients and AdamW state alone need \d+\.\d+ GB \(with the margin\); no sequence length fits, only more memory or sharding will/,
    );
    assert.doesNotMatch(tiny.problems.join('\n'), /maxPromptLength \+ maxResponseLength ≤/);
    // A device where the fixed part fits but one longest (4096-token) sequence does not: the advised length fits.
    let advised: { device: number; tokens: number } | null = null;
    for (let d = 26e9; d < 40e9 && !advised; d += 0.05e9) {
      const m = /maxPromptLength \+ maxResponseLength ≤ (\d+) tokens would/.exec(planMemory({ ...paper, deviceBytes: d }).problems.join('\n'));
      if (m) advised = { device: d, tokens: Number(m[1]) };
    }
    assert.ok(advised, 'some device size gets a length advice');
    assert.ok(advised.tokens < 4096 && advised.tokens > 0, String(advised.tokens));
    const shorter = planMemory({ ...paper, deviceBytes: advised.device, maxPromptLength: 256, maxResponseLength: advised.tokens - 256 });
    assert.ok(
      !shorter.problems.some((x) => x.startsWith('update needs')),
      `the advised ${advised.tokens} tokens fit the update: ${shorter.problems.join('; ')}`,
    );
  });

  test('a user-fixed micro-batch is evaluated, not replaced', () => {
    const fixed = planMemory({ ...paper, microBatchTokens: 32768, activationCheckpointing: false });
    assert.equal(fixed.training.microBatchTokens, 32768);
    assert.equal(fixed.fits, false);
    const auto = planMemory({ ...paper, microBatchTokens: 32768 });
    assert.equal(auto.training.activationCheckpointing, true); // picked so that 32k tokens fit
    assert.ok(auto.fits);
  });

  test("--set reaches the plan's settings: numbers, booleans and 'auto'", () => {
    const b = RunConfigBuilder.fromObject({ model: 'm', data: 'd' });
    b.applySets('microBatchTokens=8192,activationCheckpointing=true,kvBudgetBytes=auto');
    const { grpo } = b.buildWithGRPO();
    assert.equal(grpo.microBatchTokens, 8192);
    assert.equal(grpo.activationCheckpointing, true);
    assert.equal(grpo.kvBudgetBytes, 'auto');
    const p = planRun(model, grpo, 'cuda', 80e9, 'bfloat16');
    assert.equal(p.training.microBatchTokens, 8192);
    assert.equal(p.training.activationCheckpointing, true);
    assert.equal(p.kv.budget, planMemory(paper).kv.budget);
    const err = (grpo: object) => {
      try {
        RunConfigBuilder.fromObject({ model: 'm', data: 'd', grpo }, 'run.json').buildWithGRPO();
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.equal(err({ microBatchTokens: 'lots' }), 'run.json: grpo.microBatchTokens: expected \'auto\' or a number, got "lots"');
    assert.equal(err({ microBatchTokens: -5 }), 'run.json: grpo.microBatchTokens: must be > 0, got -5');
    assert.equal(
      err({ activationCheckpointing: 'true' }),
      'run.json: grpo.activationCheckpointing: expected \'auto\' or true or false (a JSON boolean), got "true"',
    );
  });

  test('the ppo preset counts its critic (float32 weights + AdamW) and the KL-in-reward reference', () => {
    const b = RunConfigBuilder.fromObject({ model: 'm', data: 'd', preset: 'ppo' });
    const { grpo } = b.buildWithGRPO();
    const grpoPlan = planRun(model, { ...grpo, advantageEstimator: 'grpo', klRewardCoef: 0 }, 'cuda', 80e9, 'bfloat16');
    const ppoPlan = planRun(model, grpo, 'cuda', 80e9, 'bfloat16');
    const P = parameterCount(model);
    assert.equal(ppoPlan.critic, 12 * P);
    assert.equal(grpoPlan.critic, 0);
    assert.equal(ppoPlan.reference, 2 * P, 'klRewardCoef keeps the reference (bf16)');
    assert.equal(ppoPlan.kv.budget, grpoPlan.kv.budget - 12 * P - 2 * P, 'the critic and reference come out of the KV budget');
  });

  test('memory sizes parse', () => {
    assert.equal(parseBytes('80GB'), 80e9);
    assert.equal(parseBytes('80 GiB'), 80 * 2 ** 30);
    assert.equal(parseBytes('1.5e10'), 1.5e10);
    assert.throws(() => parseBytes('eighty'), /not a memory size/);
  });
});

describe('rlvr plan (command)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-plan-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(QWEN25_MATH_15B)); // config.json alone, no weights
  const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'dist/src/cli/main.js'), 'plan', ...args], { encoding: 'utf8' });

  test('--json on 80GB: the same plan as the library, exit 0', () => {
    const r = cli('--model', dir, '--device-memory', '80GB', '--json');
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.fits, true);
    assert.equal(json.training.microBatchTokens, 12_288);
    assert.equal(json.kv.budget, planMemory(paper).kv.budget);
  });

  test('a run file with a smaller batch; text output; 24GB does not fit (exit 3, reasons printed)', () => {
    const run = path.join(dir, 'run.json');
    fs.writeFileSync(run, JSON.stringify({ model: '.', grpo: { trainBatchSize: 16, miniBatchSize: 16, maxResponseLength: 1024 } }));
    const ok = cli('--config', run, '--device-memory', '80GB');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /16 prompts × 8 rollouts/);
    assert.match(ok.stdout, /KV cache, worst case/);
    assert.match(ok.stdout, /fits: yes/);
    const small = cli('--model', dir, '--device-memory', '24GB');
    assert.equal(small.status, 3);
    assert.match(small.stdout, /fits: NO/);
    const bad = cli('--model', dir, '--device-memory', 'lots');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--device-memory: not a memory size/);
  });
});
