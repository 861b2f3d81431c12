// Merges the summaries of `rlvr demo --model M --lora-ranks ...` runs made in separate processes
// over the same base evaluation and selection (e.g. ranks 0,1 in one process and 8,64 in another,
// or later seeds with --base-from, to use more cores) into one results file, after checking that
// they are the same experiment: the same settings but the ranks and seeds, the same base outcomes
// per problem, the same selected example, and no (rank, seed) twice. A part may be the summary of a
// process stopped early: only the runs it holds count. A results file written before LoRA (no
// loraRanks) is a part of full fine-tuning runs (rank 0), without step times or peak RSS.
// grpo.microBatchTokens (how the update is chunked: a memory knob) may differ between parts and is
// kept per part.
// The per-configuration summaries (and LoRA vs full fine-tuning on the same seed) are recomputed
// over all runs. Needs the build (dist/src/demo/real.js).
// --rerun FILE (repeatable): a part whose runs repeat a (rank, seed) of the others (e.g. full
// fine-tuning rerun with step times and peak RSS): checked like a part, kept under `reruns`, not
// counted in the configurations.
//   node scripts/demo-real-merge.mjs OUT.json PART.json PART.json ... [--rerun FILE]
import * as fs from 'node:fs';
import { configKey, spreadOf, summarizeConfigs } from '../dist/src/demo/real.js';

const argv = process.argv.slice(2);
const rerunFiles = argv.flatMap((a, i) => (argv[i - 1] === '--rerun' ? [a] : []));
const [out, ...parts] = argv.filter((a, i) => a !== '--rerun' && argv[i - 1] !== '--rerun');
if (!out || parts.length === 0) {
  console.error('usage: node scripts/demo-real-merge.mjs OUT.json PART.json [PART.json ...]');
  process.exit(2);
}
const ds = parts.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const reruns = rerunFiles.map((f) => ({ file: f, ...JSON.parse(fs.readFileSync(f, 'utf8')) }));
for (const d of ds) {
  if (d.config.loraRanks) continue;
  d.legacy = true;
  d.config = { ...d.config, loraRanks: [0] };
  for (const r of d.runs) Object.assign(r, { rank: 0, lr: d.grpo.lr });
}
const noMicro = (g) => JSON.stringify({ ...g, microBatchTokens: undefined });
// The first part that ran the base evaluation itself (not --base-from) gives base, selection and their seconds.
const first = ds.find((d) => !d.baseFrom) ?? ds[0];
const strip = (c) => JSON.stringify({ ...c, loraRanks: undefined, seeds: undefined, grpo: noMicro(c.grpo) });
for (const [i, d] of [...ds, ...reruns].entries()) {
  const fail = (what) => {
    console.error(`${[...parts, ...rerunFiles][i]}: ${what} differs from ${parts[ds.indexOf(first)]}'s: not the same experiment`);
    process.exit(1);
  };
  if (strip(d.config) !== strip(first.config)) fail('config (other than loraRanks and seeds)');
  if (noMicro(d.grpo) !== noMicro(first.grpo)) fail('grpo (other than microBatchTokens)');
  if (JSON.stringify(d.base) !== JSON.stringify(first.base)) fail('the base evaluation');
  if (JSON.stringify(d.selected) !== JSON.stringify(first.selected)) fail('the selected example');
  if (!d.config.loraRanks) fail('loraRanks (absent)');
}
// Runs ordered by configuration (ascending rank), then seed.
const runs = ds.flatMap((d) => d.runs).sort((a, b) => a.rank - b.rank || a.seed - b.seed);
const keys = runs.map((r) => `${configKey(r.rank)} seed ${r.seed}`);
const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
if (twice.length > 0) {
  console.error(`ran in more than one part: ${twice.join(', ')}`);
  process.exit(1);
}
const ranks = [...new Set(runs.map((r) => r.rank))].sort((a, b) => a - b);
const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
const names = Object.keys(first.base);
const merged = {
  ...Object.fromEntries(Object.entries(first).filter(([k]) => k !== 'legacy')),
  config: { ...first.config, seeds, loraRanks: ranks },
  runs,
  spread: spreadOf(
    runs.filter((r) => r.rank === ranks[0]),
    names,
  ),
  configs: summarizeConfigs(runs, names, first.grpo.lr),
  // The machine and code of the first part written with LoRA (each part keeps its own below).
  provenance: (ds.find((d) => !d.legacy) ?? first).provenance,
  mergedBy: 'scripts/demo-real-merge.mjs',
  ...(reruns.length > 0
    ? {
        reruns: reruns.map((d) => ({
          file: d.file,
          microBatchTokens: d.grpo.microBatchTokens,
          runs: d.runs,
          seconds: d.seconds,
          provenance: d.provenance,
        })),
      }
    : {}),
  parts: ds.map((d, i) => ({
    file: parts[i],
    loraRanks: d.config.loraRanks,
    seeds: d.config.seeds,
    ...(d.legacy ? { legacy: 'written before LoRA: full fine-tuning, no step times or peak RSS' } : {}),
    microBatchTokens: d.grpo.microBatchTokens,
    runs: d.runs.map((r) => [r.rank, r.seed]),
    ...(d.baseFrom ? { baseFrom: d.baseFrom } : {}),
    seconds: d.seconds,
    provenance: d.provenance,
  })),
};
fs.writeFileSync(out, JSON.stringify(merged, null, 2) + '\n');
console.log(`${out}: ${runs.length} runs over ${ranks.map(configKey).join(', ')} from ${parts.length} parts`);
