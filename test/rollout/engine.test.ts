// The rollout engine against the reference sampler (src/rollout/reference-sampler.ts) on tiny random
// models, fp32 CPU:
//   - greedy: identical tokens (one shared prompt, and mixed prompt lengths through the mask);
//   - sampled: the engine draws by inverse CDF (one uniform per row), the reference by
//     multinomial (one exponential per vocabulary entry), so the random streams differ by design:
//     same seed → same tokens; truncated tokens never drawn; equal in distribution by a two-sample
//     chi-square test (α = 0.001, 3000 rows each) over whole 3-token responses with top-k/top-p,
//     and with stop tokens over (first token, second token, length bucket) — each time the same
//     test must also reject a sampler with other settings (power);
//   - log-probs equal the model's teacher-forced log-probs of logits / T;
//   - KV memory: waves under a small budget give the same greedy output, and the peak is below
//     the reference cache's; host reads are one per block.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inferenceMode, liveTensors, manualSeed, tensor, tidy } from '../../src/engine/index.js';
import type { ModelConfig } from '../../src/model/config.js';
import { CausalLM } from '../../src/model/transformer.js';
import { setVarlenKernel } from '../../src/rollout/attention.js';
import { rollout } from '../../src/rollout/engine.js';
import { generate, type Sample } from '../../src/rollout/reference-sampler.js';
import { emulatedVarlen } from '../helpers/varlen-emulator.js';

const tiny: ModelConfig = {
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
  tieWordEmbeddings: true,
  attentionBias: true,
  maxPositionEmbeddings: 256,
  bosTokenId: null,
  eosTokenId: null,
  torchDtype: 'float32',
};

function model(seed: number, scale = 1): CausalLM {
  manualSeed(seed);
  const m = CausalLM.randomInit(tiny);
  // Sharper logits than HF's 0.02 init so that sampled tokens are not uniform noise.
  if (scale !== 1)
    tidy(() =>
      inferenceMode(() => {
        for (const p of m.parameters()) if (p.ndim === 2) p.mul_(scale);
      }),
    );
  return m;
}

const tokens = (s: Sample[]) => s.map((x) => x.tokens);

