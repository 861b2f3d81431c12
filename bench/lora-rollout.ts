// LoRA in the rollout engine on CPU: adapters applied on the fly (what rlvr does: x W^T +
// s·(x A^T) B^T in every projection) against a merged working copy (W + s·B A refreshed after
// each optimizer step; its generation costs exactly the base model's). SmolLM2-135M's shape with
// random weights (speed does not depend on the values), 4 prompts × 8 rollouts, exactly N new
// tokens, one thread, interleaved A/B, median of R pairs; plus the merge's own cost per refresh.
//
//   npm run build && node dist/bench/lora-rollout.js [--tokens 64] [--pairs 3] [--rank 8]
// Writes bench/results/lora-rollout.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manualSeed, noGrad, randn, setNumThreads, tidy } from '../src/engine/index.js';
import { LoraAdapters, loraSettings, mergedWeight } from '../src/model/lora.js';
import { loraModulePath, type LoraTarget } from '../src/model/lora-targets.js';
import { CausalLM } from '../src/model/transformer.js';
import { rolloutSamples } from '../src/rollout/engine.js';
import { peakRssBytes } from '../src/util/peak-rss.js';
import { SMOLLM2_135M } from './shapes.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const tokens = arg('tokens', 64);
const pairs = arg('pairs', 3);
const rank = arg('rank', 8);
setNumThreads(1);

manualSeed(0);
const model = CausalLM.randomInit(SMOLLM2_135M);
const lora = LoraAdapters.attach(model, loraSettings({ rank }), { seed: 1 });
// Non-zero B, as after training (zeros would not change the cost, but keep it honest).
noGrad(() => {
  for (const [n, p] of lora.params) if (n.includes('lora_B')) p.copy_(tidy(() => randn(p.shape).mul(0.01)));
});
const prompts = Array.from({ length: 4 }, (_, i) => Array.from({ length: 64 }, (_, j) => (i * 97 + j * 13) % 49152));
const run = () => {
  const t0 = performance.now();
  rolloutSamples(model, prompts, { maxNewTokens: tokens, n: 8, temperature: 0.6, topP: 1, topK: 0, seed: 3, stopTokenIds: [] });
  return (performance.now() - t0) / 1000;
};
/** The merge a merged working copy needs after each optimizer step: W + s·B A for every target. */
const mergeOnce = () => {
  const t0 = performance.now();
  model.layers.forEach((layer, i) => {
    for (const [t, pair] of Object.entries(layer.lora!.pairs)) {
      const w = model.params.get(`${loraModulePath(i, t as LoraTarget)}.weight`)!;
      tidy(() => {
        mergedWeight(w, pair!, lora.scale);
      });
    }
  });
  return (performance.now() - t0) / 1000;
};

run(); // warm-up
const onTheFly: number[] = [];
const merged: number[] = [];
const merges: number[] = [];
for (let k = 0; k < pairs; k++) {
  onTheFly.push(run());
  merged.push(lora.disabled(run)); // adapters off = the merged copy's forward cost
  merges.push(mergeOnce());
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const result = {
  model: 'SmolLM2-135M shape (random weights)',
  threads: 1,
  prompts: 4,
  rolloutsPerPrompt: 8,
  newTokens: tokens,
  rank,
  targets: lora.settings.targetModules,
  onTheFlySeconds: onTheFly,
  mergedSeconds: merged,
  mergeSeconds: merges,
  medianOnTheFly: median(onTheFly),
  medianMergedPlusMerge: median(merged) + median(merges),
  medianMerge: median(merges),
  ratioOnTheFlyOverMerged: median(onTheFly) / (median(merged) + median(merges)),
  time: new Date().toISOString(),
  peakRssBytes: peakRssBytes(),
};
console.log(JSON.stringify(result, null, 2));
const out = path.join(process.cwd(), 'bench/results/lora-rollout.json');
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
model.dispose();
