// Every repository file the README and docs/ name exists: a page that sends a newcomer to a file
// that moved is wrong (the old README's layout table disagreed with docs/ARCHITECTURE.md). Folders
// and placeholders (`src/algorithms/<name>.ts`) are not checked, only file paths with an extension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/** Named on purpose though absent here: another repository's file, a per-seed pattern, a GPU run's output not made yet. */
const ABSENT_ON_PURPOSE = new Set([
  'examples/gspo_trainer/run_qwen30b_gspo.sh', // verl's, cited in docs/PAPER.md
  'bench/results/demo-seed-S.json', // one per seed S
  'bench/results/nccl.json', // written by `npm run bench:nccl` on 2+ GPUs
]);

const FILE_PATH = /(?<![\w./-])((?:src|test|scripts|bench|examples)\/[\w./-]*\.(?:jsonl|json|ts|mjs|sh|py|md|cc|parquet))(?![\w.-])/g;

test('README.md and docs/*.md name only files that exist', () => {
  const pages = [
    'README.md',
    ...fs
      .readdirSync(path.join(repoRoot, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const missing: string[] = [];
  let checked = 0;
  for (const page of pages) {
    const text = fs.readFileSync(path.join(repoRoot, page), 'utf8');
    for (const m of text.matchAll(FILE_PATH)) {
      const file = m[1]!;
      if (ABSENT_ON_PURPOSE.has(file)) continue;
      checked++;
      if (!fs.existsSync(path.join(repoRoot, file))) missing.push(`${page}: ${file}`);
    }
  }
  assert.ok(checked > 50, `checked ${checked} paths`);
  assert.deepEqual(missing, [], `files named in the docs that do not exist (moved? update the page):\n${missing.join('\n')}`);
});
