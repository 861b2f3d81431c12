// Writes bench/results/mutation-NAME.json from a Stryker JSON report and the per-test log of
// test/mutation/select-tests.sh: counts, the score, the score the older tests alone reach ("base":
// mutants a base test file failed on) against the score with the tests added against survivors,
// and every survivor with file:line, mutator and replacement. Small on purpose (not Stryker's HTML).
// Usage: node test/mutation/summarize.mjs NAME [REPORT] [TSV] [CONFIG]
import fs from 'node:fs';
import { execSync } from 'node:child_process';

const name = process.argv[2];
const report = JSON.parse(fs.readFileSync(process.argv[3] ?? `reports/mutation/mutation-${name}.json`, 'utf8'));
const tsvPath = process.argv[4] ?? `reports/mutation/${name}-tests.tsv`;
const config = process.argv[5] ?? `stryker.${name}.config.json`;
const rows = fs.existsSync(tsvPath) ? fs.readFileSync(tsvPath, 'utf8').trim().split('\n').map((l) => l.split('\t')) : [];
const failedBy = new Map(); // id -> Set of 'base' | 'added' that failed
for (const [id, , kind, r] of rows) if (r === 'fail') (failedBy.get(id) ?? failedBy.set(id, new Set()).get(id)).add(kind);

const counts = { mutants: 0, killed: 0, survived: 0, timeout: 0, noCoverage: 0, compileError: 0, runtimeError: 0, ignored: 0 };
const key = { Killed: 'killed', Survived: 'survived', Timeout: 'timeout', NoCoverage: 'noCoverage', CompileError: 'compileError', RuntimeError: 'runtimeError', Ignored: 'ignored' };
const survivors = [];
const killedOnlyByAdded = [];
let killedByBase = 0;
const perFile = {};
for (const [file, f] of Object.entries(report.files)) {
  const pf = (perFile[file] = { mutants: 0, killed: 0, survived: 0, timeout: 0 });
  for (const m of f.mutants) {
    counts.mutants++;
    const k = key[m.status] ?? 'runtimeError';
    counts[k]++;
    if (k in pf) pf[k]++;
    pf.mutants++;
    const where = { at: `${file}:${m.location.start.line}`, mutator: m.mutatorName, replacement: (m.replacement ?? '').slice(0, 80) };
    if (m.status === 'Survived') survivors.push(where);
    if (m.status === 'Killed') {
      const by = failedBy.get(String(m.id));
      if (!by || by.has('base')) killedByBase++;
      else killedOnlyByAdded.push(where);
    }
  }
}
const valid = counts.killed + counts.timeout + counts.survived + counts.noCoverage;
const pct = (x) => +((100 * x) / valid).toFixed(1);
const cfg = JSON.parse(fs.readFileSync(config, 'utf8'));
const out = {
  what: `npm run mutate:${name} (StrykerJS ${report.schemaVersion ? '' : ''}9.5.1, command runner: test/mutation/select-tests.sh)`,
  date: new Date().toISOString(),
  commit: execSync('git rev-parse --short HEAD').toString().trim(),
  mutate: cfg.mutate,
  counts,
  score: pct(counts.killed + counts.timeout),
  scoreBaseTestsOnly: rows.length ? pct(killedByBase + counts.timeout) : null,
  killedOnlyByAddedTests: killedOnlyByAdded.length,
  perFile,
  survivors,
  killedOnlyByAdded,
};
fs.mkdirSync('bench/results', { recursive: true });
fs.writeFileSync(`bench/results/mutation-${name}.json`, JSON.stringify(out, null, 1) + '\n');
console.log(JSON.stringify({ ...out, survivors: out.survivors.length, killedOnlyByAdded: undefined, perFile: undefined }, null, 1));
