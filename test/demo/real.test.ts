// The real-model demo (`rlvr demo --model`, src/demo/real.ts): its pipeline end to end through
// the CLI on a tiny random model (--quick: 2 seeds × 2 steps, a few problems), asserting the
// accounting (set sizes, one run per seed from the same base, selection over the pool, the files
// it writes); the held-out generator and the GSM8K slice on their own. The real run on
// SmolLM2-135M-Instruct is a benchmark (npm run demo:real, bench/results/demo-real.json).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { WORD_KINDS, wordProblems } from '../../src/demo/word-problems.js';
import { PLAIN_TEMPLATE, gsm8kSlice, heldOutSets, pairedVsBase, type RealDemoResult } from '../../src/demo/real.js';
import { renderChat } from '../../src/tokenizer/index.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** A gsm8k/test.jsonl in GSM8K's format: 2 one-/two-calculation problems around a 3-calculation one. */
function fakeGsm8k(dir: string): void {
  fs.mkdirSync(path.join(dir, 'gsm8k'), { recursive: true });
  const rows = [
    { question: 'Tom has 3 apples and buys 4 more. How many apples?', answer: 'He has 3+4=<<3+4=7>>7.\n#### 7', idx: 0 },
    {
      question: 'A box holds 2 rows of 5 eggs, 3 boxes, minus 1 egg, plus 2. How many?',
      answer: '<<2*5=10>>10, <<10*3=30>>30, <<30-1=29>>29, then 31\n#### 31',
      idx: 1,
    },
    { question: 'Ann reads 1,200 pages a year for 2 years. How many pages?', answer: '<<1200*2=2400>>2400\n#### 2,400', idx: 2 },
  ];
  fs.writeFileSync(path.join(dir, 'gsm8k', 'test.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

describe('real-model demo: held-out data', () => {
  test('word problems: seeded, every kind, integer answers that match the wording, disjoint from an excluded set', () => {
    const a = wordProblems(5, 4);
    assert.deepEqual(wordProblems(5, 4), a);
    assert.notDeepEqual(wordProblems(6, 4), a);
    assert.equal(a.length, 4 * WORD_KINDS.length);
    for (const k of WORD_KINDS) assert.equal(a.filter((p) => p.kind === k).length, 4);
    for (const p of a) {
      const n = p.problem.match(/\d+/g)!.map(Number);
      const expected = { add: n[0]! + n[1]!, sub: n[0]! - n[1]!, mul: n[0]! * n[1]!, 'add-sub': n[0]! + n[1]! - n[2]!, 'mul-add': n[0]! * n[1]! + n[2]! }[
        p.kind
      ];
      assert.equal(p.answer, String(expected), p.problem);
      assert.ok(expected > 0);
    }
    const b = wordProblems(9, 6, new Set(a.map((p) => p.problem)));
    for (const p of b) assert.ok(!a.some((q) => q.problem === p.problem));
  });

  test('the GSM8K slice keeps the first problems with at most maxSteps calculations, gold without separators', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-real-'));
    try {
      fakeGsm8k(dir);
      const s = gsm8kSlice(dir, 5, 2);
      assert.deepEqual(
        s.map((p) => p.answer),
        ['7', '2400'],
      );
      assert.deepEqual(
        gsm8kSlice(dir, 1, 2).map((p) => p.answer),
        ['7'],
      );
      assert.equal(gsm8kSlice(dir, 5, 3).length, 3);
      const { sets, pool } = heldOutSets({ dataSeed: 0, heldOutPerKind: 2, gsm8k: 5, gsm8kMaxSteps: 2, evalDir: dir, poolPerKind: 3 });
      assert.deepEqual(
        sets.map((x) => [x.name, x.problems.length]),
        [
          ['arithmetic', 10],
          ['gsm8k', 2],
        ],
      );
      assert.equal(pool.length, 15);
      const test = new Set(sets[0]!.problems.map((p) => p.problem));
      for (const p of pool) assert.ok(!test.has(p.problem));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('real-model demo: paired tests and the plain format', () => {
  test('pairedVsBase: per set and per kind, after minus base on the same problems, McNemar from the flips', () => {
    const base = {
      arithmetic: { n: 6, any: 2 / 6, boxed: 0, truncated: 0, meanTokens: 1, outcomes: '100100' },
      gsm8k: { n: 2, any: 0, boxed: 0, truncated: 0, meanTokens: 1, outcomes: '00' },
    };
    const after = {
      arithmetic: { n: 6, any: 4 / 6, boxed: 0, truncated: 0, meanTokens: 1, outcomes: '011110' },
      gsm8k: { n: 2, any: 0.5, boxed: 0, truncated: 0, meanTokens: 1, outcomes: '01' },
    };
    const d = pairedVsBase(base, after, 3, { arithmetic: ['add', 'sub', 'mul', 'add', 'sub', 'mul'] });
    assert.ok(Math.abs(d['arithmetic']!.diff - 2 / 6) < 1e-12);
    assert.deepEqual([d['arithmetic']!.mcnemar.onlyA, d['arithmetic']!.mcnemar.onlyB], [1, 3]);
    // add: 1,1 → 0,1 (one down); sub: 0,0 → 1,1 (two up); mul: 0,0 → 1,0 (one up)
    assert.deepEqual(Object.fromEntries(Object.entries(d['arithmetic']!.kinds!).map(([k, x]) => [k, [x.mcnemar.onlyA, x.mcnemar.onlyB]])), {
      add: [1, 0],
      sub: [0, 2],
      mul: [0, 1],
    });
    assert.equal(d['gsm8k']!.kinds, undefined);
    assert.equal(d['gsm8k']!.diff, 0.5);
  });

  test('the plain format is BOS + the user turn, no turn markers', () => {
    assert.equal(
      renderChat(PLAIN_TEMPLATE, [{ role: 'user', content: 'Question: 2+2?\nAnswer:' }], { addGenerationPrompt: true, specialTokens: { bosToken: '<bos>' } }),
      '<bos>Question: 2+2?\nAnswer:',
    );
  });
});

describe('real-model demo: the pipeline (tiny model, --quick)', () => {
  test('base eval, selection over the pool, one GRPO run per seed, eval after each; summary and records agree', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-real-'));
    try {
      const model = path.join(dir, 'model');
      buildTinyQwenModel(model, 3);
      fakeGsm8k(dir);
      const out = path.join(dir, 'out');
      const results = path.join(dir, 'results', 'demo-real.json');
      const r = spawnSync(
        process.execPath,
        [main, 'demo', '--model', model, '--quick', '--seeds', '0,1', '--eval-dir', dir, '--out', out, '--results', results, '--json', '--entropy-coef', '0'],
        { encoding: 'utf8', maxBuffer: 1 << 26 },
      );
      assert.equal(r.status, 0, `rlvr demo --model failed:\n${r.stderr}`);
      const s = JSON.parse(fs.readFileSync(results, 'utf8')) as RealDemoResult;
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')), s);
      // sets: 1 generated problem per kind, the 2 GSM8K problems with <= 2 calculations
      assert.deepEqual(Object.fromEntries(Object.entries(s.base).map(([k, v]) => [k, v.n])), { arithmetic: 5, gsm8k: 2 });
      for (const file of ['base', 'after-seed-0', 'after-seed-1']) {
        const recs = fs
          .readFileSync(path.join(out, `${file}.jsonl`), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { bench: string; index: number; correct: boolean; rewardCorrect: boolean });
        assert.equal(recs.length, 7, file);
        const scores = file === 'base' ? s.base : s.runs.find((x) => `after-seed-${x.seed}` === file)!.after;
        for (const set of ['arithmetic', 'gsm8k']) {
          const mine = recs.filter((x) => x.bench === set);
          assert.equal(scores[set]!.any, mine.filter((x) => x.correct).length / mine.length);
          assert.equal(scores[set]!.boxed, mine.filter((x) => x.rewardCorrect).length / mine.length);
          // per-problem outcomes (for the paired tests) in the set's order
          assert.equal(
            scores[set]!.outcomes,
            [...mine]
              .sort((p, q) => p.index - q.index)
              .map((x) => (x.correct ? '1' : '0'))
              .join(''),
          );
        }
        // one generated problem per kind: each kind's accuracy is that problem's verdict
        const kinds = scores['arithmetic']!.kinds!;
        assert.deepEqual(Object.keys(kinds).sort(), [...WORD_KINDS].sort());
        for (const k of Object.values(kinds)) assert.equal(k.n, 1);
        assert.equal(Object.values(kinds).reduce((a, k) => a + k.any, 0) / 5, scores['arithmetic']!.any);
      }
      // selection: the pool's 5 problems scored over 2 epochs, ranked by variance; π1 is the top one
      assert.equal(s.selection.pool, 5);
      assert.equal(s.selection.top[0]!.index, s.selected.index);
      for (const x of s.selection.top) assert.equal(x.accs.length, 2);
      for (let i = 1; i < s.selection.top.length; i++) assert.ok(s.selection.top[i - 1]!.variance >= s.selection.top[i]!.variance);
      // one run per seed, each with its steps and its own run folder
      assert.deepEqual(
        s.runs.map((x) => x.seed),
        [0, 1],
      );
      for (const x of s.runs) {
        assert.deepEqual(
          x.steps.map((m) => m.step),
          [1, 2],
        );
        const metrics = fs
          .readFileSync(path.join(out, `seed-${x.seed}`, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n');
        assert.equal(metrics.length, 2);
        // Its checkpoints are complete HF folders: rlvr eval and transformers load them.
        const ck = path.join(out, `seed-${x.seed}`, 'checkpoints', 'step-000002');
        for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'])
          assert.ok(fs.existsSync(path.join(ck, f)), `seed-${x.seed}/checkpoints/step-000002/${f}`);
        assert.ok(x.seconds.wall > 0 && x.seconds.cpu > 0);
      }
      for (const set of ['arithmetic', 'gsm8k']) {
        const sp = s.spread[set]!.any;
        assert.ok(sp.min <= sp.mean && sp.mean <= sp.max);
        assert.equal(sp.min, Math.min(...s.runs.map((x) => x.after[set]!.any)));
      }
      // the paired test per seed and set is in the JSON: the same numbers as the outcomes give
      for (const x of s.runs) {
        for (const set of ['arithmetic', 'gsm8k']) {
          const d = x.paired![set]!;
          const a = [...s.base[set]!.outcomes!],
            b = [...x.after[set]!.outcomes!];
          assert.equal(d.n, a.length);
          assert.equal(d.mcnemar.onlyB, a.filter((c, i) => c === '0' && b[i] === '1').length);
          assert.equal(d.mcnemar.onlyA, a.filter((c, i) => c === '1' && b[i] === '0').length);
        }
        assert.deepEqual(Object.keys(x.paired!['arithmetic']!.kinds!).sort(), [...WORD_KINDS].sort());
      }
      assert.ok(s.seconds.total.wall >= s.seconds.base.wall + s.seconds.selection.wall);
      // the printed table has the base row and one row per seed; the JSON line the same numbers
      assert.match(r.stdout, /\nbase\s+\d+\.\d% \[\d+\.\d, \d+\.\d\]/); // with its Wilson interval
      assert.match(r.stdout, /seed 1, gsm8k any format vs base: [+-]\d+\.\d points \[.*\], McNemar p = /);
      assert.equal(s.provenance!.machine.threads, 1);
      assert.equal(s.grpo.entropyCoef, 0); // --entropy-coef reaches the GRPO config
      assert.ok(s.provenance!.machine.cpu.length > 0 && s.provenance!.versions.node === process.version);
      const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { base: unknown; after: { seed: number }[] };
      assert.deepEqual(json.base, s.base);
      assert.deepEqual(
        json.after.map((x) => x.seed),
        [0, 1],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a folder that is not a model is one line, exit 2', () => {
    const r = spawnSync(process.execPath, [main, 'demo', '--model', '/nonexistent/model'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a model folder/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
