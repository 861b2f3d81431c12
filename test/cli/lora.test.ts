// LoRA through the CLI: `rlvr train --lora-rank` writes PEFT adapter checkpoints naming their
// base; `--resume` continues from one (a run of 2 steps resumed to 3 ends with the adapters and
// AdamW state of the 3-step run, bit for bit); `rlvr generate --model CKPT` runs the adapter on
// its base; `rlvr merge CKPT --out DIR` writes a plain HF folder whose weights equal PEFT's
// merge_and_unload (test/py/lora_merge_ref.py) and whose greedy output equals the adapter's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { checkpointName } from '../../src/rl/checkpoints.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const SETTINGS = [
  'trainBatchSize=2',
  'miniBatchSize=1',
  'groupSize=2',
  'maxResponseLength=4',
  'ppoEpochs=1',
  'saveEvery=1',
  'keepLast=0',
  'validateEvery=0',
  'klCoef=0.05',
  'entropyCoef=0.01',
  'weightDecay=0.01',
  'lr=5e-2',
  'gradClip=1',
  'temperature=0.6',
  'seed=7',
  'rolloutSamples=0',
  'computeDtype=float32',
  'reuseRolloutLogprobs=false',
  'lossAggregation=token-mean',
].join(',');

function rlvr(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args, ...(args[0] === 'merge' ? [] : ['--threads', '1'])], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  assert.equal(r.status, 0, `rlvr ${args.join(' ')}: ${r.stderr}`);
  return r;
}

describe('rlvr train --lora-rank, --resume, generate --model CKPT, merge', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-cli-lora-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 13, 32);
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(data, [1, 2, 3, 4].map((i) => JSON.stringify({ problem: `What is ${i}+${i}?`, answer: String(2 * i) })).join('\n') + '\n');
  const common = ['train', '--model', modelDir, '--data', data, '--set', SETTINGS, '--lora-rank', '2', '--lora-alpha', '4'];
  const full = path.join(tmp, 'full');
  const ckpt = path.join(full, 'checkpoints', checkpointName(3));

  test('adapter checkpoints; 2 steps resumed to 3 = 3 steps (adapters and AdamW state bit for bit)', () => {
    rlvr([...common, '--steps', '3', '--out', full]);
    const cfg = JSON.parse(fs.readFileSync(path.join(ckpt, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(cfg['r'], 2);
    assert.equal(cfg['lora_alpha'], 4);
    assert.equal(cfg['base_model_name_or_path'], modelDir);
    assert.deepEqual(cfg['target_modules'], ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
    assert.ok(!fs.existsSync(path.join(ckpt, 'model.safetensors')));
    const cut = path.join(tmp, 'cut');
    rlvr([...common, '--steps', '2', '--out', cut]);
    const b = rlvr(['train', '--out', cut, '--resume', '--steps', '3']);
    assert.match(b.stderr, /resuming at step 2/);
    for (const f of ['adapter_model.safetensors', 'optimizer.safetensors']) {
      const a = fs.readFileSync(path.join(ckpt, f));
      assert.ok(a.equals(fs.readFileSync(path.join(cut, 'checkpoints', checkpointName(3), f))), `${f} bit-identical after resume`);
    }
  });

  test('generate --model CKPT runs the adapter; merge writes a plain folder = PEFT merge_and_unload, same greedy tokens', () => {
    const gen = (model: string) =>
      (
        JSON.parse(
          rlvr(['generate', '--model', model, '--prompt', 'What is 2+2?', '--greedy', '--max-tokens', '8', '--json', '--device', 'cpu'])
            .stdout.trim()
            .split('\n')[0]!,
        ) as { tokens: number[] }
      ).tokens;
    const adapted = gen(ckpt);
    const base = gen(modelDir);
    const merged = path.join(tmp, 'merged');
    rlvr(['merge', ckpt, '--out', merged]);
    assert.ok(fs.existsSync(path.join(merged, 'tokenizer.json')) && !fs.existsSync(path.join(merged, 'adapter_config.json')));
    assert.deepEqual(gen(merged), adapted, 'merged greedy = adapter greedy');
    const ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/lora_merge_ref.py'), [modelDir, ckpt, merged])) as { max_diff: number; max_delta: number };
    assert.ok(ref.max_delta > 1e-4, `the adapters changed some weight (max |ΔW| ${ref.max_delta})`);
    assert.ok(ref.max_diff <= 1e-6, `merged weights differ from PEFT's merge_and_unload by ${ref.max_diff}`);
    // Informational: whether 3 steps changed the greedy output of this tiny model.
    assert.equal(base.length, 8);
  });
});
