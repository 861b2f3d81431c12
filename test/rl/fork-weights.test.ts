// The paper's loss weighting (fork-weights.ts) against a PyTorch reference written from the
// fork's definitions (test/py/fork_weights_ref.py), which reads the weights off autograd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { forkLossWeights, karmarkarKarp } from '../../src/rl/fork-weights.js';
import { runPython } from '../helpers/python.js';
import { repoRoot } from '../helpers/paths.js';

const REF = path.join(repoRoot, 'test', 'py', 'fork_weights_ref.py');

/** Deterministic lengths: rollouts of a π1-like step, some cut at the response limit. */
function rollouts(prompts: number, group: number, promptLen: number, maxResp: number, seed: number): { seq: number[]; resp: number[] } {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const resp: number[] = [];
  const seq: number[] = [];
  for (let p = 0; p < prompts; p++) {
    const pl = promptLen + Math.floor(rnd() * 20);
    for (let g = 0; g < group; g++) {
      const r = rnd() < 0.1 ? maxResp : 40 + Math.floor(rnd() * rnd() * (maxResp - 40));
      resp.push(r);
      seq.push(pl + r);
    }
  }
  return { seq, resp };
}

interface Case {
  seq: number[];
  resp: number[];
  ranks: number;
  maxTokens: number;
  mini: number;
}
type Ref = { weight: number[]; mini: number[]; rank: number[] };

const PAPER_STEP = rollouts(128, 8, 130, 3072, 7);
const CASES: Case[] = [
  { ...PAPER_STEP, ranks: 8, maxTokens: 24000, mini: 128 }, // the paper's step: 8 ranks, 24000 tokens, one mini-batch
  { ...rollouts(16, 4, 30, 500, 3), ranks: 4, maxTokens: 1200, mini: 8 }, // two mini-batches per rank, small budget
  { ...rollouts(4, 4, 20, 300, 11), ranks: 2, maxTokens: 700, mini: 4 },
];
// One Python start for every case (torch's import dominates the time).
let refs: Ref[] | null = null;
const reference = (k: number): Ref => {
  refs ??= JSON.parse(
    runPython(
      REF,
      [],
      JSON.stringify(CASES.map((c) => ({ seq_lens: c.seq, resp_lens: c.resp, ranks: c.ranks, max_tokens: c.maxTokens, mini_per_rank: c.mini }))),
    ),
  ) as Ref[];
  return refs[k]!;
};

function compare(k: number): void {
  const { seq, resp, ranks, maxTokens, mini } = CASES[k]!;
  const ours = forkLossWeights(seq, resp, { ranks, maxTokensPerRank: maxTokens, miniBatchPerRank: mini });
  const ref = reference(k);
  assert.deepEqual(ours.rank, ref.rank, 'rank assignment');
  assert.deepEqual(ours.miniBatch, ref.mini, 'mini-batch assignment');
  ours.weight.forEach((w, i) => assert.ok(Math.abs(w - ref.weight[i]!) <= 1e-12 * Math.abs(ref.weight[i]!), `weight ${i}: ${w} vs ${ref.weight[i]}`));
  // Each optimizer step's token weights sum to 1 (a weighted mean of per-token losses).
  const sums = new Map<number, number>();
  ours.weight.forEach((w, i) => sums.set(ours.miniBatch[i]!, (sums.get(ours.miniBatch[i]!) ?? 0) + w * resp[i]!));
  for (const v of sums.values()) assert.ok(Math.abs(v - 1) < 1e-9, `step weights sum to ${v}`);
}

test("fork weights: the paper's step (128 prompts × 8 rollouts, 8 ranks, 24000 tokens, one mini-batch) = PyTorch reference", () => {
  compare(0);
  const plan = forkLossWeights(PAPER_STEP.seq, PAPER_STEP.resp, { ranks: 8, maxTokensPerRank: 24000, miniBatchPerRank: 128 });
  // Not a global token mean: the weights vary with the micro-batch a sequence lands in.
  const distinct = new Set(plan.weight.map((w) => w.toPrecision(12)));
  assert.ok(distinct.size > 8, `${distinct.size} distinct weights`);
  assert.ok(
    plan.microBatches[0]!.every((micros) => micros.length === plan.microBatches[0]![0]!.length),
    'same micro-batch count on every rank',
  );
});

test('fork weights: several mini-batches per rank, small budget = PyTorch reference', () => {
  compare(1);
  compare(2);
});

test('karmarkarKarp: balanced equal-size parts; bad shapes fail in one line', () => {
  const parts = karmarkarKarp([5, 1, 4, 2, 3, 3], 2, true);
  assert.deepEqual(
    parts.map((p) => p.length),
    [3, 3],
  );
  assert.deepEqual(parts.map((p) => p.reduce((s, i) => s + [5, 1, 4, 2, 3, 3][i]!, 0)).sort(), [9, 9]);
  assert.throws(() => forkLossWeights([10, 10, 10], [5, 5, 5], { ranks: 2, maxTokensPerRank: 100, miniBatchPerRank: 1 }), /split evenly over 2 ranks/);
  assert.throws(() => forkLossWeights([10, 200], [5, 5], { ranks: 2, maxTokensPerRank: 100, miniBatchPerRank: 1 }), /exceeds the micro-batch token budget/);
});

test('fork weights: one rank whose micro-batch holds everything is the global token mean', () => {
  const { seq, resp } = rollouts(4, 4, 30, 200, 5);
  const plan = forkLossWeights(seq, resp, { ranks: 1, maxTokensPerRank: 1e9, miniBatchPerRank: 16 });
  const total = resp.reduce((a, b) => a + b, 0);
  for (const w of plan.weight) assert.ok(Math.abs(w - 1 / total) < 1e-15);
});
