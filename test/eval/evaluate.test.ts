// Evaluation: prompt building, scoring with the verifier, aggregation (avg@k, pass@k,
// self-reflection, lengths), batching, and `rlvr eval` end to end on a tiny random model with
// the real Qwen tokenizer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { liveTensors } from '../../src/engine/index.js';
import { CausalLM } from '../../src/model/transformer.js';
import type { Sample, SamplingOptions } from '../../src/rollout/reference-sampler.js';
import { QWEN2_5_CHAT_TEMPLATE, Tokenizer } from '../../src/tokenizer/index.js';
import { evaluate, formatSummaryTable, hasSelfReflection, mathPromptBuilder, scoreResponse, type EvalBenchmark } from '../../src/eval/evaluate.js';
import { evalStopTokenIds, loadModelFolder, type LoadedModel } from '../../src/run/model-bundle.js';
import { run as runEval } from '../../src/cli/eval.js';
import { buildTinyQwenModel, QWEN_TOKENIZER_DIR } from '../helpers/tiny-model.js';
import { wilson } from '../../src/stats/index.js';
import { repoRoot, sharedData } from '../helpers/paths.js';

const QWEN_DIR = QWEN_TOKENIZER_DIR;
const EVAL_DIR = path.join(sharedData, 'eval');
const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function buildTinyModel(dir: string): void {
  buildTinyQwenModel(dir, 1234);
}

