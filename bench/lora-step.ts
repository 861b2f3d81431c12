// One GRPO step on CPU, full fine-tuning vs LoRA: step time by phase and peak RSS, each in its own
// process (peak RSS = VmHWM). SmolLM2-135M's shape with random weights, 4 prompts × 8 rollouts,
// exactly N new tokens (no stop token), KL 0.001 (full: a second model as reference; LoRA: the
// base with adapters off), one optimizer step per batch, 1 thread, float32.
//
//   npm run build && node dist/bench/lora-step.js [--tokens 64] [--ranks 0,8]   (rank 0 = full)
// Writes bench/results/lora-step.json.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, setNumThreads } from '../src/engine/index.js';
import { LoraAdapters, loraSettings } from '../src/model/lora.js';
import { CausalLM } from '../src/model/transformer.js';
import { GRPOTrainer } from '../src/rl/trainer.js';
import { peakRssBytes } from '../src/util/peak-rss.js';
import { oneStepConfig, runJsonChild } from './one-step.js';
import { SMOLLM2_135M } from './shapes.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const tokens = Number(arg('tokens', '64'));

async function child(rank: number): Promise<void> {
  setNumThreads(1);
  manualSeed(0);
  const policy = CausalLM.randomInit(SMOLLM2_135M);
  manualSeed(0);
  const reference = rank > 0 ? null : CausalLM.randomInit(SMOLLM2_135M);
  if (rank > 0) LoraAdapters.attach(policy, loraSettings({ rank }), { seed: 1 });
  const codec = { encode: (s: string) => [...s].map((c) => c.charCodeAt(0)), decode: (ids: number[]) => String.fromCharCode(...ids.map((i) => i % 65536)) };
  const examples = Array.from({ length: 4 }, (_, i) => ({
    index: i,
    messages: [{ role: 'user' as const, content: `problem ${i}: `.padEnd(64, 'x') }],
    groundTruth: 'a',
    dataSource: 'bench',
  }));
  const trainer = new GRPOTrainer({
    policy,
    reference,
    tokenizer: codec,
    examples,
    renderPrompt: (ex) => ex.messages[0]!.content,
    stopTokenIds: [],
    rewards: async (items) => items.map((it) => it.completionIds[0]! % 2),
    config: oneStepConfig({ tokens, lr: rank > 0 ? 1e-5 : 1e-6 }),
    runDir: fs.mkdtempSync(path.join(os.tmpdir(), 'lora-step-')),
    log: () => {},
  });
  const [m] = await trainer.train();
  const hwm = peakRssBytes();
  console.log(
    JSON.stringify({
      rank,
      generation: m!.timeGeneration,
      logprobs: m!.timeLogprobs,
      update: m!.timeUpdate,
      peakRssBytes: hwm,
      responseLengthMean: m!.responseLengthMean,
    }),
  );
}

if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]));
} else {
  const results = [];
  for (const rank of arg('ranks', '0,8').split(',').map(Number)) {
    const line = await runJsonChild<Record<string, number>>(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', String(rank), '--tokens', String(tokens)],
      {
        env: { ...process.env, OMP_NUM_THREADS: '1' },
        quiet: true,
      },
    );
    console.log(JSON.stringify(line));
    results.push(line);
  }
  const out = {
    model: 'SmolLM2-135M shape (random weights)',
    threads: 1,
    prompts: 4,
    rolloutsPerPrompt: 8,
    newTokens: tokens,
    klCoef: 0.001,
    results,
    time: new Date().toISOString(),
    // The launcher's own; each case's peak RSS is in its row (its process's VmHWM).
    peakRssBytes: peakRssBytes(),
  };
  fs.writeFileSync(path.join(process.cwd(), 'bench/results/lora-step.json'), JSON.stringify(out, null, 2) + '\n');
}
