// The memory plan of data-parallel runs (world size, ZeRO-1) on the published Qwen2.5-Math-1.5B
// and -7B shapes, against arithmetic written out here from the config numbers; the ZeRO-1
// partition's balance; `rlvr plan --nproc/--set zeroStage=1` from the command line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { parseModelConfig } from '../../src/model/config.js';
import { parameterShapes } from '../../src/model/transformer.js';
import { activationBytes, headWorkspaceBytes } from '../../src/memory-plan/memory.js';
import { COMM_BUCKET_BYTES, planMemory, type PlanInputs } from '../../src/memory-plan/plan.js';
import { partitionParameters, shardSizes } from '../../src/distributed/partition.js';
import { markdown, planTable } from '../../bench/plan-dist.js';
import { DEFAULT_BUCKET_BYTES } from '../../src/distributed/process-group.js';

/** Qwen/Qwen2.5-Math-1.5B config.json (the fields that matter, as published; as in plan.test.ts). */
const QWEN25_MATH_15B = {
  architectures: ['Qwen2ForCausalLM'],
  bos_token_id: 151643,
  eos_token_id: 151643,
  hidden_act: 'silu',
  hidden_size: 1536,
  max_position_embeddings: 4096,
  model_type: 'qwen2',
  num_attention_heads: 12,
  num_hidden_layers: 28,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 151936,
  intermediate_size: 8960,
};
/** Qwen/Qwen2.5-Math-7B config.json (the fields that matter, as published). */
const QWEN25_MATH_7B = {
  ...QWEN25_MATH_15B,
  hidden_size: 3584,
  intermediate_size: 18944,
  num_attention_heads: 28,
  num_key_value_heads: 4,
  num_hidden_layers: 28,
  tie_word_embeddings: false,
  vocab_size: 152064,
};
const m15 = parseModelConfig(QWEN25_MATH_15B);
const m7 = parseModelConfig(QWEN25_MATH_7B);
const paper = (model: PlanInputs['model'], deviceBytes: number, worldSize: number, zeroStage: number): PlanInputs => ({
  model,
  deviceBytes,
  computeDtype: 'bfloat16',
  trainBatchSize: 128,
  groupSize: 8,
  maxPromptLength: 1024,
  maxResponseLength: 3072,
  klCoef: 0.001,
  worldSize,
  zeroStage,
});
const numels = (model: PlanInputs['model']) => [...parameterShapes(model).values()].map((s) => s.reduce((a, b) => a * b, 1));

// Hand counts from the config numbers (q/k/v have biases in Qwen2).
const P15 = 151936 * 1536 + 28 * (1536 * 1536 + 1536 + 2 * (256 * 1536 + 256) + 1536 * 1536 + 3 * 1536 * 8960 + 2 * 1536) + 1536;
const EMBED15 = 151936 * 1536;
const P7 = 2 * 152064 * 3584 + 28 * (3584 * 3584 + 3584 + 2 * (512 * 3584 + 512) + 3584 * 3584 + 3 * 3584 * 18944 + 2 * 3584) + 3584;

describe('ZeRO-1 partition', () => {
  test('every parameter has one owner; shards sum to P; the largest is within one tensor of the mean', () => {
    for (const [model, P] of [
      [m15, P15],
      [m7, P7],
    ] as const) {
      const n = numels(model);
      for (const w of [1, 2, 3, 4, 8]) {
        const owner = partitionParameters(n, w);
        assert.equal(owner.length, n.length);
        assert.ok(owner.every((r) => Number.isInteger(r) && r >= 0 && r < w));
        const sizes = shardSizes(n, w);
        assert.equal(
          sizes.reduce((a, b) => a + b, 0),
          P,
        );
        assert.ok(Math.max(...sizes) <= P / w + Math.max(...n));
        assert.deepEqual(partitionParameters(n, w), owner, 'deterministic: every rank computes the same');
      }
    }
  });

  test('balanced: 7B within 0.1% of P/N at 2, 4, 8; 1.5B at 8 is its tied embedding alone (larger than P/8)', () => {
    for (const w of [2, 4, 8]) {
      const max = Math.max(...shardSizes(numels(m7), w));
      assert.ok(max >= P7 / w && max <= (P7 / w) * 1.001, `${w}: ${max} vs ${P7 / w}`);
    }
    // 233.4M > P/8 = 193.0M: the rank with the embedding takes nothing else (the others average 187M).
    assert.equal(Math.max(...shardSizes(numels(m15), 8)), EMBED15);
  });

  test('bad world size is refused', () => {
    assert.throws(() => partitionParameters([1, 2], 0), /positive integer/);
  });
});

