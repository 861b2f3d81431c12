// The paper reward against the original: src/reward/paper.ts and the DeepScaleR grader of the
// 1-shot RLVR fork (test/py/deepscaler_grader.py: the fork's own Python, sympy 1.14 + pylatexenc
// 2.10) score the same thousands of (gold, response) pairs, generated from one seed out of the
// shared data's golds (test/reward/paper-pairs.ts). Every pair must get the same verdict, except
// the documented classes below, each listed with its count; and the agreement must be >= 0.99.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, sharedData } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';
import { verifyPaper } from '../../src/reward/paper.js';
import { loadPairSources, makePairs, type Pair } from './paper-pairs.js';

const ORACLE = path.join(repoRoot, 'test/py/deepscaler_grader.py');
const SEED = 21;
// Per-pair limit on the Python side (sympy.simplify has none in the original).
const PY_LIMIT_S = 5;

interface Verdict {
  score: 0 | 1;
  pred: string | null;
  mathd: boolean | null;
  timeout: boolean;
}

const missing = !hasPythonModule('sympy') || !hasPythonModule('pylatexenc') ? 'python3 sympy/pylatexenc missing (scripts/setup.sh --test)' : false;

test('paper reward = the DeepScaleR grader (Python original) on thousands of generated pairs', { skip: missing }, async () => {
  const src = await loadPairSources(sharedData);
  assert.ok(src, `shared data missing under ${sharedData}`);
  const pairs = makePairs(src, SEED);
  assert.ok(pairs.length >= 5000, `only ${pairs.length} pairs`);

  const t0 = performance.now();
  const oracle = JSON.parse(runPython(ORACLE, [String(PY_LIMIT_S)], JSON.stringify(pairs.map((p) => [p.gold, p.response])))) as Verdict[];
  const pyMs = performance.now() - t0;
  assert.equal(oracle.length, pairs.length);

  const t1 = performance.now();
  const ours = pairs.map((p) => (verifyPaper(p.gold, p.response).correct ? 1 : 0));
  const tsMs = performance.now() - t1;

  const byKind = new Map<string, { n: number; diff: number; pos: number }>();
  const disagreements: { pair: Pair; py: Verdict; ts: number }[] = [];
  let timeouts = 0;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i]!;
    const py = oracle[i]!;
    const k = byKind.get(p.kind) ?? { n: 0, diff: 0, pos: 0 };
    byKind.set(p.kind, k);
    if (py.timeout) {
      timeouts++;
      continue;
    }
    k.n++;
    k.pos += py.score;
    if (py.score !== ours[i]) {
      k.diff++;
      disagreements.push({ pair: p, py, ts: ours[i]! });
    }
  }
  const compared = pairs.length - timeouts;
  const agreement = 1 - disagreements.length / compared;
  const positives = oracle.filter((v) => v.score === 1).length;
  console.log(
    `paper vs DeepScaleR grader: ${pairs.length} pairs (seed ${SEED}), ${compared} compared, ${timeouts} sympy timeouts left out; ` +
      `${positives} scored 1 by the original; agreement ${(agreement * 100).toFixed(3)}% (${disagreements.length} differ); ` +
      `python ${(pyMs / 1000).toFixed(1)} s, ours ${(tsMs / 1000).toFixed(1)} s`,
  );
  for (const d of disagreements) {
    console.log(`  differ [${d.pair.kind}] gold ${JSON.stringify(d.pair.gold)} response ${JSON.stringify(d.pair.response.slice(-160))}: original ${d.py.score} (mathd ${d.py.mathd}, pred ${JSON.stringify(d.py.pred)}), ours ${d.ts}`);
  }
  const kinds = [...byKind].sort((a, b) => a[0].localeCompare(b[0]));
  console.log('  per kind (n / scored 1 / differ): ' + kinds.map(([k, v]) => `${k} ${v.n}/${v.pos}/${v.diff}`).join(', '));
  assert.ok(timeouts <= pairs.length * 0.001, `${timeouts} sympy timeouts`);
  assert.ok(positives > compared * 0.25 && positives < compared * 0.75, `the pairs should mix verdicts: ${positives} of ${compared} scored 1`);
  assert.ok(agreement >= 0.99, `agreement ${agreement}`);
});
