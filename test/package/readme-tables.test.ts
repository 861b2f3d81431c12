// The README's result tables come from bench/results/*.json: scripts/readme-tables.mjs regenerates
// every marked block in memory, and README.md must hold exactly that. A hand-edited figure, or a
// results file changed without rerunning the script, fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/paths.js';

test('README result blocks equal what scripts/readme-tables.mjs makes from bench/results', async () => {
  const mod = (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'readme-tables.mjs')).href)) as {
    regenerate(text: string): string; BLOCKS: Record<string, () => string>;
  };
  const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  for (const name of Object.keys(mod.BLOCKS)) {
    assert.ok(readme.includes(`<!-- results:${name} -->`) && readme.includes(`<!-- /results:${name} -->`), `README.md lacks the block ${name}`);
  }
  assert.equal(readme, mod.regenerate(readme), 'README.md result blocks differ from bench/results: run node scripts/readme-tables.mjs');
  // The check can fail: one changed figure inside a block is caught.
  const tampered = readme.replace(/(<!-- results:demo-real -->[\s\S]*?)30\.0% \(6\/20\)/, '$131.0% (6/20)');
  assert.notEqual(tampered, readme);
  assert.notEqual(mod.regenerate(tampered), tampered);
});
