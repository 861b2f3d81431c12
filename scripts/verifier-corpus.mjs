// The verifier's accuracy on the labelled corpus as a results file, so that docs/RESULTS.md can
// carry the figures generated (scripts/readme-tables.mjs) instead of typed: runs
// `rlvr verify-cases CORPUS --json` in eval mode (the mode the docs cite) and writes
// bench/results/verifier-corpus.json with the corpus digest and the provenance every results
// file records (src/util/provenance.ts). test/reward/accuracy.test.ts holds the floors CI checks.
//   npm run bench:verifier-corpus [-- --data DIR]     (default ../shared/data)
// Needs the build (dist/).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { provenance } from '../dist/src/util/provenance.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--data');
const dataDir = i > 0 ? path.resolve(process.argv[i + 1] ?? '') : path.resolve(root, '..', 'shared', 'data');
const corpus = path.join(dataDir, 'verifier', 'cases.jsonl');
const workers = 2;

/** The last line of `rlvr verify-cases --json` is the summary object. */
function run(mode) {
  const out = execFileSync(
    process.execPath,
    [path.join(root, 'dist/src/cli/main.js'), 'verify-cases', corpus, '--mode', mode, '--json', '--workers', String(workers)],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1));
}

const t0 = Date.now();
const result = {
  bench: 'verifier-corpus',
  corpus: 'verifier/cases.jsonl of the data folder (labelled gold/response pairs; used during development, not held out)',
  corpus_sha256: createHash('sha256').update(fs.readFileSync(corpus)).digest('hex'),
  eval: run('eval'),
  seconds: (Date.now() - t0) / 1000,
  provenance: provenance({ threads: workers }),
};
const file = path.join(root, 'bench/results/verifier-corpus.json');
fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${path.relative(root, file)}: eval accuracy ${result.eval.accuracy} (FP ${result.eval.fp}, FN ${result.eval.fn}) on ${result.eval.n} cases`);
