// The paper reward against the original: src/tasks/math/paper/paper.ts and the DeepScaleR grader of the
// 1-shot RLVR fork (test/py/deepscaler_grader.py: the fork's own Python, sympy 1.14 + pylatexenc
// 2.10) score the same thousands of (gold, response) pairs, generated from one seed out of the
// shared data's golds (test/reward/paper-pairs.ts). Every pair must get the same verdict (each
// disagreement is printed with its rewriting kind). A second test compares the pylatexenc port
// (src/tasks/math/paper/latex2text.ts) with pylatexenc itself on every boxed answer of the pairs; a third
// checks that its generated tables are what scripts/gen-latex2text-table.py writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot, sharedData } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';
import { paperLastBoxed, verifyPaper } from '../../src/tasks/math/paper/paper.js';
import { latexToText } from '../../src/tasks/math/paper/latex2text.js';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadPairSources, makePairs, type Pair } from './paper-pairs.js';

const ORACLE = path.join(repoRoot, 'test/py/deepscaler_grader.py');
// PAPER_ORACLE_SEED draws another set of pairs (exploration); CI uses the default.
const SEED = Number(process.env['PAPER_ORACLE_SEED'] ?? 21);
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
    console.log(
      `  differ [${d.pair.kind}] gold ${JSON.stringify(d.pair.gold)} response ${JSON.stringify(d.pair.response.slice(-160))}: original ${d.py.score} (mathd ${d.py.mathd}, pred ${JSON.stringify(d.py.pred)}), ours ${d.ts}`,
    );
  }
  const kinds = [...byKind].sort((a, b) => a[0].localeCompare(b[0]));
  console.log('  per kind (n / scored 1 / differ): ' + kinds.map(([k, v]) => `${k} ${v.n}/${v.pos}/${v.diff}`).join(', '));
  assert.ok(timeouts <= pairs.length * 0.001, `${timeouts} sympy timeouts`);
  assert.ok(positives > compared * 0.25 && positives < compared * 0.75, `the pairs should mix verdicts: ${positives} of ${compared} scored 1`);
  // The issue asks >= 0.99; measured: every pair agrees on the default seed (other seeds: 0 to 2
  // pairs in 11,000, the classes listed in docs/PAPER.md), so the default seed must agree exactly.
  assert.ok(agreement >= 0.999, `agreement ${agreement}`);
  if (SEED === 21) assert.equal(disagreements.length, 0, "every pair must get the original grader's verdict");
});

test('latex2text port = pylatexenc 2.10 on every boxed answer and gold of the pairs', { skip: missing }, async () => {
  const src = await loadPairSources(sharedData);
  assert.ok(src, `shared data missing under ${sharedData}`);
  const strings = new Set<string>();
  for (const p of makePairs(src, SEED)) {
    for (const s of [paperLastBoxed(p.response), p.gold.includes('\\boxed') ? paperLastBoxed(p.gold) : p.gold]) {
      // As _parse_latex hands it over (\frac spaced for mixed numbers).
      if (s !== null && s.includes('\\')) strings.add(s.replaceAll('\\frac', ' \\frac'));
    }
  }
  const all = [...strings];
  const want = JSON.parse(runPython(path.join(repoRoot, 'test/py/latex2text_ref.py'), [], JSON.stringify(all))) as (string | null)[];
  const differ: string[] = [];
  for (let i = 0; i < all.length; i++) {
    let got: string | null;
    try {
      got = latexToText(all[i]!);
    } catch {
      got = null;
    }
    if (got !== want[i]) differ.push(`${JSON.stringify(all[i])}: pylatexenc ${JSON.stringify(want[i])}, ours ${JSON.stringify(got)}`);
  }
  console.log(`latex2text: ${all.length} strings, ${want.filter((w) => w === null).length} raise in pylatexenc; ${differ.length} differ`);
  assert.deepEqual(differ.slice(0, 20), []);
});

test('src/tasks/math/paper/latex2text-table.ts is what scripts/gen-latex2text-table.py writes from pylatexenc 2.10', { skip: missing }, () => {
  const r = spawnSync('python3', [path.join(repoRoot, 'scripts/gen-latex2text-table.py')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(path.join(repoRoot, 'src/tasks/math/paper/latex2text-table.ts'), 'utf8'));
});

test('\\today is the date pylatexenc gives now, not the day the table was generated', { skip: missing }, () => {
  const r = spawnSync(
    'python3',
    ['-c', 'from pylatexenc.latex2text import LatexNodes2Text as L; import sys; sys.stdout.write(L().latex_to_text(r"On \\today: \\today."))'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(latexToText('On \\today: \\today.'), r.stdout);
  assert.match(r.stdout, /^On [A-Z][a-z]+ \d{1,2}, \d{4}: /);
});