describe('rollout engine vs the reference sampler', () => {
  const m = model(5, 10);
  const onePrompt = [[3, 7, 1, 9, 4]];
  const mixed = [
    [3, 7, 1, 9, 4],
    [2, 2],
    [5, 6, 7, 8, 9, 10, 11, 12, 13],
  ];

  test('greedy: identical tokens, one shared prompt and mixed prompt lengths, with stops, growth and compaction', () => {
    const before = liveTensors();
    for (const prompts of [onePrompt, mixed]) {
      const opts = { maxNewTokens: 20, greedy: true, n: 3, stopTokenIds: [0, 5] };
      const ref = generate(m, prompts, opts);
      const { samples, stats } = rollout(m, prompts, { ...opts, syncEvery: 3, initialCapacity: 2 });
      assert.deepEqual(tokens(samples), tokens(ref));
      assert.deepEqual(
        samples.map((s) => s.finishReason),
        ref.map((s) => s.finishReason),
      );
      samples.forEach((s, i) => s.logprobs.forEach((lp, j) => assert.ok(Math.abs(lp - ref[i]!.logprobs[j]!) < 1e-4)));
      assert.ok(stats.growths > 0, 'capacity grew on demand');
    }
    assert.equal(liveTensors(), before, 'no native tensor leaked');
  });

  test('sampled: deterministic for a seed; top-k/top-p truncation respected; equal in distribution to the reference', () => {
    const opts = { maxNewTokens: 3, temperature: 0.6, topP: 0.9, topK: 5, n: 3000 };
    const a = rollout(m, onePrompt, { ...opts, seed: 42 }).samples;
    const b = rollout(m, onePrompt, { ...opts, seed: 42 }).samples;
    const c = rollout(m, onePrompt, { ...opts, seed: 43 }).samples;
    assert.deepEqual(tokens(a), tokens(b), 'same seed, same tokens');
    assert.notDeepEqual(tokens(b), tokens(c), 'another seed, other tokens');
    // Truncation: first tokens only among the top-5 of the prompt's next-token logits.
    const top5 = tidy(() =>
      inferenceMode(() =>
        m
          .forward(tensor(onePrompt[0]!, [1, 5], { dtype: 'int64' }))
          .select(1, 4)
          .squeeze(0)
          .topk(5)[1]
          .toNumbers(),
      ),
    );
    assert.ok(
      a.every((s) => top5.includes(s.tokens[0]!)),
      'a truncated token was sampled',
    );
    const ref = generate(m, onePrompt, { ...opts, seed: 7 });
    const key = (s: Sample) => s.tokens.join(',');
    const same = chiSquare(ref.map(key), a.map(key));
    assert.ok(same.stat < same.critical, `engine differs from reference: chi2 ${same.stat.toFixed(1)} >= ${same.critical.toFixed(1)} (df ${same.df})`);
    const looser = rollout(m, onePrompt, { ...opts, topP: 1, topK: 0, seed: 42 }).samples;
    const diff = chiSquare(ref.map(key), looser.map(key));
    console.log(
      `chi2 (top-k/top-p) same ${same.stat.toFixed(1)} other ${diff.stat.toFixed(1)} critical ${same.critical.toFixed(1)}/${diff.critical.toFixed(1)}`,
    );
    assert.ok(diff.stat > diff.critical, `the test cannot tell top-k 5 / top-p 0.9 from no truncation: chi2 ${diff.stat.toFixed(1)} (df ${diff.df})`);
  });

  test('the CUDA (varlen) layout — row offsets into shared prompt keys, used lengths, lse layout — gives the same greedy output', () => {
    // The CUDA kernel, written out (test/helpers/varlen-emulator.ts).
    const prev = setVarlenKernel(emulatedVarlen);
    try {
      const opts = { maxNewTokens: 12, greedy: true, n: 3, stopTokenIds: [0, 5] };
      const ref = generate(m, mixed, opts);
      const { samples } = rollout(m, mixed, { ...opts, attentionLayout: 'varlen', syncEvery: 3, initialCapacity: 2 });
      assert.deepEqual(tokens(samples), tokens(ref));
      samples.forEach((s, i) => s.logprobs.forEach((lp, j) => assert.ok(Math.abs(lp - ref[i]!.logprobs[j]!) < 1e-4)));
    } finally {
      setVarlenKernel(prev);
    }
  });

  test('log-probs are the teacher-forced log-probs of logits / T', () => {
    const T = 0.7;
    const { samples } = rollout(m, mixed, { maxNewTokens: 10, temperature: T, n: 2, seed: 3, stopTokenIds: [1] });
    for (const s of samples) {
      const ids = [...mixed[s.promptIndex]!, ...s.tokens];
      const want = tidy(() =>
        inferenceMode(() => {
          const logp = m
            .forward(tensor(ids, [1, ids.length], { dtype: 'int64' }))
            .div(T)
            .logSoftmax(-1)
            .squeeze(0);
          const p0 = mixed[s.promptIndex]!.length - 1;
          return s.tokens.map((t, j) =>
            logp
              .select(0, p0 + j)
              .select(0, t)
              .item(),
          );
        }),
      );
      want.forEach((w, j) => assert.ok(Math.abs(w - s.logprobs[j]!) < 1e-4, `${w} vs ${s.logprobs[j]}`));
    }
  });

  test('sampled with stop tokens: equal in distribution (two-sample chi-square), and the test has power', () => {
    const sm = model(9, 6);
    const prompts = [[4, 1, 2]];
    const rows = 3000;
    const base = { maxNewTokens: 6, temperature: 0.8, n: rows, stopTokenIds: [0, 1, 2, 3, 4, 5] };
    const ref = generate(sm, prompts, { ...base, seed: 1 });
    const ours = rollout(sm, prompts, { ...base, seed: 2, syncEvery: 2 }).samples;
    const other = rollout(sm, prompts, { ...base, temperature: 1.6, seed: 2 }).samples;
    const key = (s: Sample) => `${s.tokens[0]}|${s.tokens[1] ?? '-'}|${Math.min(s.tokens.length, 4)}`;
    const same = chiSquare(ref.map(key), ours.map(key));
    assert.ok(same.stat < same.critical, `engine differs from reference: chi2 ${same.stat.toFixed(1)} >= ${same.critical.toFixed(1)} (df ${same.df})`);
    const diff = chiSquare(ref.map(key), other.map(key));
    assert.ok(diff.stat > diff.critical, `the test cannot tell T 0.8 from T 1.6: chi2 ${diff.stat.toFixed(1)} (df ${diff.df})`);
    // Lengths vary (stops happen), so rows did leave the batch.
    console.log(`chi2 (stops) same ${same.stat.toFixed(1)} other ${diff.stat.toFixed(1)} critical ${same.critical.toFixed(1)}/${diff.critical.toFixed(1)}`);
    assert.ok(new Set(ours.map((s) => s.tokens.length)).size > 2);
  });

  test('KV budget: waves give the same greedy output; peak KV below the reference cache; one host read per block', () => {
    const prompts = [[3, 7, 1, 9, 4, 8, 8, 8, 8, 8, 8, 8]];
    const opts = { maxNewTokens: 16, greedy: true, n: 8 };
    const ref = generate(m, prompts, opts);
    const perToken = 2 * tiny.numLayers * tiny.numKvHeads * tiny.headDim * 4;
    const one = rollout(m, prompts, { ...opts, syncEvery: 4 });
    const waves = rollout(m, prompts, { ...opts, kvBudgetBytes: 12 * perToken + 3 * 16 * perToken });
    assert.deepEqual(tokens(one.samples), tokens(ref));
    assert.deepEqual(tokens(waves.samples), tokens(ref));
    assert.equal(waves.stats.waves, 3);
    assert.ok(waves.stats.kvPeakBytes <= 12 * perToken + 3 * 16 * perToken, `peak ${waves.stats.kvPeakBytes} over budget`);
    const referenceCache = 8 * (12 + 16) * perToken;
    assert.ok(one.stats.kvPeakBytes < referenceCache, `${one.stats.kvPeakBytes} vs ${referenceCache}`);
    assert.equal(one.stats.decodeSteps, 15);
    assert.equal(one.stats.hostSyncs, 4); // 16 tokens / 4 per block
    assert.equal(one.stats.prefillTokens, 12); // the shared prompt once, not 8 times
  });
});

