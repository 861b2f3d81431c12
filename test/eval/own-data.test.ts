// Evaluating on anything: own problem files (--data/--name), prompt formats (--prompt), boxed
// (reward-mode) next to any-format accuracy, truncation share, the size/time estimate and an
// ETA that is never "?" for minutes nor "2m60s".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { CausalLM } from '../../src/model/transformer.js';
import type { Sample, SamplingOptions } from '../../src/rollout/reference-sampler.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { evaluate, scoreResponse } from '../../src/eval/evaluate.js';
import { estimateEval, evalEta } from '../../src/eval/estimate.js';
import { loadEvalFile } from '../../src/eval/data-file.js';
import { parsePromptOption, promptMessages, stylePromptBuilder } from '../../src/eval/prompt-styles.js';
import { formatDuration } from '../../src/util/duration.js';
import { defaultThreads } from '../../src/engine/threads.js';
import { buildTinyQwenModel, QWEN_TOKENIZER_DIR } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

describe('durations, ETA and the size estimate', () => {
  test('formatDuration rounds once: never "1m60s"', () => {
    assert.equal(formatDuration(119.6), '2m00s');
    assert.equal(formatDuration(59.6), '1m00s');
    assert.equal(formatDuration(125), '2m05s');
    assert.equal(formatDuration(3599.7), '1h00m');
    assert.equal(formatDuration(3 * 3600 + 7 * 60 + 10), '3h07m');
    assert.equal(formatDuration(null), '?');
    assert.equal(formatDuration(Number.NaN), '?');
  });

  test('the ETA is an upper bound before any response finished, then uses their mean length', () => {
    // 10 s in, 100 tokens of the first batch, nothing finished: 40 responses x 50 tokens at 10 tok/s.
    const early = evalEta({ elapsedSeconds: 10, tokens: 100, responsesDone: 0, tokensOfDone: 0, responsesTotal: 40, maxNewTokens: 50 });
    assert.equal(early.upperBound, true);
    assert.equal(early.seconds, (40 * 50 - 100) / 10);
    // 20 responses done holding 200 tokens (mean 10), 250 tokens in all, 25 s: 150 more at 10 tok/s.
    const later = evalEta({ elapsedSeconds: 25, tokens: 250, responsesDone: 20, tokensOfDone: 200, responsesTotal: 40, maxNewTokens: 50 });
    assert.equal(later.upperBound, false);
    assert.equal(later.seconds, (40 * 10 - 250) / 10);
    assert.equal(evalEta({ elapsedSeconds: 0, tokens: 0, responsesDone: 0, tokensOfDone: 0, responsesTotal: 4, maxNewTokens: 8 }).seconds, null);
    assert.equal(evalEta({ elapsedSeconds: 5, tokens: 9, responsesDone: 4, tokensOfDone: 9, responsesTotal: 4, maxNewTokens: 8 }).seconds, 0);
  });

  test('estimate: responses x token limit at the measured rate; long past an hour', () => {
    // The paper's six benchmarks on a CPU: 1,012 responses x 3072 tokens at 20 tok/s is days.
    const paper = estimateEval({ responses: 500 + 30 * 8 + 40 * 8 + 272 + 675 + 30 * 8, maxNewTokens: 3072 }, 20);
    assert.equal(paper.maxTokens, 2247 * 3072);
    assert.ok(paper.long);
    assert.ok(paper.maxSeconds! > 86400);
    const quick = estimateEval({ responses: 10, maxNewTokens: 256 }, 100);
    assert.equal(quick.maxSeconds, 25.6);
    assert.equal(quick.long, false);
    assert.equal(estimateEval({ responses: 10, maxNewTokens: 256 }, null).maxSeconds, null);
  });

  test('default threads: half the logical CPUs, at least one', () => {
    assert.equal(defaultThreads(1), 1);
    assert.equal(defaultThreads(2), 1);
    assert.equal(defaultThreads(16), 8);
  });
});

