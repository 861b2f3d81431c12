// GRPO on a second task: Countdown (src/tasks/countdown/). Each example gives numbers and a
// target; a completion earns 1 when its <answer>...</answer> holds an arithmetic expression that
// uses the given numbers and evaluates to the target. With formatWeight a second, small reward
// (weight 0.1) pays for the answer format alone; both are logged per step. From the CLI the same
// task is `rlvr train --task countdown`; a task of your own is registerTask(task) (see Task).
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
import {
  CausalLM,
  GRPOTrainer,
  countdownFormatReward,
  countdownPrompt,
  countdownPuzzles,
  countdownRewardFn,
  createCountdownTask,
  manualSeed,
  saveModel,
  type RewardFunction,
  type TrainExample,
} from '../src/index.js';
import { demoModelConfig } from '../src/demo/pretrain.js';
import { DemoTokenizer, writeTokenizerFiles } from '../src/demo/tokenizer.js';

/** The task: every given number used at most once, and the format reward at weight 0.1. */
export const task = createCountdownTask({ useAllNumbers: false, formatWeight: 0.1 });

/** The task's rewards, by name (what the example's test checks). */
export const countdownReward: RewardFunction = countdownRewardFn(false);
export const formatReward: RewardFunction = countdownFormatReward;

/** Countdown problems as training examples; the columns carry what the reward checks. */
export function countdownExamples(): TrainExample[] {
  const rows = [{ numbers: [3, 5, 2], target: 16 }, ...countdownPuzzles(1, 3, 3, 9).map(({ numbers, target }) => ({ numbers, target }))];
  return rows.map((row, index) => ({
    index,
    messages: [{ role: 'user', content: countdownPrompt(row) }],
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
    rewards: task.rewards(),
    grpo: tiny
      ? {
          steps: Number(values.steps ?? 3),
          trainBatchSize: 2,
          miniBatchSize: 2,
          groupSize: 4,
          maxResponseLength: 24,
          lr: 1e-4,
          klCoef: 0,
          saveEvery: 0,
          validateEvery: 0,
        }
      : { steps: Number(values.steps ?? 100), trainBatchSize: 4, miniBatchSize: 4, groupSize: 8, maxResponseLength: 256, lr: 1e-6 },
    device: 'cpu',
    log: () => {},
    onStep: (m) =>
      console.log(
        `step ${m.step}: reward ${m.rewardMean.toFixed(3)} | ${Object.entries(m.rewardsByName ?? {})
          .map(([k, v]) => `${k} ${v.toFixed(3)}`)
          .join(' | ')}`,
      ),
  });
  try {
    await trainer.train();
  } finally {
    await trainer.close();
    await task.close?.();
  }
  console.log(`run folder ${out}: metrics.jsonl (rewardsByName per step); watch it with: rlvr dashboard ${out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
