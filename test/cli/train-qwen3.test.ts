// `rlvr train` and `rlvr generate` on a tiny random Qwen3 (q/k RMSNorm per head, no qkv bias,
// head_dim apart from hidden/heads) with the real Qwen3 tokenizer: the family goes through the
// CLI end to end — two GRPO steps change the weights, the checkpoint is a Qwen3 folder again, and
// generation from it is the reference sampler's on the loaded checkpoint (greedy).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { loadModel } from '../../src/model/checkpoint.js';
import { generate } from '../../src/rollout/reference-sampler.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-qwen3-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function rlvr(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
}

test('rlvr train (2 steps) and rlvr generate on a tiny random Qwen3', () => {
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 7, 16, 'qwen3');
  const cfg0 = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
  assert.deepEqual(cfg0.architectures, ['Qwen3ForCausalLM']);
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(data, `${JSON.stringify({ problem: 'What is 1+1?', answer: '2' })}\n${JSON.stringify({ problem: 'What is 2+3?', answer: '5' })}\n`);
  const out = path.join(tmp, 'run');
  const r = rlvr([
    'train',
    '--model',
    modelDir,
    '--data',
    data,
    '--out',
    out,
    '--steps',
    '2',
    '--set',
    'trainBatchSize=2,miniBatchSize=1,groupSize=2,maxResponseLength=4,saveEvery=2',
    '--threads',
    '1',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /step 2\/2 \| reward/);
  const ckpt = path.join(out, 'checkpoints/step-000002');
  const cfg = JSON.parse(fs.readFileSync(path.join(ckpt, 'config.json'), 'utf8'));
  assert.deepEqual(cfg.architectures, ['Qwen3ForCausalLM']);
  assert.equal(cfg.head_dim, 16);

  // The update reached the weights (q/k norms included: they are Qwen3's own parameters).
  const before = loadModel(modelDir);
  const trained = loadModel(ckpt);
  try {
    const changed = (name: string) => before.params.get(name)!.sub(trained.params.get(name)!).abs().max().item() > 0;
    assert.ok(changed('model.layers.0.mlp.down_proj.weight'), 'the MLP moved');
    assert.ok(changed('model.layers.0.self_attn.q_norm.weight'), 'the q norm moved');

    // Generate from the checkpoint through the CLI; greedy = the reference sampler on the loaded model.
    const g = spawnSync(
      process.execPath,
      [cli, 'generate', '--model', ckpt, '--prompt', 'Hello', '--max-tokens', '5', '--greedy', '--json', '--device', 'cpu'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(g.status, 0, g.stderr);
    const sample = JSON.parse(g.stdout.trim().split('\n')[0]!) as { tokens: number[]; promptTokens: number };
    const ids = Tokenizer.fromFile(ckpt).encode('Hello');
    const want = generate(trained, [ids], { maxNewTokens: 5, greedy: true, stopTokenIds: [151643, 151645] })[0]!.tokens;
    assert.equal(sample.promptTokens, ids.length);
    assert.deepEqual(sample.tokens, want);
    assert.ok(want.length > 0);
  } finally {
    before.dispose();
    trained.dispose();
  }
});
