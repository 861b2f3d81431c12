// The parity suite every new model family runs against transformers (issue 26's bars): a
// random-init checkpoint that transformers builds and saves (test/py/family_ref.py), then
//   - fp32 logits within 1e-4 of transformers' (max |diff| over the whole [B, L, vocab]),
//   - greedy tokens identical, from the reference sampler and from the rollout engine,
//   - a left-padded batch decoded as transformers' generate decodes it, and batched = one by one,
//   - what saveModel writes (config.json from the family file, weights) loads back in transformers.
// Used by test/model/qwen3.test.ts and test/model/gemma3.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fromBytes, inferenceMode, tensor, tidy } from '../../src/engine/index.js';
import { loadModel, saveModel } from '../../src/model/checkpoint.js';
import type { CausalLM } from '../../src/model/transformer.js';
import { rollout } from '../../src/rollout/engine.js';
import { generate } from '../../src/rollout/reference-sampler.js';
import { repoRoot } from './paths.js';
import { hasPythonModule, runPython } from './python.js';

export interface FamilyParitySpec {
  name: string;
  family: 'qwen3' | 'gemma3';
  /** transformers config kwargs (Qwen3Config / Gemma3TextConfig). */
  config: Record<string, unknown>;
  /** Rows of equal length for the logits check. */
  ids: number[][];
  prompt: number[];
  maxNewTokens: number;
  /** Prompts of different lengths, decoded as one left-padded batch. */
  batch: number[][];
  /** Checks on the loaded model's config before any forward (e.g. the family fields parsed). */
  checkConfig?: (model: CausalLM) => void;
}

interface Reference {
  shape: number[];
  greedy: number[];
  batch_greedy: number[][] | null;
  seconds: number;
}

export function familyParitySuite(s: FamilyParitySpec): void {
  describe(`${s.name} vs transformers`, { skip: !hasPythonModule('transformers') && 'python transformers is not installed' }, () => {
    let tmp = '';
    let ref: Reference;
    let model: CausalLM;
    let specFile = '';
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), `rlvr-${s.family}-`));
      const spec = path.join(tmp, 'spec.json');
      specFile = spec;
      fs.writeFileSync(
        spec,
        JSON.stringify({
          family: s.family,
          config: s.config,
          seed: 7,
          dir: path.join(tmp, 'model'),
          ids: s.ids,
          prompt: s.prompt,
          max_new_tokens: s.maxNewTokens,
          batch: s.batch,
          logits_out: path.join(tmp, 'logits.f32'),
        }),
      );
      ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/family_ref.py'), [spec])) as Reference;
      console.log(`# ${s.name}: transformers built, saved and ran the reference in ${ref.seconds.toFixed(1)} s`);
      model = loadModel(path.join(tmp, 'model'));
    });
    after(() => {
      model?.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    test('config.json parses into the family', () => {
      s.checkConfig?.(model);
    });

    test('logits match within 1e-4 (fp32)', () => {
      const [b, l] = [s.ids.length, s.ids[0]!.length];
      assert.deepEqual(ref.shape, [b, l, model.config.vocabSize]);
      const bytes = fs.readFileSync(path.join(tmp, 'logits.f32'));
      const maxDiff = tidy(() =>
        inferenceMode(() => {
          const theirs = fromBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'float32', ref.shape);
          const ours = model.forward(tensor(s.ids.flat(), [b, l], { dtype: 'int64' }));
          return ours.sub(theirs).abs().max().item();
        }),
      );
      console.log(`# ${s.name}: max |logit diff| ${maxDiff.toExponential(2)} over [${ref.shape.join(', ')}]`);
      assert.ok(maxDiff <= 1e-4, `max abs logit diff ${maxDiff}`);
    });

    test(`greedy generation of ${s.maxNewTokens} tokens is identical (reference sampler and rollout engine)`, () => {
      const opts = { maxNewTokens: s.maxNewTokens, greedy: true };
      assert.deepEqual(generate(model, [s.prompt], opts)[0]!.tokens, ref.greedy, 'reference sampler');
      assert.deepEqual(rollout(model, [s.prompt], opts).samples[0]!.tokens, ref.greedy, 'rollout engine');
    });

    test('left-padded batch = transformers generate on the same batch; batched = one by one', () => {
      assert.ok(ref.batch_greedy);
      const opts = { maxNewTokens: s.maxNewTokens, greedy: true };
      const batched = generate(model, s.batch, opts).map((x) => x.tokens);
      assert.deepEqual(batched, ref.batch_greedy, 'reference sampler');
      assert.deepEqual(
        rollout(model, s.batch, opts).samples.map((x) => x.tokens),
        ref.batch_greedy,
        'rollout engine',
      );
      s.batch.forEach((p, i) => {
        assert.deepEqual(generate(model, [p], opts)[0]!.tokens, batched[i], `prompt ${i} alone`);
      });
    });

    test('saveModel output loads in transformers with the same logits', () => {
      const saved = path.join(tmp, 'saved');
      saveModel(model, saved);
      const r = JSON.parse(runPython(path.join(repoRoot, 'test/py/family_ref.py'), ['--reload', saved, specFile])) as { max_diff: number; class: string };
      assert.equal(r.class, model.config.architecture);
      assert.ok(r.max_diff <= 1e-5, `reloaded logits differ by ${r.max_diff}`);
    });
  });
}
