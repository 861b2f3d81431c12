// `rlvr verify-cases FILE.jsonl [--mode reward|eval] [--json]`: scores the verifier on labelled
// cases. Rows: { gold, equal, pred | response, [id, policy, source] }. A `pred` is an extracted
// answer (verl's convention: a short bare string counts as boxed); a `response` is a full
// model response. Reports accuracy, false positives/negatives and per-check compute latency,
// overall and (when the rows say so) without `policy` rows and on rows not from Math-Verify.
import { readFileSync } from 'node:fs';
import { CliError, numberOption, parseArgs } from './args.js';
import { VerifierPool } from '../tasks/math/verifier/pool.js';
import type { Mode, VerifyResult } from '../tasks/math/verifier/verifier.js';

const USAGE = 'usage: rlvr verify-cases FILE.jsonl [--mode eval|reward|paper] [--json] [--workers N] [--show-misses]';

/** Rows taken (or derived) from Math-Verify's own test files, which it passes by construction. */
export const MATH_VERIFY_TESTS = /^(?:derived:)?huggingface\/Math-Verify:/;

interface Row {
  id?: string;
  gold: string;
  equal: boolean;
  pred?: string;
  response?: string;
  policy?: string;
  source?: string;
}

export interface Score {
  n: number;
  accuracy: number;
  fp: number;
  fn: number;
}

export function score(rows: Row[], results: VerifyResult[], keep: (r: Row) => boolean = () => true): Score {
  let n = 0;
  let ok = 0;
  let fp = 0;
  let fn = 0;
  rows.forEach((r, i) => {
    if (!keep(r)) return;
    n++;
    const c = results[i]!.correct;
    if (c === r.equal) ok++;
    else if (c) fp++;
    else fn++;
  });
  return { n, accuracy: n ? Number((ok / n).toFixed(4)) : 0, fp, fn };
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function readRows(file: string): Row[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      let r: Row;
      try {
        r = JSON.parse(l) as Row;
      } catch {
        throw new CliError(`${file}:${i + 1}: not JSON`);
      }
      if (typeof r.gold !== 'string' || typeof r.equal !== 'boolean' || (typeof r.pred !== 'string' && typeof r.response !== 'string')) {
        throw new CliError(`${file}:${i + 1}: a row needs string 'gold', boolean 'equal', and 'pred' or 'response'`);
      }
      return r;
    });
}

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(
    argv,
    {
      mode: {
        type: 'string',
        help: "eval (default: Qwen-style extraction fallbacks), reward (last \\boxed{} only) or paper (the 1-shot RLVR fork's DeepScaleR grader, src/tasks/math/paper/paper.ts)",
      },
      json: { type: 'boolean', help: 'print the summary as JSON on the last line' },
      workers: { type: 'string', help: 'worker threads (default 2)' },
      'show-misses': { type: 'boolean', help: 'list every row the verifier gets wrong' },
    },
    USAGE,
  );
  if (positionals.length !== 1) throw new CliError(USAGE);
  const mode = (options.mode ?? 'eval') as Mode | 'paper';
  if (mode !== 'reward' && mode !== 'eval' && mode !== 'paper') throw new CliError(`--mode must be eval, reward or paper, got '${String(mode)}'`);
  const rows = readRows(positionals[0]!);
  const pool = new VerifierPool({ size: numberOption(options.workers, 'workers', 2) });
  let results: VerifyResult[];
  try {
    results = await Promise.all(
      rows.map((r) => {
        if (r.pred === undefined) return pool.check(r.gold, r.response!, { mode });
        // The paper's grader reads the last box only: a bare `pred` is its boxed answer.
        if (mode === 'paper') return pool.check(r.gold, /\\boxed|\\fbox/.test(r.pred) ? r.pred : `\\boxed{${r.pred}}`, { mode });
        return pool.check(r.gold, r.pred, { mode, bare: true });
      }),
    );
  } finally {
    await pool.close();
  }
  const all = score(rows, results);
  const lat = results.map((r) => r.ms ?? 0);
  const summary: Record<string, unknown> = { n: all.n, accuracy: all.accuracy, fp: all.fp, fn: all.fn };
  const lines = [`mode ${mode}: ${all.n} cases, accuracy ${all.accuracy}, FP ${all.fp}, FN ${all.fn}`];
  if (rows.some((r) => r.policy !== undefined)) {
    const np = score(rows, results, (r) => r.policy === undefined);
    summary.no_policy = np;
    lines.push(`  without policy rows: ${np.n} cases, accuracy ${np.accuracy}, FP ${np.fp}, FN ${np.fn}`);
  }
  if (rows.some((r) => r.source !== undefined && MATH_VERIFY_TESTS.test(r.source))) {
    const other = score(rows, results, (r) => r.policy === undefined && !MATH_VERIFY_TESTS.test(r.source ?? ''));
    summary.not_math_verify_no_policy = other;
    lines.push(`  not from Math-Verify, without policy: ${other.n} cases, accuracy ${other.accuracy}, FP ${other.fp}, FN ${other.fn}`);
  }
  summary.p50_ms = Number(percentile(lat, 50).toFixed(3));
  summary.p99_ms = Number(percentile(lat, 99).toFixed(3));
  summary.timeouts = results.filter((r) => r.reason === 'timeout').length;
  lines.push(`  per-check compute latency: p50 ${summary.p50_ms} ms, p99 ${summary.p99_ms} ms, timeouts ${summary.timeouts}`);
  if (options['show-misses']) {
    rows.forEach((r, i) => {
      const res = results[i]!;
      if (res.correct !== r.equal)
        lines.push(
          `  ${res.correct ? 'FP' : 'FN'} ${r.id ?? i}: gold ${JSON.stringify(res.extractedGold)} pred ${JSON.stringify(res.extractedPred)} (${res.reason})`,
        );
    });
  }
  for (const l of lines) console.log(l);
  if (options.json) console.log(JSON.stringify(summary));
  return 0;
}
