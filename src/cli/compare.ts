// `rlvr compare A B`: two evaluations of the same problems (rlvr eval output folders, or run
// folders with one in eval/), per benchmark and in total: accuracy of each with its Wilson 95%
// interval, B - A with a paired bootstrap interval (seeded), McNemar's exact test, and the
// problems that flipped each way (src/eval/compare.ts, src/stats/).
import { CliError, intOption, numberOption, parseArgs } from './args.js';
import { compareOutcomes, readOutcomes, type CompareRow } from '../eval/compare.js';
import { formatP, formatProportion } from '../stats/index.js';

const USAGE = 'usage: rlvr compare A B [--seed S] [--resamples N] [--show N] [--json]   (A, B: rlvr eval output folders on the same problems)';

const SPEC = {
  seed: { type: 'string', help: 'seed of the paired bootstrap (default 0)' },
  resamples: { type: 'string', help: 'bootstrap resamples (default 10000)' },
  show: { type: 'string', help: 'flipped problems listed per benchmark and direction (default 20; all in --json)' },
  json: { type: 'boolean', help: 'print the comparison as JSON on the last line' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  if (positionals.length !== 2) throw new CliError(`expected two folders, got ${positionals.length}\n${USAGE}`);
  const [dirA, dirB] = positionals as [string, string];
  const seed = numberOption(options.seed, 'seed', 0);
  if (!Number.isInteger(seed) || seed < 0) throw new CliError(`--seed must be a non-negative integer, got ${seed}`);
  const resamples = intOption(options.resamples, 'resamples', 10000);
  if (resamples < 100) throw new CliError(`--resamples must be at least 100, got ${resamples}`);
  const show = intOption(options.show, 'show', 20);
  let rows: CompareRow[];
  try {
    rows = compareOutcomes(readOutcomes(dirA), readOutcomes(dirB), { seed, resamples, names: [dirA, dirB] });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const w = Math.max(9, ...rows.map((r) => r.name.length));
  console.log(
    `A = ${dirA}\nB = ${dirB}\naccuracy with Wilson 95% intervals; B - A with a paired bootstrap 95% interval (${resamples} resamples, seed ${seed}) and McNemar's exact test`,
  );
  console.log(
    `${'benchmark'.padEnd(w)} ${'n'.padStart(5)}  ${'A'.padEnd(22)} ${'B'.padEnd(22)} ${'B - A (points)'.padEnd(24)} ${'McNemar p'.padStart(9)} ${'up'.padStart(4)} ${'down'.padStart(5)}`,
  );
  for (const r of rows) {
    const d = r.difference;
    const diff = `${d.diff >= 0 ? '+' : ''}${(100 * d.diff).toFixed(1)} [${(100 * d.lo).toFixed(1)}, ${(100 * d.hi).toFixed(1)}]`;
    console.log(
      `${r.name.padEnd(w)} ${String(r.n).padStart(5)}  ${formatProportion(r.a).padEnd(22)} ${formatProportion(r.b).padEnd(22)} ${diff.padEnd(24)} ${formatP(d.mcnemar.p).padStart(9)} ${String(r.up.length).padStart(4)} ${String(r.down.length).padStart(5)}`,
    );
  }
  for (const r of rows.filter((x) => x.name !== 'total' || rows.length === 1)) {
    const list = (xs: string[]) => xs.slice(0, show).join(', ') + (xs.length > show ? `, ... (${xs.length - show} more)` : '');
    if (r.up.length) console.log(`${r.name}: right in B only (${r.up.length}): ${list(r.up)}`);
    if (r.down.length) console.log(`${r.name}: right in A only (${r.down.length}): ${list(r.down)}`);
  }
  if (options.json) console.log(JSON.stringify({ a: dirA, b: dirB, seed, resamples, rows }));
  return 0;
}
