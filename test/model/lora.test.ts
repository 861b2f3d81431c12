// LoRA (src/model/lora.ts, src/model/peft-io.ts) against the real PEFT library, after real
// training steps of the trainer:
//   1. 3 GRPO steps with adapters (rank 4, alpha 8, every linear layer; KL to the base with the
//      adapters off): the base weights stay bit-identical, the optimizer holds the adapters only,
//      B moved off zero; every checkpoint is a PEFT adapter folder.
//   2. test/py/lora_ref.py loads the last checkpoint with transformers + PeftModel.from_pretrained:
//      greedy tokens identical, logits with adapters on and off (the KL reference) <= 1e-5, and
//      the adapters' gradients of a weighted log-likelihood <= 1e-6.
//   3. One whole trainer step (2 mini-batches x 2 PPO epochs, KL to the base with the adapters
//      off, entropy bonus, clip-higher, gradient clipping, AdamW with weight decay) replayed by
//      test/py/trainer_step_ref.py on transformers + PEFT from the same initial adapter: every
//      update's adapter gradient <= 1e-6, torch AdamW fed our gradients ends at our adapters <= 1e-6.
//   4. Exact resume: step 3 run again from checkpoint 2 (adapters + AdamW state) gives the same
//      adapters bit for bit.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { manualSeed, noGrad, tensor, tidy } from '../../src/engine/index.js';
import { loadModel, saveModel } from '../../src/model/checkpoint.js';
import { LoraAdapters, loraSettings } from '../../src/model/lora.js';
import { ADAPTER_CONFIG_FILE, readAdapter, saveAdapter } from '../../src/model/peft-io.js';
import { CausalLM } from '../../src/model/transformer.js';
import { checkpointName } from '../../src/rl/checkpoints.js';
import type { GRPOConfig } from '../../src/rl/config.js';
import type { RewardFunction } from '../../src/tasks/reward.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';
import { rolloutSamples } from '../../src/rollout/engine.js';
import { repoRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python.js';
import { codec, TOY_UPDATE_CONFIG, toyExamples, toyModelConfig } from '../helpers/toy-task.js';

const tiny = toyModelConfig();
const examples = toyExamples();
const settings = loraSettings({ rank: 4, alpha: 8 });

const config: GRPOConfig = { ...TOY_UPDATE_CONFIG, steps: 3, lr: 3e-2, saveEvery: 1 };

const rewards: RewardFunction = async (items) => items.map((it) => it.completionIds.filter((i) => i < 16).length / Math.max(1, it.completionIds.length));

function trainer(policy: CausalLM, runDir: string): GRPOTrainer {
  return new GRPOTrainer({
    policy,
    reference: null,
    tokenizer: codec,
    examples,
    renderPrompt: (ex) => ex.messages[0]!.content,
    stopTokenIds: [31],
    rewards,
    config,
    runDir,
    log: () => {},
  });
}

/** The base from `dir` with the adapters of checkpoint `ckpt`. */
function adapted(dir: string, ckpt: string): CausalLM {
  const m = loadModel(dir);
  const saved = readAdapter(ckpt);
  LoraAdapters.attach(m, saved.settings, { weights: saved.weights });
  for (const t of saved.weights.values()) t.dispose();
  return m;
}

function values(m: Map<string, { toNumbers(): number[] }>): Map<string, number[]> {
  return new Map([...m].map(([n, t]) => [n, tidy(() => t.toNumbers())]));
}

function maxDiff(a: readonly number[], b: readonly number[]): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('LoRA: trained adapters against PEFT', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-lora-'));
  const baseDir = path.join(tmp, 'base');
  const runDir = path.join(tmp, 'run');
  manualSeed(11);
  const b0 = CausalLM.randomInit(tiny);
  // Weights 10x HF's init scale: peaked, varied next-token distributions, so greedy decoding
  // is not one repeated token and a wrong adapter shows in the greedy tokens.
  noGrad(() => {
    for (const [n, p] of b0.params) if (!n.endsWith('norm.weight') && !n.endsWith('.bias')) p.mul_(10);
  });
  saveModel(b0, baseDir);
  b0.dispose();

  test('3 GRPO steps train the adapters only; checkpoints are PEFT adapter folders', async () => {
    const policy = loadModel(baseDir);
    const base = values(policy.params);
    const lora = LoraAdapters.attach(policy, settings, { seed: config.seed });
    const t = trainer(policy, runDir);
    assert.equal((t.optimizer as unknown as { params: unknown[] }).params.length, lora.parameters().length, 'optimizer state for the adapters only');
    const metrics = await t.train();
    t.disposeOptimizers();
    // The KL reference is the base (adapters off): > 0 once the adapters moved (were the adapters
    // left on in the reference forward, the policy would be its own reference: KL 0 at every step).
    assert.ok(metrics[2]!.kl > 1e-4, `KL to the base at step 3: ${metrics[2]!.kl}`);
    for (const [n, w] of values(policy.params)) assert.deepEqual(w, base.get(n), `base weight ${n} unchanged`);
    const bMax = Math.max(...[...values(lora.params)].filter(([n]) => n.includes('lora_B')).map(([, v]) => Math.max(...v.map(Math.abs))));
    assert.ok(bMax > 1e-3, `B moved off zero (max |B| ${bMax})`);
    policy.dispose();
    for (const s of [1, 2, 3]) {
      const dir = path.join(runDir, 'checkpoints', checkpointName(s));
      const cfg = JSON.parse(fs.readFileSync(path.join(dir, ADAPTER_CONFIG_FILE), 'utf8')) as Record<string, unknown>;
      assert.equal(cfg['peft_type'], 'LORA');
      assert.equal(cfg['r'], 4);
      assert.equal(cfg['lora_alpha'], 8);
      assert.ok(!fs.existsSync(path.join(dir, 'model.safetensors')), 'no full model in a LoRA checkpoint');
    }
  });

  test('greedy tokens, logits (adapters on and off) and adapter gradients equal PEFT on the trained checkpoint', (t) => {
    const ckpt = path.join(runDir, 'checkpoints', checkpointName(3));
    const model = adapted(baseDir, ckpt);
    const prompt = [3, 7, 1, 12, 5];
    const maxNew = 12;
    const ours = rolloutSamples(model, [prompt], { maxNewTokens: maxNew, greedy: true, n: 1, stopTokenIds: [] })[0]!.tokens;
    const ids = [
      [3, 7, 1, 12, 5, 9, 2, 30, 4, 8],
      [11, 6, 0, 19, 21, 7, 7, 13, 2, 25],
    ];
    manualSeed(3);
    const weights = ids.map((r) => r.slice(1).map((_, i) => Math.sin(i * 1.7 + r[0]!)));
    model.lora!.requiresGrad_(true);
    const logits = tidy(() => {
      const input = tensor(ids.flat(), [2, 10], { dtype: 'int64' });
      const l = model.forward(input); // [2, 10, V]
      const logp = l
        .narrow(1, 0, 9)
        .logSoftmax(-1)
        .gather(-1, input.narrow(1, 1, 9).unsqueeze(-1))
        .squeeze(-1); // [2, 9]
      logp
        .mul(tensor(weights.flat(), [2, 9]))
        .sum()
        .backward();
      return l.toNumbers();
    });
    const baseLogits = tidy(() => model.lora!.disabled(() => model.forward(tensor(ids.flat(), [2, 10], { dtype: 'int64' })).toNumbers()));
    const grads = new Map([...model.lora!.params].map(([n, p]) => [n, tidy(() => p.grad!.toNumbers())]));
    model.dispose();

    const spec = { base_dir: baseDir, adapter_dir: ckpt, prompt, max_new_tokens: maxNew, ids, weights };
    const file = path.join(tmp, 'spec.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/lora_ref.py'), [file])) as {
      greedy: number[];
      logits: number[];
      base_logits: number[];
      grad: Record<string, number[]>;
      n_lora: number;
    };
    assert.deepEqual(ours, ref.greedy, 'greedy tokens');
    assert.ok(new Set(ours).size >= 3, `greedy tokens vary (${ours.join(' ')})`);
    const dOn = maxDiff(logits, ref.logits);
    const dOff = maxDiff(baseLogits, ref.base_logits);
    const dAdapt = maxDiff(ref.logits, ref.base_logits);
    t.diagnostic(
      `greedy ${ours.join(' ')}; logits max diff ${dOn.toExponential(2)} (adapters on), ${dOff.toExponential(2)} (off); the adapters move logits by ${dAdapt.toExponential(2)}`,
    );
    assert.ok(dAdapt > 1e-2, 'the trained adapters change the logits');
    assert.ok(dOn <= 1e-5 && dOff <= 1e-5, `logits differ from PEFT by ${dOn} / ${dOff}`);
    assert.equal(ref.n_lora, grads.size, 'PEFT has as many adapter tensors');
    assert.deepEqual([...grads.keys()].sort(), Object.keys(ref.grad).sort(), 'adapter names = PEFT keys');
    let worst = 0,
      scale = 0;
    for (const [n, g] of grads) {
      worst = Math.max(worst, maxDiff(g, ref.grad[n]!));
      scale = Math.max(scale, ...ref.grad[n]!.map(Math.abs));
    }
    t.diagnostic(`adapter gradients: max |ours - PEFT| ${worst.toExponential(2)} (largest element ${scale.toExponential(2)})`);
    assert.ok(scale > 1e-3, 'the reference gradient is not ~0');
    assert.ok(worst <= 1e-6, `adapter gradient differs from PEFT by ${worst}`);
  });

  test("one trainer step equals the PyTorch + PEFT replay: every update's adapter gradient <= 1e-6, AdamW replay <= 1e-6", async (t) => {
    const cfg1: GRPOConfig = { ...config, steps: 1, saveEvery: 0 };
    const policy = loadModel(baseDir);
    const lora = LoraAdapters.attach(policy, settings, { seed: 9 });
    // The initial adapter as PEFT will load it (A random, B zeros: the first update moves B only).
    const initDir = path.join(tmp, 'adapter-0');
    saveAdapter(lora, initDir, { baseModel: baseDir });
    const captured: { prompt: number[]; response: number[]; reward: number; group: number }[] = [];
    let trainer: GRPOTrainer;
    const reward: RewardFunction = async (items) =>
      items.map((it) => {
        const r = it.completionIds.filter((i) => i < 16).length / Math.max(1, it.completionIds.length);
        captured.push({
          prompt: [...trainer.promptIdsFor(it.example)!],
          response: [...it.completionIds],
          reward: r,
          group: trainer.batchFor(0).examples.indexOf(it.example),
        });
        return r;
      });
    trainer = new GRPOTrainer({
      policy,
      reference: null,
      tokenizer: codec,
      examples,
      renderPrompt: (ex) => ex.messages[0]!.content,
      stopTokenIds: [31],
      rewards: reward,
      config: cfg1,
      runDir: path.join(tmp, 'replay-run'),
      log: () => {},
    });
    const grads: Map<string, number[]>[] = [];
    const opt = trainer.optimizer;
    const step = opt.step.bind(opt);
    opt.step = () => {
      grads.push(new Map([...lora.params].map(([n, p]) => [n, tidy(() => p.grad!.toNumbers())])));
      step();
    };
    await trainer.train();
    trainer.disposeOptimizers();
    const final = values(lora.params);
    policy.dispose();
    const c = cfg1;
    const spec = {
      policy_dir: baseDir,
      ref_dir: null,
      adapter_dir: initDir,
      seqs: captured.map((x) => ({ prompt: x.prompt, response: x.response })),
      rewards: captured.map((x) => x.reward),
      groups: captured.map((x) => x.group),
      replay: grads.map((g) => Object.fromEntries(g)),
      coef: {
        temperature: c.temperature,
        clip_low: c.clipRatio,
        clip_high: c.clipRatioHigh ?? c.clipRatio,
        kl_coef: c.klCoef,
        ent_coef: c.entropyCoef,
        pg: c.policyGradient,
        aggregation: c.lossAggregation,
        max_len: c.maxResponseLength,
        norm_std: c.normalizeAdvantageByStd,
        ppo_epochs: c.ppoEpochs,
        mini_groups: c.miniBatchSize,
        lr: c.lr,
        betas: c.betas,
        eps: c.eps,
        weight_decay: c.weightDecay,
        grad_clip: c.gradClip,
        overlong_filter: c.overlongFilter,
        stop_ids: [31],
        fork_ranks: c.forkRanks,
        fork_max_tokens: c.forkMaxTokensPerRank,
        group_size: c.groupSize,
      },
    };
    const file = path.join(tmp, 'replay-spec.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/trainer_step_ref.py'), [file])) as {
      updates: { grad: Record<string, number[]>; clipfrac: number }[];
      final: Record<string, number[]>;
      replayed: Record<string, number[]>;
    };
    assert.equal(grads.length, ref.updates.length, 'optimizer steps');
    assert.equal(grads.length, 4);
    for (let u = 0; u < grads.length; u++) {
      assert.deepEqual([...grads[u]!.keys()].sort(), Object.keys(ref.updates[u]!.grad).sort(), 'adapter names');
      let worst = 0,
        scale = 0;
      for (const [n, g] of grads[u]!) {
        worst = Math.max(worst, maxDiff(g, ref.updates[u]!.grad[n]!));
        scale = Math.max(scale, ...ref.updates[u]!.grad[n]!.map(Math.abs));
      }
      t.diagnostic(
        `update ${u + 1}: max |grad - PEFT reference| ${worst.toExponential(2)} (largest ${scale.toExponential(2)}, clipfrac ${ref.updates[u]!.clipfrac.toFixed(3)})`,
      );
      assert.ok(scale > 1e-3, `update ${u + 1}: the reference gradient is not ~0`);
      assert.ok(worst <= 1e-6, `update ${u + 1}: adapter gradient differs by ${worst}`);
    }
    let worstReplay = 0;
    for (const [n, w] of final) worstReplay = Math.max(worstReplay, maxDiff(w, ref.replayed[n]!));
    t.diagnostic(`torch AdamW on our gradients vs our adapters: ${worstReplay.toExponential(2)}`);
    assert.ok(worstReplay <= 1e-6, `AdamW replay differs by ${worstReplay}`);
  });

  test('exact resume: step 3 from checkpoint 2 (adapters + AdamW state) gives the same adapters bit for bit', async () => {
    const runDir2 = path.join(tmp, 'run2');
    fs.cpSync(runDir, runDir2, { recursive: true });
    fs.rmSync(path.join(runDir2, 'checkpoints', checkpointName(3)), { recursive: true });
    const ckpt2 = path.join(runDir2, 'checkpoints', checkpointName(2));
    const policy = adapted(baseDir, ckpt2);
    const t = trainer(policy, runDir2);
    t.loadCheckpointState(ckpt2);
    assert.equal(t.step, 2);
    await t.train();
    t.disposeOptimizers();
    policy.dispose();
    const a = readAdapter(path.join(runDir, 'checkpoints', checkpointName(3)));
    const b = readAdapter(path.join(runDir2, 'checkpoints', checkpointName(3)));
    const va = values(a.weights),
      vb = values(b.weights);
    for (const [n, v] of va) assert.deepEqual(vb.get(n), v, `adapter ${n} after resume`);
    for (const x of [a, b]) for (const w of x.weights.values()) w.dispose();
  });
});