describe('prompt formats and scoring modes', () => {
  test('qwen-math, paper, chat and a template file', () => {
    assert.deepEqual(promptMessages('qwen-math', 'P'), [
      { role: 'system', content: 'Please reason step by step, and put your final answer within \\boxed{}.' },
      { role: 'user', content: 'P' },
    ]);
    assert.deepEqual(promptMessages('paper', 'P'), [{ role: 'user', content: "P Let's think step by step and output the final answer within \\boxed{}." }]);
    assert.deepEqual(promptMessages('chat', 'P'), [{ role: 'user', content: 'P' }]);
    assert.deepEqual(promptMessages({ template: 'Solve: {problem}\nBox it.' }, 'P'), [{ role: 'user', content: 'Solve: P\nBox it.' }]);
    const rendered = stylePromptBuilder('paper', null, null)('What is 1+1?');
    assert.match(rendered, /<\|im_start\|>user\nWhat is 1\+1\? Let's think step by step/);
    assert.throws(() => parsePromptOption('/nonexistent/prompt.txt'), /no such file/);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-prompt-'));
    fs.writeFileSync(path.join(tmp, 'bad.txt'), 'no placeholder');
    assert.throws(() => parsePromptOption(path.join(tmp, 'bad.txt')), /no \{problem\} placeholder/);
  });

  test('an unboxed right answer counts for any-format accuracy, not for the boxed (reward-mode) one', () => {
    const loose = scoreResponse('7', 'The final answer is 7.');
    assert.equal(loose.correct, true);
    assert.equal(loose.rewardCorrect, false);
    const boxed = scoreResponse('7', 'so \\boxed{7}');
    assert.equal(boxed.correct, true);
    assert.equal(boxed.rewardCorrect, true);
  });

  test('evaluate(): boxed and any-format accuracy, truncation share, self-reflection', () => {
    const tokenizer = Tokenizer.fromFile(path.join(QWEN_TOKENIZER_DIR, 'tokenizer.json'));
    // Problem 0: boxed; problem 1: unboxed but right ("recheck"); problem 2: cut off at the limit.
    const bodies = ['so \\boxed{7}', 'Let me recheck. The final answer is 12.', '3 3 3 3 3'];
    const sampler = (_m: unknown, prompts: number[][], opts: SamplingOptions): Sample[] =>
      prompts.map((p, pi) => {
        const i = Number(/GOLD(\d)/.exec(tokenizer.decode(p))![1]);
        const tokens = tokenizer.encode(bodies[i]!);
        return { promptIndex: pi, sampleIndex: 0, tokens, logprobs: tokens.map(() => -1), finishReason: i === 2 ? 'length' : ('stop' as const) };
      });
    const fakeModel = { config: { eosTokenId: 151643 } } as unknown as CausalLM;
    const res = evaluate(
      fakeModel,
      tokenizer,
      [
        {
          name: 'mine',
          decoding: { greedy: true },
          problems: [
            { problem: 'GOLD0', answer: '7' },
            { problem: 'GOLD1', answer: '12' },
            { problem: 'GOLD2', answer: '2' },
          ],
        },
      ],
      { maxNewTokens: 8, sampler, stopTokenIds: [151645] },
    );
    const s = res.benchmarks['mine']!;
    assert.equal(s.accuracy, 0.666667);
    assert.equal(s.rewardAccuracy, 0.333333);
    assert.equal(s.truncated, 1);
    assert.equal(s.truncatedShare, 0.3333);
    assert.equal(s.selfReflection, 1);
    assert.equal(res.averageReward, 0.333333);
    assert.deepEqual(
      res.records['mine']!.map((r) => r.rewardCorrect),
      [true, false, false],
    );
  });
});

describe('rlvr eval --data FILE --name --prompt on a tiny model', () => {
  let tmp = '';
  let modelDir = '';
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-own-eval-'));
    modelDir = path.join(tmp, 'model');
    buildTinyQwenModel(modelDir, 77);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('an own jsonl set in the training format, with estimate, threads and both accuracies', () => {
    const data = path.join(tmp, 'own.jsonl');
    fs.writeFileSync(
      data,
      ['{"problem":"What is 1+1?","answer":"2"}', '{"question":"What is 2+3?","answer":5}', '{"problem":"3*3?","answer":"9"}'].join('\n') + '\n',
    );
    const out = path.join(tmp, 'out');
    const r = spawnSync(
      process.execPath,
      [
        main,
        'eval',
        '--model',
        modelDir,
        '--data',
        data,
        '--name',
        'mine',
        '--prompt',
        'paper',
        '--limit',
        '2',
        '--max-tokens',
        '4',
        '--threads',
        '1',
        '--device',
        'cpu',
        '--out',
        out,
        '--json',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /threads: 1 \(--threads\)/);
    assert.match(r.stderr, /prompt paper/);
    assert.match(r.stderr, /first prompt \(mine\):\n[\s\S]*What is 1\+1\? Let's think step by step/);
    assert.match(r.stderr, /estimate: 2 responses x at most 4 tokens = at most 8 tokens; at ~[\d.]+ tok\/s \(measured\) at most \d+s/);
    assert.doesNotMatch(r.stderr, /WARNING/);
    assert.doesNotMatch(r.stderr, /ETA \?|\d+m60s/);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.deepEqual(Object.keys(summary.benchmarks), ['mine']);
    const s = summary.benchmarks.mine;
    assert.equal(s.n, 2);
    for (const k of ['accuracy', 'rewardAccuracy', 'truncatedShare', 'selfReflection']) assert.equal(typeof s[k], 'number', k);
    assert.equal(summary.prompt, 'paper');
    assert.match(r.stdout, /benchmark\s+n\s+k\s+acc %\s+95% CI\s+boxed %/);
    // The accuracy's Wilson 95% interval, in the summary and the table.
    assert.equal(s.interval.length, 2);
    assert.ok(s.interval[0] <= s.accuracy && s.accuracy <= s.interval[1]);
    assert.match(r.stdout, /mine\s+2\s+1\s+\d+\.\d\s+\[\d+\.\d, \d+\.\d\]/);
    assert.equal(fs.readFileSync(path.join(out, 'mine.jsonl'), 'utf8').trim().split('\n').length, 2);

    // A template file; --name clashing with a benchmark and --name without --data are one-line errors.
    const tpl = path.join(tmp, 'tpl.txt');
    fs.writeFileSync(tpl, 'Problem: {problem}\nAnswer in a box.');
    const t = spawnSync(
      process.execPath,
      [
        main,
        'eval',
        '--model',
        modelDir,
        '--data',
        data,
        '--prompt',
        tpl,
        '--limit',
        '1',
        '--max-tokens',
        '2',
        '--threads',
        '1',
        '--device',
        'cpu',
        '--out',
        path.join(tmp, 'out2'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stderr, /first prompt \(own\):\n.*Problem: What is 1\+1\?\nAnswer in a box\./s);
    for (const args of [
      ['--data', data, '--name', 'math500', '--bench', 'math500'],
      ['--name', 'x'],
    ]) {
      const e = spawnSync(process.execPath, [main, 'eval', '--model', modelDir, ...args], { encoding: 'utf8' });
      assert.equal(e.status, 2, e.stderr);
      assert.equal(e.stderr.trim().split('\n').length, 1, e.stderr);
    }
  });

  test('verl rows lose the training suffix, so --prompt alone decides the format', async () => {
    const data = path.join(tmp, 'verl.jsonl');
    fs.writeFileSync(
      data,
      JSON.stringify({
        prompt: [{ role: 'user', content: "What is 1+1? Let's think step by step and output the final answer within \\boxed{}." }],
        reward_model: { ground_truth: '2' },
      }) + '\n',
    );
    const b = await loadEvalFile(data);
    assert.equal(b.name, 'verl');
    assert.deepEqual(b.problems, [{ id: '0', problem: 'What is 1+1?', answer: '2' }]);
  });
});