describe('rlvr plan: data parallel and ZeRO-1', () => {
  test('1.5B, 8 GPUs, ZeRO-1, 80 GB: AdamW state of the largest shard, 16 prompts per rank, the collective bucket', () => {
    assert.equal(P15, 1_543_714_304);
    const p = planMemory(paper(m15, 80e9, 8, 1));
    assert.equal(p.parameters, P15);
    assert.equal(p.weights, 4 * P15, 'weights stay whole on every rank');
    assert.equal(p.gradients, 4 * P15, 'gradients are all-reduced, not sharded');
    assert.equal(p.optimizer, 8 * EMBED15);
    assert.equal(p.commBucket, COMM_BUCKET_BYTES);
    assert.equal(COMM_BUCKET_BYTES, DEFAULT_BUCKET_BYTES, 'the plan counts the bucket the process group uses');
    const kvTok = 2 * 28 * 2 * 128 * 2;
    const promptKv = 16 * 1024 * kvTok; // 128 prompts / 8 ranks
    assert.equal(p.kv.rows, 128);
    assert.equal(p.kv.worstPeak, promptKv + 128 * 3072 * kvTok);
    const sampling = 128 * 151936 * 16;
    assert.equal(p.kv.samplingWorkspace, sampling);
    assert.equal(p.kv.budget, 80e9 - 4e9 - (4 * P15 + 8 * EMBED15 + 2 * P15 + 2 * P15) - sampling);
    assert.equal(p.kv.worstCaseWaves, 1);
    const act = activationBytes(m15, p.training.microBatchTokens, 2, false);
    assert.equal(p.updatePeak, 8 * P15 + 8 * EMBED15 + 4 * P15 + COMM_BUCKET_BYTES + act + headWorkspaceBytes(m15) + 4e9);
    assert.ok(p.fits);
  });

  test('world size without ZeRO: the AdamW state stays whole, only the rollout share shrinks', () => {
    const one = planMemory(paper(m15, 80e9, 1, 0));
    const four = planMemory(paper(m15, 80e9, 4, 0));
    assert.equal(four.optimizer, 8 * P15);
    assert.equal(four.commBucket, COMM_BUCKET_BYTES);
    assert.equal(one.commBucket, 0);
    assert.equal(four.kv.rows, 32 * 8);
    assert.equal(four.updatePeak, one.updatePeak + COMM_BUCKET_BYTES);
    assert.ok(four.rolloutPeak < one.rolloutPeak);
    assert.equal(planMemory(paper(m15, 80e9, 3, 0)).kv.rows, 43 * 8, 'ceil(128 / 3) prompts on the busiest rank');
  });

  test('7B: one 141 GB GPU refuses; 2, 4 and 8 with ZeRO-1 fit; on 80 GB no world size does (replicated part > 80 GB)', () => {
    assert.equal(P7, 7_615_616_512);
    const one = planMemory(paper(m7, 141e9, 1, 0));
    assert.equal(one.fits, false);
    assert.ok(one.updatePeak >= 20 * P7, 'weights + grads + AdamW + cast + reference');
    for (const w of [2, 4, 8]) {
      const p = planMemory(paper(m7, 141e9, w, 1));
      assert.ok(p.optimizer >= 8 * (P7 / w) && p.optimizer <= 8 * (P7 / w) * 1.001);
      assert.ok(p.fits, `${w}: ${p.problems.join('; ')}`);
      assert.equal(planMemory(paper(m7, 141e9, w, 0)).fits, false, `${w} GPUs without ZeRO-1`);
    }
    const p80 = planMemory(paper(m7, 80e9, 8, 1));
    assert.equal(p80.fits, false);
    assert.ok(12 * P7 + 4e9 > 80e9, 'float32 weights + gradients + bf16 cast + reference alone exceed the card');
    assert.match(p80.problems.join('\n'), /update needs .* of 80\.00 GB/);
  });
});

describe('rlvr plan --nproc (command)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-plan-dist-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(QWEN25_MATH_7B));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, 'dist/src/cli/main.js'), 'plan', '--model', dir, ...args], { encoding: 'utf8' });

  test('7B on 141 GB: one GPU does not fit and names the smallest ZeRO-1 world; --nproc 8 --set zeroStage=1 fits', () => {
    const one = cli('--device-memory', '141GB');
    assert.equal(one.status, 3, one.stderr);
    assert.match(one.stdout, /^it fits on 2 such GPUs: --nproc 2 --set zeroStage=1$/m);
    const eight = cli('--device-memory', '141GB', '--nproc', '4', '--nnodes', '2', '--set', 'zeroStage=1', '--json');
    assert.equal(eight.status, 0, eight.stderr);
    const json = JSON.parse(eight.stdout);
    assert.equal(json.worldSize, 8);
    assert.equal(json.zeroStage, 1);
    assert.equal(json.optimizer, planMemory(paper(m7, 141e9, 8, 1)).optimizer);
  });

  test('7B on 80 GB: says no world size fits and why; a bad --nproc is one line', () => {
    const r = cli('--device-memory', '80GB', '--nproc', '8', '--set', 'zeroStage=1');
    assert.equal(r.status, 3);
    assert.match(r.stdout, /per GPU of 8 \(data parallel, ZeRO-1\)/);
    assert.match(r.stdout, /no number of such GPUs fits it: every rank keeps .* whole/);
    const bad = cli('--nproc', '0');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--nproc must be an integer >= 1, got 0/);
    const badZero = cli('--set', 'zeroStage=2');
    assert.equal(badZero.status, 2);
    assert.match(badZero.stderr, /zeroStage/);
  });
});

test('docs/distributed.md: the memory tables are what bench/plan-dist.ts prints from the planner', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs/distributed.md'), 'utf8');
  const m = /<!-- plan-dist:begin -->\n([\s\S]*?)\n<!-- plan-dist:end -->/.exec(doc);
  assert.ok(m, 'the plan-dist markers are in the doc');
  assert.equal(m[1], markdown(planTable()).trimEnd(), 'regenerate with: node dist/bench/plan-dist.js');
});
