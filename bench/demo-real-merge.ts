// Merges output folders of `rlvr demo --model` run with different --seeds (e.g. one process per
// seed, run at the same time to get more of a shared machine) into one results file of the
// demo's shape. Refuses folders whose base evaluation, selection or settings (seeds aside) differ.
//   node dist/bench/demo-real-merge.js OUT.json DIR1 DIR2 ...
import * as fs from 'node:fs';
import * as path from 'node:path';
import { perKind, type HeldOutScores, type RealDemoResult } from '../src/demo/real.js';

function load(dir: string): RealDemoResult {
  const r = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RealDemoResult;
  // Folders written before per-kind scores: recompute them from the scored records.
  const kinds = (file: string, s: HeldOutScores) => {
    if (!s['arithmetic'] || s['arithmetic'].kinds) return;
    const recs = fs
      .readFileSync(path.join(dir, file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { bench: string; id: string; correct: boolean; rewardCorrect: boolean });
    s['arithmetic'].kinds = perKind(recs.filter((x) => x.bench === 'arithmetic'));
  };
  kinds('base.jsonl', r.base);
  for (const x of r.runs) kinds(`after-seed-${x.seed}.jsonl`, x.after);
  return r;
}

const [out, ...dirs] = process.argv.slice(2);
if (!out || dirs.length === 0) {
  console.error('usage: node dist/bench/demo-real-merge.js OUT.json DIR...');
  process.exit(2);
}
const parts = dirs.map(load);
const first = parts[0]!;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
for (const [i, p] of parts.entries()) {
  const { seeds: _a, ...c0 } = first.config;
  const { seeds: _b, ...c1 } = p.config;
  if (!same(c0, c1)) throw new Error(`${dirs[i]}: other settings than ${dirs[0]}`);
  if (!same(p.base, first.base)) throw new Error(`${dirs[i]}: another base evaluation than ${dirs[0]}`);
  if (!same(p.selected, first.selected)) throw new Error(`${dirs[i]}: another selected example than ${dirs[0]}`);
}
const runs = parts.flatMap((p) => p.runs).sort((a, b) => a.seed - b.seed);
const stat = (xs: number[]) => ({ mean: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e4) / 1e4, min: Math.min(...xs), max: Math.max(...xs) });
const spread: RealDemoResult['spread'] = {};
for (const name of Object.keys(first.base)) {
  spread[name] = { any: stat(runs.map((r) => r.after[name]!.any)), boxed: stat(runs.map((r) => r.after[name]!.boxed)) };
}
const merged = {
  ...first,
  config: { ...first.config, seeds: runs.map((r) => r.seed) },
  runs,
  spread,
  invocations: parts.map((p, i) => ({ dir: dirs[i], seeds: p.config.seeds, seconds: p.seconds })),
};
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(merged, null, 2) + '\n');
console.log(`${out}: seeds ${runs.map((r) => r.seed).join(', ')} from ${dirs.length} folder(s)`);
