// Resume compared whole, through the CLI: a run SIGKILLed after a checkpoint and resumed with
// `rlvr train --resume` ends with the same weights, optimizer state, metrics, rollout log and
// accuracy history as the same run left alone. The KL loss is on (klCoef > 0), so the resumed
// process reloads the frozen reference from the model folder; if it took the checkpoint's
// weights instead, the KL (and the weights) after the resume would differ.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { checkpointName } from '../../src/rl/checkpoints.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const STEPS = 8;
// Every setting the comparison depends on, explicitly (not the defaults).
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
  'lr=1e-3',
  'gradClip=1',
  'temperature=0.6',
  'seed=7',
  'rolloutSamples=2',
  'computeDtype=float32',
  'reuseRolloutLogprobs=false',
  'lossAggregation=token-mean',
].join(',');
/** metrics.jsonl fields that measure time, not the run. */
const TIMING = new Set(['time', 'timeGeneration', 'timeGenerationExtra', 'timeLogprobs', 'timeUpdate', 'tokensPerSecond']);

function train(args: string[]) {
  return spawnSync(process.execPath, [cli, 'train', ...args, '--threads', '1'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
}

function metrics(run: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !TIMING.has(k))));
}

describe('rlvr train: a killed run resumed equals the uninterrupted run', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-train-resume-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 13);
  const data = path.join(tmp, 'train.jsonl');
  fs.writeFileSync(data, [1, 2, 3, 4].map((i) => JSON.stringify({ problem: `What is ${i}+${i}?`, answer: String(2 * i) })).join('\n') + '\n');
  const common = ['--model', modelDir, '--data', data, '--steps', String(STEPS), '--set', SETTINGS];

  test('SIGKILL after a checkpoint, then --resume: weights, optimizer.safetensors, metrics, rollouts and history are identical', async () => {
    const full = path.join(tmp, 'full');
    const a = train([...common, '--out', full]);
    assert.equal(a.status, 0, a.stderr);

    // The same run, SIGKILLed inside step 4: after step 3's checkpoint and after step 4 has appended
    // its rollouts to rollouts.jsonl (polled), before step 4's checkpoint.
    const cut = path.join(tmp, 'cut');
    const child = spawn(process.execPath, [cli, 'train', ...common, '--out', cut, '--threads', '1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    let stderr = '';
    const rollouts = path.join(cut, 'rollouts.jsonl');
    let poll: NodeJS.Timeout | undefined;
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!poll && /step 3\/8/.test(stderr)) {
          poll = setInterval(() => {
            if (fs.existsSync(rollouts) && fs.readFileSync(rollouts, 'utf8').includes('"step":4,')) child.kill('SIGKILL');
          }, 1);
        }
      });
      child.on('exit', (_code, sig) => {
        clearInterval(poll);
        resolve(sig);
      });
    });
    assert.equal(signal, 'SIGKILL', stderr);
    const done = fs
      .readdirSync(path.join(cut, 'checkpoints'))
      .filter((d) => /^step-\d+$/.test(d))
      .sort();
    assert.ok(done.includes(checkpointName(3)) && !done.includes(checkpointName(STEPS)), `killed mid-run: ${done.join(' ')}`);
    assert.match(fs.readFileSync(rollouts, 'utf8'), /"step":4,/, 'killed after step 4 logged its rollouts');

    const b = train(['--out', cut, '--resume']);
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stderr, /resuming at step \d+/);

    const last = (run: string, file: string) => fs.readFileSync(path.join(run, 'checkpoints', checkpointName(STEPS), file));
    // The weights moved, so equality says something.
    assert.ok(!last(full, 'model.safetensors').equals(fs.readFileSync(path.join(modelDir, 'model.safetensors'))), 'training changed the weights');
    assert.ok(last(cut, 'model.safetensors').equals(last(full, 'model.safetensors')), 'final weights are bit-identical');
    assert.ok(last(cut, 'optimizer.safetensors').equals(last(full, 'optimizer.safetensors')), 'final AdamW state is bit-identical');

    const [mFull, mCut] = [metrics(full), metrics(cut)];
    assert.deepEqual(
      mFull.map((m) => m.step),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.deepEqual(mCut, mFull, 'metrics.jsonl: every step once, every non-timing field equal');
    // The KL term is live after step 1 (the policy has moved away from the reference).
    assert.ok(
      mFull.slice(1).every((m) => (m.kl as number) > 0),
      `kl ${mFull.map((m) => m.kl)}`,
    );

    const read = (run: string, f: string) => fs.readFileSync(path.join(run, f), 'utf8');
    assert.equal(read(cut, 'rollouts.jsonl'), read(full, 'rollouts.jsonl'), 'rollouts.jsonl: no step logged twice');
    assert.equal(read(cut, 'accuracy_history.json'), read(full, 'accuracy_history.json'));
  });
});
