// `rlvr demo`: the embedded CPU demo. From nothing: a synthetic verifiable math task, a tiny
// Qwen2 base model pretrained on it, held-out accuracy, ONE example picked by historical
// variance, 1-shot RLVR with the paper's GRPO (scaled batch), held-out accuracy again, and an
// HTML report with the curves. Seeded and reproducible.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, intOption, numberOption, parseArgs } from './args.js';
import { FAMILIES } from '../tasks/arithmetic/problems.js';
import { FULL_DEMO, QUICK_DEMO, SATURATION, otherFamiliesLenient, outcomeBits, pct, runDemo, type DemoConfig } from '../demo/pipeline.js';
import { formatDifference, formatProportion, pairedDifference, wilson } from '../stats/index.js';

const USAGE =
  'usage: rlvr demo [--seed S] [--out DIR] [--steps N] [--quick] [--threads T] [--json] [--results FILE]   |   rlvr demo --model DIR|NAME ... (a real model: rlvr demo --model x --help)';

const SPEC = {
  seed: { type: 'string', help: 'seed of everything random (default 0)' },
  out: { type: 'string', help: 'output folder (default runs/demo-<seed>)' },
  steps: { type: 'string', help: `1-shot RLVR steps (default ${FULL_DEMO.grpo.steps}; --quick: ${QUICK_DEMO.grpo.steps})` },
  'pretrain-steps': { type: 'string', help: `pretraining steps (default ${FULL_DEMO.pretrainSteps})` },
  lr: { type: 'string', help: `1-shot RLVR learning rate (default ${FULL_DEMO.grpo.lr})` },
  'base-from': { type: 'string', help: 'reuse the base model of an earlier rlvr demo output folder (same seed and model settings) instead of pretraining' },
  'skip-ablations': { type: 'boolean', help: 'skip the ablation runs (pg-only, entropy-only, a random example)' },
  quick: { type: 'boolean', help: 'a much smaller, faster configuration (for tests; its numbers mean little)' },
  'example-rank': { type: 'string', help: "train on the pool example ranked K-th by historical variance, the paper's π_K (default 1)" },
  threads: { type: 'string', help: `libtorch CPU threads (default ${FULL_DEMO.threads})` },
  json: { type: 'boolean', help: 'print {"before","after","steps","seconds"} as JSON on the last line' },
  results: {
    type: 'string',
    help: 'also write the full results record (machine, versions, commit, settings, curves, ablations, per-problem outcomes) to this JSON file',
  },
} as const;