/** Two-sample chi-square homogeneity test; critical value at α = 0.001 (Wilson–Hilferty). */
function chiSquare(a: string[], b: string[]): { stat: number; df: number; critical: number } {
  const ca = new Map<string, number>();
  const cb = new Map<string, number>();
  for (const k of a) ca.set(k, (ca.get(k) ?? 0) + 1);
  for (const k of b) cb.set(k, (cb.get(k) ?? 0) + 1);
  // Pool categories with fewer than 10 expected counts into one bin.
  const keys = [...new Set([...ca.keys(), ...cb.keys()])];
  const big = keys.filter((k) => (ca.get(k) ?? 0) + (cb.get(k) ?? 0) >= 20);
  const rest = (m: Map<string, number>) => keys.filter((k) => !big.includes(k)).reduce((s, k) => s + (m.get(k) ?? 0), 0);
  const rowsA = [...big.map((k) => ca.get(k) ?? 0), rest(ca)];
  const rowsB = [...big.map((k) => cb.get(k) ?? 0), rest(cb)];
  const na = a.length;
  const nb = b.length;
  let stat = 0;
  let df = -1;
  rowsA.forEach((x, i) => {
    const y = rowsB[i]!;
    const tot = x + y;
    if (tot === 0) return;
    df++;
    const ea = (tot * na) / (na + nb);
    const eb = (tot * nb) / (na + nb);
    stat += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb;
  });
  const z = 3.0902; // one-sided 0.001 normal quantile
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  return { stat, df, critical };
}
