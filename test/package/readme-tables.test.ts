// The docs' result tables come from bench/results/*.json: scripts/readme-tables.mjs regenerates
// every marked block in memory, and each file it names (docs/RESULTS.md, docs/REAL-MODEL.md) must
// hold exactly that. A hand-edited figure, or a results file changed without rerunning the script,
// fails here. README.md itself carries no figures: a number typed there has no source to check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/paths.js';

interface Tables {
  regenerate(text: string, file: string): string;
  FILES: Record<string, Record<string, () => string>>;
}
const load = async () => (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'readme-tables.mjs')).href)) as Tables;

test('docs result blocks equal what scripts/readme-tables.mjs makes from bench/results', async () => {
  const mod = await load();
  assert.deepEqual(Object.keys(mod.FILES).sort(), ['docs/REAL-MODEL.md', 'docs/RESULTS.md']);
  for (const [file, blocks] of Object.entries(mod.FILES)) {
    const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
    for (const name of Object.keys(blocks)) {
      assert.ok(text.includes(`<!-- results:${name} -->`) && text.includes(`<!-- /results:${name} -->`), `${file} lacks the block ${name}`);
    }
    assert.equal(text, mod.regenerate(text, file), `${file} result blocks differ from bench/results: run node scripts/readme-tables.mjs`);
  }
  // The check can fail: one changed figure inside a block is caught, in each file.
  const real = fs.readFileSync(path.join(repoRoot, 'docs/REAL-MODEL.md'), 'utf8');
  const tamperedReal = real.replace(/(<!-- results:demo-real -->[\s\S]*?)30\.0% \(6\/20\)/, '$131.0% (6/20)');
  assert.notEqual(tamperedReal, real);
  assert.notEqual(mod.regenerate(tamperedReal, 'docs/REAL-MODEL.md'), tamperedReal);
  const results = fs.readFileSync(path.join(repoRoot, 'docs/RESULTS.md'), 'utf8');
  const tampered = results.replace(/(<!-- results:verifier-corpus -->[\s\S]*?\| all \| \d+ \| )0\.\d+/, '$10.9999');
  assert.notEqual(tampered, results);
  assert.notEqual(mod.regenerate(tampered, 'docs/RESULTS.md'), tampered);
});

test('the verifier corpus figures in the docs come from a results file with provenance', () => {
  const r = JSON.parse(fs.readFileSync(path.join(repoRoot, 'bench/results/verifier-corpus.json'), 'utf8')) as {
    eval: { n: number; accuracy: number; fp: number; fn: number };
    corpus_sha256: string;
    provenance: { commit: string | null; machine: { cpu: string } };
  };
  assert.equal(r.eval.n, r.eval.n | 0);
  assert.ok(r.eval.accuracy > 0 && r.eval.accuracy <= 1);
  // accuracy = (n - fp - fn) / n, as verify-cases computes it (4 decimals).
  assert.ok(Math.abs(r.eval.accuracy - (r.eval.n - r.eval.fp - r.eval.fn) / r.eval.n) < 1e-4);
  assert.match(r.corpus_sha256, /^[0-9a-f]{64}$/);
  assert.match(r.provenance.commit ?? '', /^[0-9a-f]{40}$/);
});

test('README.md carries no result block and no generated figure (they live in docs/)', () => {
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  assert.doesNotMatch(readme, /<!-- results:/);
  // A share (0.98...), a percentage or a speed ratio (1.77×) would be a measured figure typed by hand.
  assert.doesNotMatch(readme, /(?<![\d.])0\.\d{2,}\b|\d%|\d×/, 'a measured figure typed into README.md');
});
