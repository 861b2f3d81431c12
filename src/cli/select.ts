// `rlvr select`: rank the examples of a training set by historical variance (the paper's
// selection), or draw a seeded random subset (its baseline), from an accuracy-history file.
// `--score-pool` makes that file without training: rollouts and rewards only (src/rl/pool-scoring.ts).
import { plural } from '../errors.js';
import { CliError, numberOption, parseArgs } from './args.js';
import { THREADS_OPTION } from './threads.js';
import { TASK_NAMES } from '../tasks/registry.js';
import { allZeroHistory, mean, rankByVariance, readHistory, selectRandom, type HistoryEntry } from '../data/selection.js';

const USAGE =
  'usage: rlvr select --history FILE [--method variance|random] [--top K] [--seed S] [--json]\n' +
  '       rlvr select --score-pool --model DIR --data POOL [--task NAME] [--rollouts 8] [--epochs 2] [--max-tokens N] [--out DIR] [--threads T]';

const SPEC = {
  history: { type: 'string', help: 'accuracy history JSON: { "<index>": [acc_epoch1, ...], ... }' },
  method: { type: 'string', help: "'variance' (historical variance, descending; default) or 'random'" },
  top: { type: 'string', help: 'how many examples to print (default 10)' },
  seed: { type: 'string', help: 'PRNG seed for --method random (default 0)' },
  json: { type: 'boolean', help: 'also print the selection as a JSON array on the last line' },
  'score-pool': { type: 'boolean', help: 'score a candidate pool with rollouts and rewards only (no updates); writes <out>/accuracy_history.json' },
  model: { type: 'string', help: '--score-pool: HF model folder' },
  data: { type: 'string', help: '--score-pool: the candidate pool (.parquet in verl layout, .jsonl/.json with problem/answer)' },
  task: { type: 'string', help: `--score-pool: the task whose reward scores the responses: ${TASK_NAMES.join(', ')} (default math)` },
  rollouts: { type: 'string', help: "--score-pool: responses per example per epoch (default 8, the paper's group size)" },
  epochs: { type: 'string', help: '--score-pool: passes over the pool (default 2; a variance needs at least 2)' },
  'max-tokens': { type: 'string', help: '--score-pool: maximum new tokens per response (default 1024)' },
  temperature: { type: 'string', help: "--score-pool: sampling temperature (default 0.6, the paper's rollouts)" },
  batch: { type: 'string', help: '--score-pool: examples per rollout batch (default 16)' },
  memory: { type: 'string', help: '--score-pool: memory for scoring in GB (default: free memory on cpu, total on cuda)' },
  'prompt-suffix': { type: 'string', help: `--score-pool: appended to {problem, answer} rows (default the paper's training suffix; none for nothing)` },
  out: { type: 'string', help: '--score-pool: output folder (default runs/score-<time>)' },
  device: { type: 'string', help: '--score-pool: cpu, cuda, cuda:N (default: cuda when available)' },
  threads: THREADS_OPTION,
} as const;

export interface SelectedRow {
  /** 1-based: π_rank for variance, the draw order for random. */
  rank: number;
  index: number;
  variance: number;
  meanAcc: number;
}

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  if (positionals.length > 0) throw new CliError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  if (options['score-pool']) {
    const { runScorePool } = await import('./score-pool.js');
    return runScorePool(options);
  }
  const file = options['history'];
  if (typeof file !== 'string') throw new CliError(`--history FILE is required\n${USAGE}`);
  const method = (options['method'] as string | undefined) ?? 'variance';
  if (method !== 'variance' && method !== 'random') throw new CliError(`--method must be 'variance' or 'random', got '${method}'`);
  const top = numberOption(options['top'], 'top', 10);
  if (!Number.isInteger(top) || top < 1) throw new CliError(`--top must be a positive integer, got ${top}`);
  const seed = numberOption(options['seed'], 'seed', 0);

  let history: HistoryEntry[];
  try {
    history = readHistory(file);
  } catch (err) {
    // Missing file or bad schema is the user's input, not a bug: one line, no stack.
    throw new CliError((err as Error).message);
  }
  if (history.length === 0) throw new CliError(`${file}: no examples`);
  if (allZeroHistory(history)) {
    throw new CliError(
      `${file}: every accuracy of all ${history.length} examples is 0, so every variance is 0 and a ranking would only repeat the file order; ` +
        'the model never solved an example of this pool (try a stronger model, an easier pool, more --max-tokens, or check the prompt format)',
    );
  }
  const k = Math.min(top, history.length);

  const ranked = rankByVariance(history);
  const byIndex = new Map(history.map((e) => [e.index, e.accs]));
  const varianceOf = new Map(ranked.map((r) => [r.index, r.variance]));
  const picked =
    method === 'variance'
      ? ranked.slice(0, k).map((r) => r.index)
      : selectRandom(
          history.map((e) => e.index),
          k,
          seed,
        );
  const rows: SelectedRow[] = picked.map((index, i) => ({
    rank: i + 1,
    index,
    variance: varianceOf.get(index)!,
    meanAcc: mean(byIndex.get(index)!),
  }));

  const title =
    method === 'variance'
      ? `top ${k} of ${plural(history.length, 'example')} by historical variance (${file})`
      : `${k} of ${plural(history.length, 'example')} drawn at random, seed ${seed} (${file})`;
  console.log(title);
  console.log(formatTable(rows, method === 'variance' ? 'rank' : 'draw'));
  if (options['json']) console.log(JSON.stringify(rows));
  return 0;
}

function formatTable(rows: SelectedRow[], rankHeader: string): string {
  const header = [rankHeader.padStart(5), 'index'.padStart(6), 'variance'.padStart(10), 'mean acc'.padStart(9)].join('  ');
  const lines = rows.map((r) =>
    [String(r.rank).padStart(5), String(r.index).padStart(6), r.variance.toFixed(6).padStart(10), r.meanAcc.toFixed(4).padStart(9)].join('  '),
  );
  return [header, ...lines].join('\n');
}