export async function run(argv: string[]): Promise<number> {
  // --model: the real-model demo (src/cli/demo-real.ts) instead of the embedded one.
  if (argv.some((a) => a === '--model' || a.startsWith('--model='))) return (await import('./demo-real.js')).run(argv);
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  if (positionals.length > 0) throw new CliError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  const base = options.quick ? QUICK_DEMO : FULL_DEMO;
  const seed = numberOption(options.seed, 'seed', 0);
  if (!Number.isInteger(seed) || seed < 0) throw new CliError(`--seed must be a non-negative integer, got ${seed}`);
  const steps = intOption(options.steps, 'steps', base.grpo.steps!);
  const lr = numberOption(options.lr, 'lr', base.grpo.lr!);
  if (!(lr > 0)) throw new CliError(`--lr must be > 0, got ${lr}`);
  // Checked here, before pretraining: the pool holds poolPerFamily problems of each family.
  const poolSize = FAMILIES.length * base.poolPerFamily;
  const exampleRank = intOption(options['example-rank'], 'example-rank', base.exampleRank);
  if (exampleRank < 1 || exampleRank > poolSize) throw new CliError(`--example-rank must be from 1 to ${poolSize} (the pool's size), got ${exampleRank}`);
  const config: DemoConfig = {
    ...base,
    seed,
    exampleRank,
    threads: intOption(options.threads, 'threads', base.threads),
    pretrainSteps: intOption(options['pretrain-steps'], 'pretrain-steps', base.pretrainSteps),
    grpo: { ...base.grpo, steps, lr },
    ablations: base.ablations && options['skip-ablations'] !== true,
    ...(typeof options['base-from'] === 'string' ? { baseFrom: options['base-from'] } : {}),
  };
  const outDir = typeof options.out === 'string' ? options.out : path.join('runs', `demo-${seed}`);
  const json = options.json === true;
  // Progress goes to stderr so that stdout holds only the table (and the JSON line).
  const log = (line: string) => process.stderr.write(line + '\n');
  log(`threads: ${config.threads} (${options.threads !== undefined ? '--threads' : "the demo's default: its tiny model runs fastest on one"})`);
  const r = await runDemo({ config, outDir, log });

  const b = r.before,
    a = r.after;
  const n = r.test.length;
  const ci = (p: number) => formatProportion(wilson(Math.round(p * n), n));
  const bits = (s: string) => [...s].map((c) => c === '1');
  const full = r.ablations[0];
  const rows: [string, string, string][] = [
    ['held-out accuracy (boxed, reward)', pct(b.accuracy), pct(a.accuracy)],
    ['held-out accuracy (any format)', pct(b.lenientAccuracy), pct(a.lenientAccuracy)],
    ['  Wilson 95% interval', ci(b.lenientAccuracy).replace(/^.*? /, ''), ci(a.lenientAccuracy).replace(/^.*? /, '')],
    ['boxed-answer rate', pct(b.boxedRate), pct(a.boxedRate)],
    [`families not trained on (any format)`, pct(otherFamiliesLenient(b, r.trainedFamily)), pct(otherFamiliesLenient(a, r.trainedFamily))],
    ['mean response length (tokens)', b.meanLength.toFixed(1), a.meanLength.toFixed(1)],
  ];
  const ablationLines =
    r.ablations.length > 1
      ? [
          '',
          'ablations (same base, seed and steps; held-out after the run: boxed | any format | other families any format):',
          ...r.ablations.map(
            (x, i) =>
              `  ${x.name.padEnd(28)} ${pct(x.after.accuracy).padStart(6)} | ${pct(x.after.lenientAccuracy).padStart(6)} | ${pct(x.after.otherFamiliesLenient).padStart(6)}   (saturation: ${x.saturationStep ?? 'never'})` +
              (i > 0 && full
                ? `\n  ${''.padEnd(28)} vs full loss, any format: ${formatDifference(pairedDifference(bits(full.afterOutcomes), bits(x.afterOutcomes), { seed }))}`
                : ''),
          ),
        ]
      : [];
  const w = Math.max(...rows.map((x) => x[0].length));
  const lines = [
    '',
    `1-shot RLVR demo, seed ${seed}: π${r.selected.rank} = "${r.selected.question}" (answer ${r.selected.answer}), ${r.steps.length} step${r.steps.length === 1 ? '' : 's'}`,
    `${''.padEnd(w)}  ${'before'.padStart(8)}  ${'after'.padStart(8)}`,
    ...rows.map(([k, x, y]) => `${k.padEnd(w)}  ${x.padStart(8)}  ${y.padStart(8)}`),
    `change, any format, paired on the same ${n} problems: ${formatDifference(pairedDifference(bits(outcomeBits(b, r.test)), bits(outcomeBits(a, r.test)), { seed }))}`,
    r.saturationStep !== null
      ? `training accuracy on π${r.selected.rank} (${r.trainedFamily}) reached ${SATURATION * 100}% at step ${r.saturationStep}`
      : `training accuracy on π${r.selected.rank} (${r.trainedFamily}) never reached ${SATURATION * 100}%`,
    ...(r.postSaturation
      ? [
          `after saturation, held-out (any format): ${pct(r.postSaturation.atSaturation.value)} at step ${r.postSaturation.atSaturation.step} → ` +
            `${pct(r.postSaturation.end.value)} at step ${r.postSaturation.end.step}` +
            (r.postSaturation.best ? `, best ${pct(r.postSaturation.best.value)} at step ${r.postSaturation.best.step}` : '') +
            `; ${r.postSaturation.rises} of the ${r.postSaturation.evaluationsAfter} later evaluations rose, ${r.postSaturation.newHighs} set a new high`,
        ]
      : []),
    ...ablationLines,
    '',
    `time: pretrain ${r.times.pretrain.toFixed(0)}s | base eval ${r.times.evalBefore.toFixed(1)}s | selection ${r.times.selection.toFixed(0)}s | ` +
      `1-shot RLVR ${r.times.rlvr.toFixed(0)}s | ablations ${r.times.ablations.toFixed(0)}s | total ${r.times.total.toFixed(0)}s`,
    `report: ${r.reportFile}`,
  ];
  console.log(lines.join('\n'));
  if (typeof options.results === 'string') {
    const { demoResultsRecord } = await import('../demo/results.js');
    fs.mkdirSync(path.dirname(path.resolve(options.results)), { recursive: true });
    fs.writeFileSync(options.results, JSON.stringify(demoResultsRecord(r), null, 2) + '\n');
    log(`results: ${options.results}`);
  }
  if (json) {
    console.log(JSON.stringify({ before: round(b.accuracy), after: round(a.accuracy), steps: r.steps.length, seconds: round(r.times.total, 1) }));
  }
  return 0;
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
