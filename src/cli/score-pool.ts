// `rlvr select --score-pool`: rollouts and rewards over a candidate pool, no updates; writes
// accuracy_history.json (the format `rlvr select --history` ranks) into --out. Memory is bounded
// by src/memory-plan/scoring.ts (no log-probs, no optimizer: weights + KV budget + sampling workspace).
// The responses are scored by the task's training reward (--task, default math: the verifier's
// reward mode in a 2-worker pool), with the same RewardInput training gives it.
import { plural } from '../errors.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, intOption, numberOption } from './args.js';
import { applyThreads, threadsChoice } from './threads.js';
import { TRAIN_PROMPT_SUFFIX } from '../tasks/math/prompts.js';
import type { TrainExample } from '../data/examples.js';
import { formatDuration } from '../util/duration.js';
import { isAccelerator } from '../engine/device.js';
import { deviceMemoryBytes } from '../engine/device-memory.js';
import { getTask } from '../tasks/registry.js';

type Options = Record<string, string | boolean | undefined>;

export async function runScorePool(options: Options): Promise<number> {
  const modelDir = options['model'];
  const data = options['data'];
  if (typeof modelDir !== 'string') throw new CliError('--score-pool needs --model DIR');
  if (typeof data !== 'string') throw new CliError('--score-pool needs --data POOL');
  const rollouts = intOption(options['rollouts'], 'rollouts', 8, 1);
  const epochs = intOption(options['epochs'], 'epochs', 2, 1);
  if (epochs < 2) throw new CliError(`--epochs ${epochs}: a historical variance needs at least 2 epochs (the default)`);
  const maxNewTokens = intOption(options['max-tokens'], 'max-tokens', 1024, 1);
  const temperature = numberOption(options['temperature'], 'temperature', 0.6);
  if (!(temperature > 0)) throw new CliError(`--temperature must be > 0, got ${temperature}`);
  const batch = intOption(options['batch'], 'batch', 16, 1);
  const seed = intOption(options['seed'], 'seed', 0, 0);
  const threads = threadsChoice(options['threads']);
  const task = getTask(typeof options['task'] === 'string' ? options['task'] : 'math');
  const suffixOpt = options['prompt-suffix'];
  const promptSuffix = typeof suffixOpt === 'string' ? (suffixOpt === 'none' ? '' : suffixOpt) : TRAIN_PROMPT_SUFFIX;
  const outDir = typeof options['out'] === 'string' ? options['out'] : path.join('runs', `score-${new Date().toISOString().replace(/[:.]/g, '-')}`);

  const { loadExamples } = await import('../data/examples.js');
  let examples: TrainExample[];
  try {
    examples = await loadExamples(data, { suffix: promptSuffix });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const { cuda } = await import('../engine/index.js');
  const { ModelBundle } = await import('../run/model-bundle.js');
  const device = typeof options['device'] === 'string' ? options['device'] : cuda.defaultDevice();
  let bundle: import('../run/model-bundle.js').ModelBundle;
  try {
    bundle = ModelBundle.load(modelDir, { device });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  await applyThreads(threads);
  const { model, tokenizer } = bundle;
  const renderPrompt = (ex: TrainExample) => bundle.renderPrompt(ex.messages);
  const stopTokenIds = bundle.eosTokenIds;

  // ---- memory: the planner's pieces for rollouts alone ----
  const { planScoring } = await import('../memory-plan/scoring.js');
  const { fmt } = await import('../memory-plan/plan.js');
  const memoryBytes =
    options['memory'] !== undefined ? numberOption(options['memory'], 'memory', 0) * 1e9 : deviceMemoryBytes(device, isAccelerator(device) ? 'total' : 'free');
  const longestPrompt = Math.max(...examples.map((ex) => tokenizer.encode(renderPrompt(ex), { addSpecialTokens: false }).length));
  const plan = planScoring(model.config, {
    memoryBytes,
    rows: batch * rollouts,
    promptTokens: longestPrompt,
    maxNewTokens,
    computeBytes: model.dtype === 'float32' ? 4 : 2,
  });
  if (!plan.fits) {
    throw new CliError(
      `--score-pool does not fit in ${fmt(memoryBytes)}: weights ${fmt(plan.weights)} + sampling ${fmt(plan.samplingWorkspace)} + margin ${fmt(plan.margin)} leave ${fmt(plan.kvBudget)} for the KV cache, ` +
        `less than one ${longestPrompt + maxNewTokens}-token row (${fmt(plan.rowBytes)}); lower --max-tokens or --batch, or raise --memory`,
    );
  }

  const responses = examples.length * rollouts * epochs;
  process.stderr.write(
    `rlvr select --score-pool (task ${task.name}): ${plural(examples.length, 'example')} from ${data} x ${plural(rollouts, 'rollout')} x ${epochs} epochs = ${responses} responses ` +
      `(at most ${maxNewTokens} tokens, T=${temperature}) on ${device}; no updates, no log-probs\n` +
      `memory: ${fmt(memoryBytes)} available; weights ${fmt(plan.weights)}, sampling ${fmt(plan.samplingWorkspace)}, margin ${fmt(plan.margin)}, ` +
      `KV budget ${fmt(plan.kvBudget)} (${plan.rowsAtOnce} rows at the limit at once)\n` +
      `prompt suffix for {problem, answer} rows: ${JSON.stringify(promptSuffix)}; first prompt (example ${examples[0]!.index}):\n${renderPrompt(examples[0]!)}\n`,
  );
  if (epochs < 2) process.stderr.write('WARNING: with --epochs 1 every variance is 0 and `rlvr select` keeps the file order; use --epochs 2 or more\n');

  const { scorePool } = await import('../rl/pool-scoring.js');
  const { rolloutSamples } = await import('../rollout/engine.js');
  // The task's reward (math: the verifier's reward mode in a 2-worker pool, closed by task.close()).
  const rewards = task.rewards({ workers: 2 });
  let stop = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop) process.exit(sig === 'SIGTERM' ? 143 : 130);
    stop = true;
    process.stderr.write(`\n${sig}: stopping after this batch; complete epochs are kept in ${outDir}/accuracy_history.json\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const isTty = process.stderr.isTTY === true;
  let scores: Awaited<ReturnType<typeof scorePool>>;
  try {
    scores = await scorePool({
      policy: model,
      tokenizer,
      examples,
      renderPrompt,
      stopTokenIds,
      rollouts,
      epochs,
      promptsPerBatch: batch,
      maxNewTokens,
      temperature,
      topP: 1,
      seed,
      kvBudgetBytes: plan.kvBudget,
      outDir,
      rewards,
      sampler: (m, prompts, opts) => rolloutSamples(m, prompts, opts),
      shouldStop: () => stop,
      onBatch: (p) => {
        const eta = (p.seconds / p.done) * (p.total - p.done);
        const line =
          `epoch ${p.epoch}/${epochs}: ${p.done}/${p.total} example-epochs, ${(p.tokens / p.seconds).toFixed(1)} tok/s, ` +
          `mean accuracy ${p.meanAccuracy.toFixed(3)}, elapsed ${formatDuration(p.seconds)}, ETA ${formatDuration(eta)}`;
        process.stderr.write(isTty ? `\r\x1b[K${line}` : `${line}\n`);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await task.close?.();
    model.dispose();
  }
  if (isTty) process.stderr.write('\n');
  const file = path.join(outDir, 'accuracy_history.json');
  const accs = [...scores.meanAccuracy.values()];
  const mixed = accs.filter((a) => a > 0 && a < 1).length;
  const summary = {
    examples: examples.length,
    rollouts,
    epochs,
    epochsDone: scores.epochsDone,
    responses: scores.responses,
    tokens: scores.tokens,
    truncatedShare: scores.responses ? scores.truncated / scores.responses : 0,
    meanAccuracy: accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : 0,
    solvedSometimes: mixed,
    neverSolved: accs.filter((a) => a === 0).length,
    alwaysSolved: accs.filter((a) => a === 1).length,
    history: fs.existsSync(file) ? file : null,
  };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'score_summary.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(
    `scored ${summary.epochsDone}/${epochs} epochs: mean accuracy ${summary.meanAccuracy.toFixed(3)}; ${mixed} of ${examples.length} examples solved sometimes ` +
      `(${summary.neverSolved} never, ${summary.alwaysSolved} always); ${(100 * summary.truncatedShare).toFixed(1)}% of responses truncated`,
  );
  if (summary.epochsDone > 0 && accs.length > 0 && accs.every((a) => a === 0)) {
    // Nothing to rank: say so in one line instead of pointing at `rlvr select`.
    throw new CliError(
      `every one of the ${summary.responses} responses scored 0 (${summary.history ?? 'no history'} holds only zeros): no example has reward variance, so there is nothing to select; ` +
        'try a stronger model, an easier pool, more --max-tokens, or check the prompt format',
    );
  }
  if (summary.history) console.log(`history: ${file}\nrank with: rlvr select --history ${file} --method variance --top 10`);
  if (stop) return 130;
  return 0;
}
