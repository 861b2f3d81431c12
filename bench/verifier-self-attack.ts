// `npm run bench:self-attack`: the verifier attacked with 10,000 near-misses of the development
// corpus's correct golds (test/reward/near-miss.ts: digit changes, sign flips, offsets, values a
// double loses, roundings, hedged candidates, structural changes), each different from its gold by
// construction, in reward and eval modes. A near-miss scored correct is a false positive.
// Writes bench/results/verifier-self-attack.json. Last line of output: JSON.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyWithDeadline } from '../src/tasks/math/verifier/deadline.js';
import { generateNearMisses, goldsOf } from '../test/reward/near-miss.js';
import { peakRssBytes } from '../src/util/peak-rss.js';

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

function main(): void {
  const root = repoRoot();
  const corpus = path.resolve(root, '../shared/data/verifier/cases.jsonl');
  const count = Number(process.env.SELF_ATTACK_N ?? 10000);
  const golds = goldsOf(readFileSync(corpus, 'utf8'));
  const cases = generateNearMisses(golds, count, 24);
  const byFamily: Record<string, { n: number; fp_reward: number; fp_eval: number }> = {};
  const fps: { gold: string; mutant: string; family: string; mode: string }[] = [];
  let timeouts = 0;
  const t0 = performance.now();
  for (const c of cases) {
    const f = (byFamily[c.family] ??= { n: 0, fp_reward: 0, fp_eval: 0 });
    f.n++;
    for (const mode of ['reward', 'eval'] as const) {
      const r = verifyWithDeadline(c.gold, c.response, { mode }, 1000);
      if (r.reason === 'timeout') timeouts++;
      if (r.correct) {
        if (mode === 'reward') f.fp_reward++;
        else f.fp_eval++;
        fps.push({ gold: c.gold, mutant: c.mutant, family: c.family, mode });
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const fpReward = fps.filter((x) => x.mode === 'reward').length;
  const fpEval = fps.filter((x) => x.mode === 'eval').length;
  const result = {
    bench: 'verifier-self-attack',
    corpus: '../shared/data/verifier/cases.jsonl (golds of rows labelled equal)',
    golds: golds.length,
    near_misses: cases.length,
    seed: 24,
    false_positives_reward: fpReward,
    false_positives_eval: fpEval,
    fp_rate_reward: fpReward / cases.length,
    fp_rate_eval: fpEval / cases.length,
    timeouts,
    by_family: byFamily,
    false_positive_examples: fps.slice(0, 50),
    seconds: Math.round(seconds * 10) / 10,
    node: process.version,
    peakRssBytes: peakRssBytes(),
  };
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/verifier-self-attack.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(
    `self-attack: ${cases.length} near-misses of ${golds.length} golds; false positives: reward ${fpReward}, eval ${fpEval}; ${timeouts} timeouts; ${seconds.toFixed(1)} s`,
  );
  console.log(JSON.stringify({ near_misses: cases.length, false_positives_reward: fpReward, false_positives_eval: fpEval, timeouts }));
}

main();
