// GRPO with a reward function of your own: the Countdown task. Each example gives numbers and a
// target; a completion earns 1 when its <answer>...</answer> holds an arithmetic expression that
// uses only the given numbers (each at most once) and evaluates to the target. A second, small
// reward (weight 0.1) pays for the answer format alone; both are logged per step.
//
//   npm run build && node dist/examples/countdown-reward.js [--model DIR] [--out runs/countdown]
//
// Without --model it trains a tiny random model (character tokenizer) for a few steps — seconds
// on a CPU, to show the API, not to learn the task; give a real instruction-tuned model folder to
// train for real. In your own project import from 'rlvr-ts' instead of '../src/index.js'.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CausalLM, GRPOTrainer, manualSeed, saveModel, type RewardFunction, type TrainExample } from '../src/index.js';
import { demoModelConfig } from '../src/demo/pretrain.js';
import { DemoTokenizer, writeTokenizerFiles } from '../src/demo/tokenizer.js';

/** The value of an expression of integers, + - * / and parentheses, or null when it is not one. */
export function evaluateExpression(text: string): { value: number; numbers: number[] } | null {
  const tokens = text.match(/\d+|[-+*/()]|\S/g) ?? [];
  const numbers: number[] = [];
  let i = 0;
  const peek = () => tokens[i];
  // expr := term (('+'|'-') term)* ; term := factor (('*'|'/') factor)* ; factor := number | '(' expr ')'
  const factor = (): number => {
    const t = tokens[i++];
    if (t === '(') {
      const v = expr();
      if (tokens[i++] !== ')') throw new Error('unbalanced');
      return v;
    }
    if (t !== undefined && /^\d+$/.test(t)) {
      numbers.push(Number(t));
      return Number(t);
    }
    throw new Error(`unexpected ${t}`);
  };
  const term = (): number => {
    let v = factor();
    while (peek() === '*' || peek() === '/') v = tokens[i++] === '*' ? v * factor() : v / factor();
    return v;
  };
  const expr = (): number => {
    let v = term();
    while (peek() === '+' || peek() === '-') v = tokens[i++] === '+' ? v + term() : v - term();
    return v;
  };
  try {
    const value = expr();
    return i === tokens.length && Number.isFinite(value) ? { value, numbers } : null;
  } catch {
    return null;
  }
}

/** The text inside the last <answer>...</answer>, or null. */
function answerOf(completion: string): string | null {
  const all = [...completion.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
  return all.length ? all[all.length - 1]![1]!.trim() : null;
}

/** 1 when the answer is an expression over the example's numbers (each at most once) equal to its target. */
export const countdownReward: RewardFunction = (batch) => batch.map(({ completion, example }) => {
  const { numbers, target } = example.columns as { numbers: number[]; target: number };
  const answer = answerOf(completion);
  const r = answer === null ? null : evaluateExpression(answer);
  if (!r || Math.abs(r.value - target) > 1e-9) return 0;
  const pool = [...numbers];
  for (const n of r.numbers) {
    const k = pool.indexOf(n);
    if (k < 0) return 0; // a number not given, or used twice
    pool.splice(k, 1);
  }
  return 1;
});

/** A small shaping reward: the completion has an <answer>...</answer>. */
export const formatReward: RewardFunction = (batch) => batch.map(({ completion }) => (answerOf(completion) === null ? 0 : 1));

/** Countdown problems as training examples; the columns carry what the reward checks. */
export function countdownExamples(): TrainExample[] {
  const rows = [{ numbers: [3, 5, 2], target: 16 }, { numbers: [7, 4, 9], target: 19 }, { numbers: [6, 8, 2], target: 40 }, { numbers: [9, 3, 5], target: 8 }];
  return rows.map((row, index) => ({
    index,
    messages: [{ role: 'user', content: `Using the numbers ${row.numbers.join(', ')} (each at most once) and + - * / ( ), make ${row.target}. Put the expression in <answer></answer>.` }],
    groundTruth: String(row.target),
    dataSource: 'countdown',
    columns: row,
  }));
}

/** A tiny random Qwen2 folder with the demo's character tokenizer (stands in for a real model). */
function tinyModel(dir: string): string {
  const tok = new DemoTokenizer();
  manualSeed(0);
  const model = CausalLM.randomInit(demoModelConfig({ hidden: 32, layers: 2, heads: 4, kvHeads: 2, vocab: tok.size, imEnd: tok.imEnd }));
  saveModel(model, dir);
  writeTokenizerFiles(dir);
  model.dispose();
  return dir;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' } } });
  const model = values.model ?? tinyModel(fs.mkdtempSync(path.join(os.tmpdir(), 'countdown-model-')));
  const out = values.out ?? path.join('runs', `countdown-${Date.now()}`);
  const tiny = values.model === undefined;
  const trainer = await GRPOTrainer.fromPretrained(model, {
    data: countdownExamples(),
    out,
    rewards: [{ name: 'countdown', fn: countdownReward }, { name: 'format', fn: formatReward, weight: 0.1 }],
    grpo: tiny
      ? { steps: Number(values.steps ?? 3), trainBatchSize: 2, miniBatchSize: 2, groupSize: 4, maxResponseLength: 24, lr: 1e-4, klCoef: 0, saveEvery: 0, validateEvery: 0 }
      : { steps: Number(values.steps ?? 100), trainBatchSize: 4, miniBatchSize: 4, groupSize: 8, maxResponseLength: 256, lr: 1e-6 },
    device: 'cpu',
    log: () => {},
    onStep: (m) => console.log(`step ${m.step}: reward ${m.rewardMean.toFixed(3)} | ${Object.entries(m.rewardsByName ?? {}).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' | ')}`),
  });
  try {
    await trainer.train();
  } finally {
    await trainer.close();
  }
  console.log(`run folder ${out}: metrics.jsonl (rewardsByName per step); watch it with: rlvr dashboard ${out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