/** Runs an in-process CLI command, capturing console.log lines and silencing stderr. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; lines: string[]; stderr: string }> {
  const lines: string[] = [];
  let stderr = '';
  const log = console.log;
  const write = process.stderr.write;
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await fn();
    return { code, lines, stderr };
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
}

function rlvr(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: repoRoot });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('scoring and prompts', () => {
  test('scoreResponse applies the verifier (evaluation mode)', () => {
    const ok = scoreResponse('12.8', 'The wind speed is ... so the answer is \\boxed{12.8}.');
    assert.equal(ok.correct, true);
    assert.equal(ok.extracted, '12.8');
    assert.equal(scoreResponse('\\frac{1}{2}', 'Thus $\\boxed{0.5}$').correct, true);
    const bad = scoreResponse('12.8', 'so the answer is \\boxed{13}.');
    assert.equal(bad.correct, false);
    assert.equal(bad.extracted, '13');
  });

  test('self-reflection words, any case', () => {
    assert.equal(hasSelfReflection('Let me ReCheck this.'), true);
    assert.equal(hasSelfReflection('we must rethink'), true);
    assert.equal(hasSelfReflection('RECALCULATE: 2+2=4'), true);
    assert.equal(hasSelfReflection('check it again'), false);
  });

  test("the paper's prompt through the Qwen2.5 template (and as the fallback)", () => {
    const want =
      '<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n' +
      '<|im_start|>user\nWhat is $1+1$?<|im_end|>\n<|im_start|>assistant\n';
    assert.equal(mathPromptBuilder(QWEN2_5_CHAT_TEMPLATE)('What is $1+1$?'), want);
    assert.equal(mathPromptBuilder(null)('What is $1+1$?'), want);
  });
});

describe('evaluate() aggregation with a scripted sampler', () => {
  const tokenizer = Tokenizer.fromFile(QWEN_DIR);
  const imEnd = tokenizer.tokenToId('<|im_end|>')!;
  // Sample 0 of every problem answers correctly (and rechecks); the others answer 0.
  const calls: { rows: number; opts: SamplingOptions }[] = [];
  const sampler = (_m: unknown, prompts: number[][], opts: SamplingOptions): Sample[] => {
    const n = opts.n ?? 1;
    calls.push({ rows: prompts.length * n, opts });
    return prompts.flatMap((p, pi) =>
      Array.from({ length: n }, (_, si) => {
        const text = tokenizer.decode(p);
        const gold = /GOLD=(\S+)/.exec(text)![1]!;
        const body = si === 0 ? `Let me recheck: \\boxed{${gold}}` : 'I think \\boxed{0}';
        const tokens = [...tokenizer.encode(body), imEnd];
        return { promptIndex: pi, sampleIndex: si, tokens, logprobs: tokens.map(() => -1), finishReason: 'stop' as const };
      }),
    );
  };
  const problems = [7, 12, 25].map((g, i) => ({ id: `p${i}`, problem: `GOLD=${g} compute`, answer: String(g) }));
  const fakeModel = { config: { eosTokenId: 151643 } } as unknown as CausalLM;

  test('greedy and avg@4 benchmarks: accuracy, pass@k, lengths, reflections, records, batching', () => {
    const benches: EvalBenchmark[] = [
      { name: 'toy_greedy', problems, decoding: { greedy: true } },
      { name: 'toy_avg4', problems, decoding: { temperature: 0.6, samples: 4 } },
    ];
    const progress: number[] = [];
    const res = evaluate(fakeModel, tokenizer, benches, {
      maxNewTokens: 32,
      batchSize: 8,
      sampler,
      onProgress: (p) => progress.push(p.sequencesDone),
    });
    const g = res.benchmarks['toy_greedy']!;
    assert.equal(g.n, 3);
    assert.equal(g.samples, 3);
    assert.equal(g.accuracy, 1);
    assert.equal(g.passAtK, 1);
    assert.equal(g.selfReflection, 3);
    assert.equal(g.truncated, 0);
    const a = res.benchmarks['toy_avg4']!;
    assert.equal(a.samples, 12);
    assert.equal(a.samplesPerProblem, 4);
    assert.equal(a.accuracy, 0.25);
    assert.equal(a.passAtK, 1);
    assert.equal(a.selfReflection, 3);
    assert.deepEqual(a.decoding, { greedy: false, temperature: 0.6, topP: 1 });
    assert.equal(res.average, 0.625);
    assert.ok(a.meanResponseTokens > 3);
    // Records: one per response, problem-major, with the verifier's extraction.
    const recs = res.records['toy_avg4']!;
    assert.equal(recs.length, 12);
    assert.deepEqual(
      recs.slice(0, 4).map((r) => [r.index, r.sample, r.correct]),
      [
        [0, 0, true],
        [0, 1, false],
        [0, 2, false],
        [0, 3, false],
      ],
    );
    assert.equal(recs[0]!.extracted, '7');
    assert.equal(recs[0]!.response, 'Let me recheck: \\boxed{7}');
    assert.equal(recs[4]!.id, 'p1');
    // Batching: at most 8 sequences per call; greedy calls are greedy; sampled ones use T and a per-batch seed.
    assert.ok(calls.every((c) => c.rows <= 8));
    const sampled = calls.filter((c) => !c.opts.greedy);
    assert.equal(sampled.length, 2); // 3 problems x 4 samples in batches of 2 problems
    assert.equal(sampled[0]!.opts.temperature, 0.6);
    assert.notEqual(sampled[0]!.opts.seed, sampled[1]!.opts.seed);
    assert.ok(calls[0]!.opts.stopTokenIds!.includes(imEnd));
    assert.equal(progress[progress.length - 1], 15);
    // Intervals and the k-sample metrics (src/stats): sample 0 right, samples 1-3 answer 0.
    assert.deepEqual(a.passAtKByK, [0.25, 0.5, 0.75, 1]);
    assert.deepEqual(a.avgAtK, { std: 0.5, min: 0, max: 1 });
    assert.equal(a.majAtK, 0); // the majority answer (0) is wrong
    assert.equal(g.majAtK, 1);
    assert.equal(g.avgAtK, null);
    assert.deepEqual(g.passAtKByK, [1]);
    assert.equal(g.interval[0], Math.round(wilson(3, 3).lo * 1e6) / 1e6);
    assert.equal(g.interval[1], 1);
    const table = formatSummaryTable(res);
    assert.match(table, /toy_greedy\s+3\s+1\s+100\.0\s+\[43\.9, 100\.0\]\s+100\.0/);
    assert.match(table, /toy_avg4\s+3\s+4\s+25\.0\s+\[\d+\.\d, \d+\.\d\]\s+25\.0\s+100\.0/);
    assert.match(table, /toy_avg4: avg@4 25\.0% \(per sample 0\.0-100\.0%, sd 50\.0\); pass@k 1: 25\.0, 2: 50\.0, 3: 75\.0, 4: 100\.0; maj@4 0\.0%/);
  });
});

describe('with a tiny random model', () => {
  let tmp = '';
  let modelDir = '';
  let loaded: LoadedModel;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-eval-'));
    modelDir = path.join(tmp, 'model');
    buildTinyModel(modelDir);
    loaded = loadModelFolder(modelDir);
  });
  after(() => {
    loaded?.model.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('stop tokens: config/generation eos + tokenizer eos + <|im_end|>/<|endoftext|>', () => {
    assert.deepEqual(loaded.eosTokenIds, [151643, 151645]); // config <|endoftext|>, tokenizer_config eos <|im_end|>
    assert.deepEqual(evalStopTokenIds(loaded.tokenizer, [151643]), [151643, 151645]);
  });

  test('evaluate() on an in-memory problem list with a custom prompt builder', () => {
    const before = liveTensors();
    const res = evaluate(
      loaded.model,
      loaded.tokenizer,
      [
        {
          name: 'mini',
          problems: [
            { problem: '1+1?', answer: '2' },
            { problem: '2+3?', answer: '5' },
          ],
          decoding: { greedy: true },
        },
      ],
      { maxNewTokens: 4, promptBuilder: (p) => `Q: ${p}\nA:` },
    );
    assert.equal(liveTensors(), before);
    const s = res.benchmarks['mini']!;
    assert.equal(s.n, 2);
    assert.equal(s.samples, 2);
    assert.ok(s.meanResponseTokens >= 1 && s.meanResponseTokens <= 4);
    assert.equal(res.records['mini']!.length, 2);
    assert.equal(res.average, s.accuracy);
  });

  test('rlvr eval --limit 2 --max-tokens 8 on math500 and aime24 writes responses and a summary', async () => {
    const out = path.join(tmp, 'out');
    const r = await capture(() =>
      runEval([
        '--model',
        modelDir,
        '--bench',
        'math500,aime24',
        '--data-dir',
        EVAL_DIR,
        '--limit',
        '2',
        '--max-tokens',
        '8',
        '--device',
        'cpu',
        '--out',
        out,
        '--json',
      ]),
    );
    assert.equal(r.code, 0);
    const summary = JSON.parse(r.lines[r.lines.length - 1]!) as {
      benchmarks: Record<string, { n: number; samples: number; accuracy: number; meanResponseTokens: number; selfReflection: number }>;
      average: number;
    };
    assert.deepEqual(Object.keys(summary.benchmarks), ['math500', 'aime24']);
    assert.equal(summary.benchmarks['math500']!.n, 2);
    assert.equal(summary.benchmarks['math500']!.samples, 2);
    assert.equal(summary.benchmarks['aime24']!.n, 2);
    assert.equal(summary.benchmarks['aime24']!.samples, 16); // avg@8
    for (const s of Object.values(summary.benchmarks)) {
      assert.ok(s.accuracy >= 0 && s.accuracy <= 1);
      assert.ok(s.meanResponseTokens > 0 && s.meanResponseTokens <= 8);
    }
    assert.equal(summary.average, (summary.benchmarks['math500']!.accuracy + summary.benchmarks['aime24']!.accuracy) / 2);
    assert.match(r.lines.join('\n'), /benchmark\s+n\s+k\s+acc %/);
    assert.match(r.stderr, /\[aime24\] 2\/2 problems, 18\/18 responses, [\d.]+ tok\/s/);

    const onDisk = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as typeof summary;
    assert.deepEqual(onDisk.benchmarks, summary.benchmarks);
    const math = fs
      .readFileSync(path.join(out, 'math500.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(math.length, 2);
    for (const key of ['problem', 'gold', 'response', 'extracted', 'correct']) assert.ok(key in math[0]!, key);
    assert.match(String(math[0]!['problem']), /polar coordinates/);
    assert.equal(math[0]!['gold'], '\\left( 3, \\frac{\\pi}{2} \\right)');
    const aime = fs.readFileSync(path.join(out, 'aime24.jsonl'), 'utf8').trim().split('\n');
    assert.equal(aime.length, 16);
  });

  test('rlvr eval: unknown benchmark, missing data and missing model are one-line errors with exit code 2', () => {
    for (const args of [
      ['--model', modelDir, '--bench', 'math501', '--data-dir', EVAL_DIR],
      ['--model', modelDir, '--bench', 'math500', '--data-dir', path.join(tmp, 'nowhere')],
      ['--model', path.join(tmp, 'no-model'), '--bench', 'math500', '--data-dir', EVAL_DIR, '--limit', '1'],
      ['--model', modelDir, '--max-tokens', 'lots'],
    ]) {
      const r = rlvr('eval', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^rlvr: /);
    }
  });
});
