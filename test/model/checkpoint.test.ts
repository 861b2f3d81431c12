// Loading and saving HF model folders: sharded files, fp16/bf16 weights, tied embeddings, and
// one clear error for an unsupported architecture or a tensor that does not match config.json.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { inferenceMode, liveTensors, manualSeed, noGrad, tensor, tidy } from '../../src/engine/index.js';
import type { ModelConfig } from '../../src/model/config.js';
import { loadModel, saveModel } from '../../src/model/checkpoint.js';
import { SafetensorsReader, writeSafetensors } from '../../src/model/safetensors.js';
import { CausalLM } from '../../src/model/transformer.js';

const cfg: ModelConfig = {
  architecture: 'LlamaForCausalLM',
  hiddenSize: 32,
  intermediateSize: 64,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  headDim: 8,
  vocabSize: 50,
  rmsNormEps: 1e-5,
  ropeTheta: 500000,
  ropeScaling: null,
  tieWordEmbeddings: false,
  attentionBias: false,
  maxPositionEmbeddings: 64,
  bosTokenId: 1,
  eosTokenId: 2,
  torchDtype: 'float32',
};
const ids = [1, 5, 9, 33, 2, 7];

function logitsOf(m: CausalLM): number[] {
  return tidy(() =>
    inferenceMode(() =>
      Array.from(
        m
          .forward(tensor(ids, [1, ids.length], { dtype: 'int64' }))
          .float()
          .toArray() as Float32Array,
      ),
    ),
  );
}

describe('model folders', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-ckpt-'));
  manualSeed(2);
  const model = CausalLM.randomInit(cfg);
  const reference = logitsOf(model);

  test('sharded save (index json) loads back to identical logits', () => {
    const dir = path.join(tmp, 'sharded');
    saveModel(model, dir, { maxShardBytes: 20_000 });
    const shards = fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors'));
    assert.ok(shards.length > 2, `expected several shards, got ${shards.length}`);
    assert.ok(fs.existsSync(path.join(dir, 'model.safetensors.index.json')));
    const back = loadModel(dir);
    assert.deepEqual(logitsOf(back), reference);
    back.dispose();
  });

  test('bf16 and fp16 weights load bit-exactly as the fp32 weights rounded in the engine (and compute in the requested dtype)', () => {
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const dir = path.join(tmp, dtype);
      saveModel(model, dir, { dtype });
      const cfgJson = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      assert.equal(cfgJson.torch_dtype, dtype);
      // The expectation: the same fp32 weights, each rounded to `dtype` by the engine (round to
      // nearest even) and widened back to float32.
      const rounded = new CausalLM(
        cfg,
        new Map([...model.params].map(([name, p]) => [name, noGrad(() => tidy(() => p.to({ dtype }).to({ dtype: 'float32' }))).keep()])),
      );
      const back = loadModel(dir, { dtype: 'float32' });
      assert.equal(back.dtype, 'float32');
      let changed = 0;
      for (const [name, p] of rounded.params) {
        assert.deepEqual(back.params.get(name)!.toBytes(), p.toBytes(), `${dtype}: ${name} is not the rounded fp32 weight`);
        if (!Buffer.from(p.toBytes()).equals(Buffer.from(model.params.get(name)!.toBytes()))) changed++;
      }
      assert.ok(changed >= rounded.params.size - 2 * cfg.numLayers - 1, `${dtype}: rounding should change the random weights (${changed} changed)`);
      assert.deepEqual(logitsOf(back), logitsOf(rounded), `${dtype}: logits`);
      // Loaded in the reduced dtype itself: the same bits, kept in that dtype.
      const native = loadModel(dir, { dtype });
      assert.equal(native.dtype, dtype);
      for (const [name, p] of rounded.params) {
        assert.deepEqual(
          native.params.get(name)!.toBytes(),
          tidy(() => p.to({ dtype }).toBytes()),
          `${dtype}: ${name} loaded in ${dtype}`,
        );
      }
      for (const m of [back, rounded, native]) m.dispose();
    }
  });

  test('unsupported architecture and mismatched tensors give one clear error', () => {
    const dir = path.join(tmp, 'bad');
    saveModel(model, dir);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, architectures: ['MistralForCausalLM'] }));
    assert.throws(() => loadModel(dir), /unsupported architecture MistralForCausalLM/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, intermediate_size: 65 }));
    assert.throws(() => loadModel(dir), /has shape \[64, 32\] but config.json implies \[65, 32\]/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    // A checkpoint missing a tensor.
    const reader = new SafetensorsReader(dir);
    const kept = reader.names
      .filter((n) => n !== 'model.norm.weight')
      .map((n) => ({ name: n, dtype: reader.info(n).dtype, shape: reader.info(n).shape, data: reader.read(n) }));
    reader.close();
    writeSafetensors(path.join(dir, 'model.safetensors'), kept);
    assert.throws(() => loadModel(dir), /missing tensor model.norm.weight/);
    assert.throws(() => loadModel(path.join(tmp, 'nowhere')), /no such model folder/);
  });

  test('loading frees everything it allocated on failure', () => {
    const before = liveTensors();
    assert.throws(() => loadModel(path.join(tmp, 'bad')));
    assert.equal(liveTensors(), before);
  });
});
