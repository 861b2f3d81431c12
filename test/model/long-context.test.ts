// Long contexts and bf16 against transformers, on tiny random checkpoints with
// max_position_embeddings 8192 (test/py/long_context_ref.py), for both RoPE variants we support:
// Qwen2's default RoPE (theta 1e6) and Llama-3 RoPE scaling (factor 8 over 1024 positions).
//   - fp32 logits of one 4,200-token sequence at positions 0..4199 (samples of the first 2k, the
//     4096 boundary, past it): the rotary tables grow past their initial 4096 rows here;
//   - greedy decoding from a 4,090-token prompt across position 4096, through the KV cache of the
//     reference sampler and of the rollout engine;
//   - a bf16 forward (weights loaded in bf16, computing in bf16) against transformers' bf16 forward.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { inferenceMode, tensor, tidy } from '../../src/engine/index.js';
import { loadModel } from '../../src/model/checkpoint.js';
import { rollout } from '../../src/rollout/engine.js';
import { generate } from '../../src/rollout/reference-sampler.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

interface Reference {
  ids: number[];
  logits: number[];
  greedy: number[];
  bf16: number[];
}

const N = 4200;
const AT = [0, 1, 100, 1023, 1024, 2047, 2048, 3000, 4094, 4095, 4096, 4097, 4150, 4199];
const PROMPT = 4090;
const NEW = 12;
const SHORT = [
  [1, 5, 9, 33, 2, 7, 100, 200, 17, 42, 99, 3],
  [1, 77, 66, 55, 44, 33, 22, 11, 250, 7, 8, 100],
];
const V = 256;

for (const arch of ['qwen2', 'llama'] as const) {
  describe(`${arch}: long context and bf16 vs transformers`, { skip: !hasPythonModule('transformers') && 'python transformers is not installed' }, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `rlvr-long-${arch}-`));
    const dir = path.join(tmp, 'model');
    const spec = path.join(tmp, 'spec.json');
    fs.writeFileSync(spec, JSON.stringify({ arch, dir, seed: 3, n: N, at: AT, prompt: PROMPT, new: NEW, short: SHORT }));
    const ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/long_context_ref.py'), [spec])) as Reference;

    test(`fp32 logits of a ${N}-token sequence (positions to ${N - 1}) match within 1e-4`, () => {
      const model = loadModel(dir);
      try {
        const ours = tidy(() =>
          inferenceMode(() => {
            const logits = model.forward(tensor(ref.ids, [1, N], { dtype: 'int64' })).squeeze(0);
            return logits.indexSelect(0, tensor(AT, [AT.length], { dtype: 'int64' })).toArray();
          }),
        );
        let maxDiff = 0;
        let maxAbs = 0;
        for (let i = 0; i < ref.logits.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(Number(ours[i]) - ref.logits[i]!));
          maxAbs = Math.max(maxAbs, Math.abs(ref.logits[i]!));
        }
        console.log(`${arch} ${N} tokens: max |logit| ${maxAbs.toFixed(3)}, max |diff| ${maxDiff.toExponential(2)}`);
        assert.equal(ours.length, AT.length * V);
        assert.ok(maxDiff <= 1e-4, `max abs logit diff ${maxDiff}`);
      } finally {
        model.dispose();
      }
    });

    test(`greedy decoding across position 4096 (prompt ${PROMPT}, ${NEW} new) is identical: reference sampler and rollout engine`, () => {
      const model = loadModel(dir);
      try {
        const prompt = ref.ids.slice(0, PROMPT);
        const opts = { maxNewTokens: NEW, greedy: true };
        assert.deepEqual(generate(model, [prompt], opts)[0]!.tokens, ref.greedy, 'reference sampler');
        assert.deepEqual(rollout(model, [prompt], opts).samples[0]!.tokens, ref.greedy, 'rollout engine');
      } finally {
        model.dispose();
      }
    });

    test('bf16 forward = transformers bf16 forward within a bound derived from bf16 rounding', () => {
      const model = loadModel(dir, { dtype: 'bfloat16' });
      try {
        assert.equal(model.dtype, 'bfloat16');
        const ours = tidy(() =>
          inferenceMode(() =>
            model
              .forward(tensor(SHORT.flat(), [2, SHORT[0]!.length], { dtype: 'int64' }))
              .float()
              .toArray(),
          ),
        );
        let maxDiff = 0;
        let maxAbs = 0;
        let exact = 0;
        for (let i = 0; i < ref.bf16.length; i++) {
          const d = Math.abs(Number(ours[i]) - ref.bf16[i]!);
          maxDiff = Math.max(maxDiff, d);
          maxAbs = Math.max(maxAbs, Math.abs(ref.bf16[i]!));
          if (d === 0) exact++;
        }
        // The bound: bf16 keeps 8 significant bits, so one rounding moves a value by at most
        // u = 2^-8 of it. Both sides run the same ATen bf16 kernels; two implementations can only
        // differ in where they round to bf16 (an op fused or split differently rounds its output
        // once more or once less). The logits are one bf16 matmul of the final hidden state, so a
        // rounding placed differently upstream reaches them as a relative change of a few u: we
        // allow 4 u of the largest logit (2 bf16 ulps at that magnitude). Zeroing an MLP weight
        // or transposing q_proj moves logits by far more. Measured: every logit is identical (we
        // round where transformers rounds: RMSNorm in float32 then cast, rotary tables in float32
        // cast to bf16), so identity is required too; a change in where we round shows up there.
        const bound = 4 * 2 ** -8 * maxAbs;
        console.log(
          `${arch} bf16: max |logit| ${maxAbs.toFixed(3)}, max |diff| ${maxDiff.toExponential(2)} (bound ${bound.toExponential(2)}), ${exact}/${ref.bf16.length} identical`,
        );
        assert.ok(maxDiff <= bound, `bf16 max abs logit diff ${maxDiff} > ${bound}`);
        assert.equal(exact, ref.bf16.length, 'bf16 logits identical to transformers');
      } finally {
        model.dispose();
      }
    });
  });
}
