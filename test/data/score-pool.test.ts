// Pool scoring for selection (`rlvr select --score-pool`): rollouts and rewards only, the
// accuracy history `rlvr select` ranks, and a memory bound without any log-prob pass.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { TrainExample } from '../../src/data/examples.js';
import { parseHistory, rankByVariance } from '../../src/data/selection.js';
import type { CausalLM } from '../../src/model/transformer.js';
import { planScoring } from '../../src/memory-plan/scoring.js';
import { scorePool } from '../../src/rl/pool-scoring.js';
import type { Sample, SamplingOptions } from '../../src/rollout/reference-sampler.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import type { RewardInput } from '../../src/tasks/reward.js';
import { getTask } from '../../src/tasks/registry.js';
import { repoRoot } from '../helpers/paths.js';
import { SMOLLM2_135M } from '../../bench/shapes.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');

describe('pool scoring', () => {
  test('per-epoch accuracies from rollouts alone; historical variance ranks the half-solved example first', async () => {
    const examples: TrainExample[] = [10, 11, 12].map((index) => ({
      index,
      messages: [{ role: 'user', content: `P${index}` }],
      groundTruth: String(index),
      dataSource: 't',
    }));
    // Example 10 always right, 11 right in half the rollouts of epoch 1 and all of epoch 2, 12 never.
    let call = 0;
    const sampler = (_m: CausalLM, prompts: number[][], opts: SamplingOptions): Sample[] => {
      call++;
      return prompts.flatMap((p, pi) =>
        Array.from({ length: opts.n ?? 1 }, (_, si) => ({
          promptIndex: pi,
          sampleIndex: si,
          tokens: [p[0]!, si, call],
          logprobs: [],
          finishReason: 'stop' as const,
        })),
      );
    };
    const tokenizer = { encode: (t: string) => [Number(t.slice(1))], decode: (ids: number[]) => `${ids[0]}:${ids[1]}:${ids[2]}` };
    const rewards = async (items: RewardInput[]) =>
      items.map(({ completion }) => {
        const [ex, sample, c] = completion.split(':').map(Number);
        if (ex === 10) return 1;
        if (ex === 11) return c! <= 2 ? sample! % 2 : 1;
        return 0;
      });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-score-'));
    const batches: number[] = [];
    const r = await scorePool({
      policy: {} as CausalLM,
      tokenizer,
      examples,
      renderPrompt: (ex) => ex.messages[0]!.content,
      stopTokenIds: [],
      rewards,
      sampler,
      rollouts: 4,
      epochs: 2,
      promptsPerBatch: 2,
      maxNewTokens: 8,
      temperature: 0.6,
      topP: 1,
      seed: 0,
      outDir: out,
      onBatch: (p) => batches.push(p.done),
    });
    assert.deepEqual(batches, [2, 3, 5, 6]);
    assert.equal(r.epochsDone, 2);
    const history = parseHistory(fs.readFileSync(path.join(out, 'accuracy_history.json'), 'utf8'));
    assert.deepEqual(history, [
      { index: 10, accs: [1, 1] },
      { index: 11, accs: [0.5, 1] },
      { index: 12, accs: [0, 0] },
    ]);
    assert.equal(rankByVariance(history)[0]!.index, 11);
    assert.equal(r.meanAccuracy.get(11), 0.75);
  });

  test('the reward sees what training gives it (prompt, completion, ids, the example with its columns, step): the countdown task scores a pool', async () => {
    // The prompts name no numbers: the countdown reward can only find the puzzle in the data row's columns.
    const examples: TrainExample[] = [0, 1].map((index) => ({
      index,
      messages: [{ role: 'user', content: `P${index}` }],
      groundTruth: index === 0 ? '8' : '15',
      dataSource: 't',
      columns: { numbers: [3, 5], target: index === 0 ? 8 : 15 },
    }));
    const sampler = (_m: CausalLM, prompts: number[][], opts: SamplingOptions): Sample[] =>
      prompts.flatMap((_p, pi) =>
        Array.from({ length: opts.n ?? 1 }, (_, si) => ({ promptIndex: pi, sampleIndex: si, tokens: [si, 99], logprobs: [], finishReason: 'stop' as const })),
      );
    // Sample 0 answers 3+5 (= 8: right for example 0), sample 1 answers 3*5 (= 15: right for example 1); 99 is the stop token.
    const tokenizer = {
      encode: (t: string) => [Number(t.slice(1))],
      decode: (ids: number[]) => (ids[0] === 0 ? '<answer>3+5</answer>' : '<answer>3*5</answer>'),
    };
    const seen: RewardInput[] = [];
    const countdown = getTask('countdown').rewards();
    const rewards = async (batch: RewardInput[]) => {
      seen.push(...batch);
      const list = typeof countdown === 'function' ? [{ name: 'reward', fn: countdown }] : countdown;
      return (await Promise.all(list.map((r) => r.fn(batch))))[0]!;
    };
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-score-task-'));
    const r = await scorePool({
      policy: {} as CausalLM,
      tokenizer,
      examples,
      renderPrompt: (ex) => ex.messages[0]!.content,
      stopTokenIds: [99],
      rewards,
      sampler,
      rollouts: 2,
      epochs: 2,
      promptsPerBatch: 2,
      maxNewTokens: 8,
      temperature: 0.6,
      topP: 1,
      seed: 0,
      outDir: out,
    });
    assert.deepEqual(parseHistory(fs.readFileSync(path.join(out, 'accuracy_history.json'), 'utf8')), [
      { index: 0, accs: [0.5, 0.5] },
      { index: 1, accs: [0.5, 0.5] },
    ]);
    assert.equal(r.meanAccuracy.get(0), 0.5);
    assert.equal(seen.length, 8);
    assert.deepEqual(
      seen.slice(0, 2).map((x) => [x.prompt, x.completion, x.completionIds, x.truncated, x.example.index, x.step]),
      [
        ['P0', '<answer>3+5</answer>', [0, 99], false, 0, 1],
        ['P0', '<answer>3*5</answer>', [1, 99], false, 0, 1],
      ],
    );
    assert.deepEqual(seen[7]!.example.columns, { numbers: [3, 5], target: 15 });
    assert.equal(seen[7]!.step, 2);
  });

  test('memory: weights + KV budget + sampling workspace, no log-probs (SmolLM2-135M shape)', () => {
    const cfg = SMOLLM2_135M;
    // The run: 64 rollouts (8 prompts x 8) of up to 1024 tokens, 24 GB machine.
    const p = planScoring(cfg, { memoryBytes: 24e9, rows: 64, promptTokens: 200, maxNewTokens: 1024, computeBytes: 4 });
    const kvPerToken = 2 * 30 * 3 * 64 * 4; // K and V, layers x kv heads x head dim, float32
    assert.equal(p.rowBytes, (200 + 1024) * kvPerToken);
    assert.equal(p.samplingWorkspace, 64 * 49152 * 16);
    assert.ok(p.weights > 0.5e9 && p.weights < 0.6e9); // ~134.5M float32 parameters
    assert.equal(p.margin, 2e9);
    assert.equal(p.kvBudget, 24e9 - 2e9 - p.weights - p.samplingWorkspace);
    assert.ok(p.fits && p.rowsAtOnce >= 64, `all 64 rows fit at once: ${p.rowsAtOnce}`);
    // Peak = weights + KV of 64 full rows + sampling + margin, far below the 22.7 GB the log-prob pass took.
    assert.ok(p.weights + 64 * p.rowBytes + p.samplingWorkspace < 5e9);
    assert.equal(planScoring(cfg, { memoryBytes: 1e9, rows: 64, promptTokens: 200, maxNewTokens: 1024, computeBytes: 4 }).fits, false);
  });

  test('rlvr select --score-pool on a tiny model, then rlvr select --history ranks its file', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-score-cli-'));
    const modelDir = path.join(tmp, 'model');
    buildTinyQwenModel(modelDir, 3);
    const data = path.join(tmp, 'pool.jsonl');
    fs.writeFileSync(data, ['{"problem":"1+1?","answer":"2"}', '{"problem":"2+2?","answer":"4"}', '{"problem":"3+3?","answer":"6"}'].join('\n') + '\n');
    const out = path.join(tmp, 'scores');
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'select',
        '--score-pool',
        '--model',
        modelDir,
        '--data',
        data,
        '--rollouts',
        '2',
        '--epochs',
        '2',
        '--max-tokens',
        '4',
        '--batch',
        '2',
        '--memory',
        '4',
        '--threads',
        '1',
        '--device',
        'cpu',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    // A random model solves nothing: the history is all zeros, and scoring says so in one line (exit 2).
    assert.equal(r.status, 2, r.stderr);
    const last = r.stderr.trim().split('\n').at(-1)!;
    assert.match(
      last,
      /every one of the 12 responses scored 0 \(.*accuracy_history\.json holds only zeros\): no example has reward variance, so there is nothing to select/,
    );
    assert.doesNotMatch(r.stdout, /rank with/);
    assert.match(r.stderr, /--score-pool \(task math\): 3 examples .* x 2 rollouts x 2 epochs = 12 responses .* no updates, no log-probs/);
    assert.match(r.stderr, /memory: 4\.00 GB available; weights [\d.]+ GB, sampling [\d.]+ GB, margin 2\.00 GB, KV budget [\d.]+ GB/);
    assert.match(r.stderr, /threads: 1 \(--threads\)/);
    assert.match(r.stderr, /epoch 2\/2: 6\/6 example-epochs, [\d.]+ tok\/s/);
    const history = parseHistory(fs.readFileSync(path.join(out, 'accuracy_history.json'), 'utf8'));
    assert.deepEqual(
      history.map((h) => [h.index, h.accs.length]),
      [
        [0, 2],
        [1, 2],
        [2, 2],
      ],
    );
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'score_summary.json'), 'utf8'));
    assert.equal(summary.responses, 12);
    assert.equal(summary.neverSolved, 3);
    // rlvr select on that all-zero file: one line, exit 2, no table of ties.
    const zeros = spawnSync(process.execPath, [cli, 'select', '--history', path.join(out, 'accuracy_history.json'), '--top', '3', '--json'], {
      encoding: 'utf8',
    });
    assert.equal(zeros.status, 2, zeros.stderr);
    assert.equal(zeros.stderr.trim().split('\n').length, 1, zeros.stderr);
    assert.match(zeros.stderr, /every accuracy of all 3 examples is 0, so every variance is 0/);
    assert.equal(zeros.stdout, '');
    // The same file with one example solved once: ranked as usual.
    fs.writeFileSync(path.join(tmp, 'h.json'), '{"0": [0, 0], "1": [0, 0.5], "2": [0, 0]}\n');
    const ranked = spawnSync(process.execPath, [cli, 'select', '--history', path.join(tmp, 'h.json'), '--top', '3', '--json'], { encoding: 'utf8' });
    assert.equal(ranked.status, 0, ranked.stderr);
    assert.deepEqual(
      JSON.parse(ranked.stdout.trim().split('\n').at(-1)!).map((x: { index: number }) => x.index),
      [1, 0, 2],
    );
    // --task: another task's reward scores the pool (countdown: the random model writes no <answer>, all 0).
    const cd = path.join(tmp, 'countdown.jsonl');
    fs.writeFileSync(
      cd,
      [
        '{"problem":"Use 3 and 5 to make 8.","answer":"8","numbers":[3,5],"target":8}',
        '{"problem":"Use 3 and 5 to make 15.","answer":"15","numbers":[3,5],"target":15}',
      ].join('\n') + '\n',
    );
    const outCd = path.join(tmp, 'scores-countdown');
    const rc = spawnSync(
      process.execPath,
      [
        cli,
        'select',
        '--score-pool',
        '--task',
        'countdown',
        '--model',
        modelDir,
        '--data',
        cd,
        '--rollouts',
        '2',
        '--epochs',
        '2',
        '--max-tokens',
        '4',
        '--batch',
        '2',
        '--memory',
        '4',
        '--threads',
        '1',
        '--device',
        'cpu',
        '--out',
        outCd,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(rc.status, 2, rc.stderr);
    assert.match(rc.stderr, /--score-pool \(task countdown\): 2 examples .* x 2 rollouts x 2 epochs = 8 responses/);
    assert.match(rc.stderr, /every one of the 8 responses scored 0/);
    assert.deepEqual(
      parseHistory(fs.readFileSync(path.join(outCd, 'accuracy_history.json'), 'utf8')).map((h) => h.index),
      [0, 1],
    );
    const unknown = spawnSync(process.execPath, [cli, 'select', '--score-pool', '--task', 'countdwn', '--model', modelDir, '--data', cd], { encoding: 'utf8' });
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /unknown task 'countdwn' \(did you mean 'countdown'\?\)/);
    const bad = spawnSync(process.execPath, [cli, 'select', '--score-pool', '--model', modelDir], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--score-pool needs --data POOL/);
  });
});
