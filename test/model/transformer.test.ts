// Parity of our Qwen2/Llama forward pass and greedy decoding with transformers (fp32, CPU),
// on tiny random-init checkpoints that transformers creates and saves in HF layout.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { inferenceMode, liveTensors, tensor, tidy } from '../../src/engine/index.js';
import { loadModel, saveModel } from '../../src/model/checkpoint.js';
import { generate } from '../../src/rollout/reference-sampler.js';
import { rollout } from '../../src/rollout/engine.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

const haveTransformers = hasPythonModule('transformers');

interface Reference {
  shape: number[];
  logits: number[];
  greedy: number[];
  batch_greedy: number[][] | null;
}

function makeReference(arch: 'qwen2' | 'llama', dir: string, ids: number[][], prompt: number[], maxNew: number, batch: number[][]): Reference {
  const spec = path.join(dir, '..', `${arch}-spec.json`);
  fs.writeFileSync(spec, JSON.stringify({ arch, dir, seed: 7, ids, prompt, max_new_tokens: maxNew, batch }));
  return JSON.parse(runPython(path.join(repoRoot, 'test/py/model_ref.py'), [spec])) as Reference;
}

for (const arch of ['qwen2', 'llama'] as const) {
  describe(`${arch} causal LM vs transformers`, { skip: !haveTransformers && 'python transformers is not installed' }, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `rlvr-${arch}-`));
    const dir = path.join(tmp, 'model');
    const ids = [
      [1, 17, 42, 99, 3, 250, 7, 7, 8, 100, 101, 5],
      [1, 200, 13, 0, 255, 64, 32, 16, 8, 4, 2, 9],
    ];
    const prompt = [1, 10, 20, 30, 40, 50];
    // Prompts of different lengths (1 to 9 tokens), decoded as one left-padded batch.
    const batch = [prompt, [1, 5, 9], [1, 77, 66, 55, 44, 33, 22, 11, 3], [1], [1, 2, 3, 4, 5, 6, 7, 8]];
    const ref = makeReference(arch, dir, ids, prompt, 64, batch);

    test('logits match within 1e-4 (fp32)', () => {
      const model = loadModel(dir);
      try {
        const ours = tidy(() => inferenceMode(() => model.forward(tensor(ids.flat(), [2, 12], { dtype: 'int64' })).toArray()));
        assert.deepEqual([2, 12, 256], ref.shape);
        let maxDiff = 0;
        for (let i = 0; i < ref.logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs((ours[i] as number) - ref.logits[i]!));
        assert.ok(maxDiff <= 1e-4, `max abs logit diff ${maxDiff}`);
      } finally {
        model.dispose();
      }
    });

    test('greedy generation of 64 tokens is identical, token for token', () => {
      const model = loadModel(dir);
      try {
        const [out] = generate(model, [prompt], { maxNewTokens: 64, greedy: true });
        assert.deepEqual(out!.tokens, ref.greedy);
        assert.equal(out!.finishReason, 'length');
      } finally {
        model.dispose();
      }
    });

    test('batched prompts of different lengths give the same tokens as one by one', () => {
      const model = loadModel(dir);
      try {
        const prompts = [prompt, [1, 5, 9], [1, 77, 66, 55, 44, 33, 22, 11, 3], [1]];
        const batched = generate(model, prompts, { maxNewTokens: 24, greedy: true });
        prompts.forEach((p, i) => {
          const [single] = generate(model, [p], { maxNewTokens: 24, greedy: true });
          assert.deepEqual(batched[i]!.tokens, single!.tokens, `prompt ${i}`);
        });
      } finally {
        model.dispose();
      }
    });

    test('left-padded batched greedy decoding = transformers generate on the same padded batch (reference sampler and rollout engine)', () => {
      const model = loadModel(dir);
      try {
        assert.ok(ref.batch_greedy);
        const want = ref.batch_greedy.map((row) => row.slice(0, 32));
        const opts = { maxNewTokens: 32, greedy: true };
        assert.deepEqual(
          generate(model, batch, opts).map((s) => s.tokens),
          want,
          'reference sampler',
        );
        assert.deepEqual(
          rollout(model, batch, opts).samples.map((s) => s.tokens),
          want,
          'rollout engine',
        );
      } finally {
        model.dispose();
      }
    });

    test('save → transformers loads it → same logits; no tensor leaks', () => {
      const before = liveTensors();
      const model = loadModel(dir);
      const saved = path.join(tmp, 'saved');
      saveModel(model, saved);
      model.dispose();
      assert.equal(liveTensors(), before);
      const script = path.join(tmp, 'reload.py');
      fs.writeFileSync(
        script,
        `
import json, torch, transformers
m = transformers.AutoModelForCausalLM.from_pretrained(${JSON.stringify(saved)}, dtype=torch.float32)
ids = torch.tensor(${JSON.stringify(ids)})
print(json.dumps(m(ids).logits.flatten().tolist()))`,
      );
      const out = runPython(script);
      const logits = JSON.parse(out) as number[];
      let maxDiff = 0;
      for (let i = 0; i < logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(logits[i]! - ref.logits[i]!));
      assert.ok(maxDiff <= 1e-5, `reloaded logits differ by ${maxDiff}`);
    });
  });
}
