// `rlvr eval`: evaluate a model folder on the math benchmarks with the paper's prompt and
// decoding, and/or on an own problem file (--data); prints a table (any-format and boxed
// accuracy, truncation, self-reflection), writes every response to <out>/<bench>.jsonl and a
// summary.json. Before generating it measures the speed and prints a worst-case time estimate.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, dtypeOption, intOption, numberOption, parseArgs } from './args.js';
import { THREADS_OPTION, applyThreads, threadsChoice } from './threads.js';
import { BENCHMARKS, PAPER_BENCHMARKS, PAPER_MAX_RESPONSE_TOKENS, defaultEvalDir, isBenchmarkName, loadBenchmark } from '../data/benchmarks.js';
import type { EvalBenchmark } from '../eval/evaluate.js';
import { loadEvalFile } from '../eval/data-file.js';
import { estimateEval } from '../eval/estimate.js';
import { parsePromptOption, stylePromptBuilder } from '../eval/prompt-styles.js';
import { formatDuration } from '../util/duration.js';
import { getTask, TASK_NAMES } from '../tasks/registry.js';

const USAGE =
  'usage: rlvr eval --model DIR [--task math] [--bench math500,aime24,...] [--data FILE [--name NAME]] [--prompt qwen-math|paper|chat|FILE] ' +
  '[--data-dir DIR] [--limit N] [--max-tokens 3072] [--batch-size B] [--threads T] [--device D] [--out DIR] [--grader ours|qwen] [--[no-]execute-code] [--json]\n' +
  '       rlvr eval --rescore DIR [--grader ours|qwen] [--out DIR] [--json]   (score saved responses again, no model)';

const SPEC = {
  model: { type: 'string', help: "Hugging Face model folder (config.json, *.safetensors, tokenizer.json), or a LoRA adapter folder (a LoRA run's checkpoint)" },
  base: { type: 'string', help: "with --model a LoRA adapter folder: its base model folder (default: the adapter config's base_model_name_or_path)" },
  task: {
    type: 'string',
    help: `the task whose prompt and scoring are used: ${TASK_NAMES.join(', ')} (default math; the benchmarks, --prompt and --grader are math's, another task evaluates --data)`,
  },
  bench: { type: 'string', help: `comma-separated benchmarks (default: ${PAPER_BENCHMARKS.join(',')}, or none with --data); known: ${BENCHMARKS.join(', ')}` },
  data: { type: 'string', help: 'an own problem set (.jsonl/.json/.parquet: {problem, answer} or verl rows), evaluated greedily' },
  name: { type: 'string', help: 'the name of --data in the table and files (default: the file name)' },
  prompt: {
    type: 'string',
    help: `prompt format: qwen-math (system prompt + problem, the paper's eval; default), paper (the training suffix), chat (bare problem), or a template FILE with {problem}`,
  },
  threads: THREADS_OPTION,
  'data-dir': { type: 'string', help: 'folder with <bench>/test.jsonl (default: $RLVR_EVAL_DIR or ../shared/data/eval)' },
  limit: { type: 'string', help: 'only the first N problems of each benchmark' },
  'max-tokens': { type: 'string', help: `maximum new tokens per response (default ${PAPER_MAX_RESPONSE_TOKENS})` },
  'batch-size': { type: 'string', help: 'sequences per generation batch (default 16)' },
  device: { type: 'string', help: "'cpu', 'cuda', 'cuda:1', ... (default: cuda when available, else cpu)" },
  dtype: { type: 'string', help: 'parameter dtype (default float32 on cpu, bfloat16 on gpu)' },
  greedy: { type: 'boolean', help: "greedy decoding for every benchmark (default: the paper's, avg@8 at T=0.6 for aime/amc)" },
  'top-p': { type: 'string', help: 'top-p of the sampled (avg@k) benchmarks (default 1, as the Qwen2.5-Math eval)' },
  seed: { type: 'string', help: 'base seed of the sampled benchmarks (default 0)' },
  out: { type: 'string', help: 'output folder (default runs/eval-<timestamp>/)' },
  json: { type: 'boolean', help: 'print the summary as JSON on the last line' },
  grader: {
    type: 'string',
    help: "ours (default: our verifier, stricter) or qwen (the Qwen2.5-Math evaluator's extraction and math_equal, for comparison with published tables)",
  },
  'execute-code': {
    type: 'boolean',
    help: "run a response's final ```python program and continue it with the output, as the Qwen2.5-Math evaluator does (up to 4 rounds; python3, 5 s, no network; src/eval/code-exec.ts). On by default with --grader qwen",
  },
  'no-execute-code': { type: 'boolean', help: 'turn --execute-code off (with --grader qwen)' },
  rescore: {
    type: 'string',
    help: "score the responses saved in DIR (<bench>.jsonl of rlvr eval, or the Qwen evaluator's output) again under --grader, without generating",
  },
} as const;

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  if (positionals.length > 0) throw new CliError(`unexpected argument '${positionals[0]}'; see rlvr eval --help`);
  const grader = options['grader'] ?? 'ours';
  if (grader !== 'ours' && grader !== 'qwen') throw new CliError(`--grader must be ours or qwen, got '${String(grader)}'`);
  if (options['execute-code'] === true && options['no-execute-code'] === true) throw new CliError('--execute-code and --no-execute-code contradict each other');
  const executeCode = options['no-execute-code'] === true ? false : options['execute-code'] === true || grader === 'qwen';
  if (typeof options['rescore'] === 'string') return rescore(options['rescore'], grader, options['out'] as string | undefined, options['json'] === true);
  // The task (src/tasks/registry.ts): math is the paper's evaluation (benchmarks, prompt styles,
  // graders); another task evaluates an own problem file with its own prompt and score().
  const task = getTask(typeof options['task'] === 'string' ? options['task'] : 'math');
  const isMath = task.name === 'math';
  if (!isMath) {
    for (const o of ['bench', 'prompt', 'grader', 'execute-code'] as const) {
      if (options[o] !== undefined)
        throw new CliError(`--${o} belongs to the math task's evaluation; --task ${task.name} evaluates --data with its own prompt and scoring`);
    }
    if (typeof options['data'] !== 'string') throw new CliError(`--task ${task.name} needs --data FILE (the benchmarks are math's)`);
  }
  const modelDir = options['model'];
  if (typeof modelDir !== 'string') throw new CliError(`--model DIR is required; see rlvr eval --help`);
  const dataFile = typeof options['data'] === 'string' ? options['data'] : undefined;
  if (options['name'] !== undefined && !dataFile) throw new CliError('--name needs --data FILE');
  const names =
    typeof options['bench'] === 'string'
      ? options['bench']
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : dataFile
        ? []
        : [...PAPER_BENCHMARKS];
  if (names.length === 0 && !dataFile) throw new CliError('--bench names no benchmark');
  for (const name of names) {
    if (!isBenchmarkName(name)) throw new CliError(`unknown benchmark '${name}'; known: ${BENCHMARKS.join(', ')}`);
  }
  if (new Set(names).size !== names.length) throw new CliError(`--bench lists a benchmark twice: ${names.join(',')}`);
  const dataDir = typeof options['data-dir'] === 'string' ? options['data-dir'] : defaultEvalDir();
  const limit = options['limit'] === undefined ? undefined : intOption(options['limit'], 'limit', 1, 1);
  const maxNewTokens = intOption(options['max-tokens'], 'max-tokens', PAPER_MAX_RESPONSE_TOKENS);
  const batchSize = intOption(options['batch-size'], 'batch-size', 16);
  const topP = numberOption(options['top-p'], 'top-p', 1);
  if (!(topP > 0 && topP <= 1)) throw new CliError(`--top-p must be in (0, 1], got ${topP}`);
  const seed = intOption(options['seed'], 'seed', 0, 0);
  const dtype = dtypeOption(options['dtype']);
  const threads = threadsChoice(options['threads']);
  let style: ReturnType<typeof parsePromptOption> = 'qwen-math';
  try {
    if (typeof options['prompt'] === 'string') style = parsePromptOption(options['prompt']);
  } catch (err) {
    throw new CliError((err as Error).message);
  }

  // Read the data before loading the model: a missing file fails in a second, not after a minute.
  let benches: EvalBenchmark[];
  try {
    benches = names.map((name) => loadBenchmark(dataDir, name, { limit }));
    if (dataFile) {
      const own = await loadEvalFile(dataFile, { name: typeof options['name'] === 'string' ? options['name'] : undefined, limit });
      if (names.includes(own.name)) throw new Error(`--data is named '${own.name}' like a --bench benchmark; give it another --name`);
      if (!/^[\w.-]+$/.test(own.name)) throw new Error(`--name '${own.name}' must be letters, digits, '_', '.', '-' (it names a file)`);
      benches.push(own);
    }
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (options['greedy']) benches = benches.map((b) => ({ ...b, decoding: { greedy: true } }));

  // The engine (libtorch) is loaded only once the input is known to be good.
  const { cuda } = await import('../engine/index.js');
  const ev = await import('../eval/evaluate.js');
  // The probe samples as the evaluation does (the rollout engine), so its rate is the one that counts.
  const { rolloutSamples } = await import('../rollout/engine.js');
  const device = typeof options['device'] === 'string' ? options['device'] : cuda.defaultDevice();
  const { ModelBundle } = await import('../run/model-bundle.js');
  let bundle: import('../run/model-bundle.js').ModelBundle;
  try {
    bundle = ModelBundle.load(modelDir, { device, dtype, ...(typeof options['base'] === 'string' ? { base: options['base'] } : {}) });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { model, tokenizer, tokenizerConfig } = bundle;
  await applyThreads(threads);

  const outDir = typeof options['out'] === 'string' ? options['out'] : path.join('runs', `eval-${timestamp()}`);
  fs.mkdirSync(outDir, { recursive: true });
  const files = new Map<string, number>();
  for (const b of benches) files.set(b.name, fs.openSync(path.join(outDir, `${b.name}.jsonl`), 'w'));

  const stopTokenIds = bundle.evalStopTokenIds();
  const template = tokenizerConfig.chatTemplate;
  const promptBuilder = isMath ? stylePromptBuilder(style, template, tokenizerConfig) : (problem: string) => bundle.renderPrompt(task.evalMessages(problem));
  const styleName = !isMath ? `task ${task.name}` : typeof style === 'string' ? style : `template ${style.file}`;
  process.stderr.write(
    `rlvr eval: ${modelDir} on ${device}; ${benches.map((b) => `${b.name} (${b.problems.length}${'samples' in b.decoding ? ` x${b.decoding.samples}` : ''})`).join(', ')}; ` +
      `max ${maxNewTokens} tokens; prompt ${styleName}; chat template: ${template ? "the model's" : 'Qwen2.5 (fallback)'}; stop ids ${stopTokenIds.join(',')}; out ${outDir}\n`,
  );
  const first = benches.find((b) => b.problems.length > 0);
  if (first) process.stderr.write(`first prompt (${first.name}):\n${promptBuilder(first.problems[0]!.problem)}\n`);
  // Problems whose prompt plus the response budget exceed the model's context run past what it was trained on (and past the estimate).
  const context = model.config.maxPositionEmbeddings;
  const over = benches.flatMap((b) =>
    b.problems.map((p) => tokenizer.encode(promptBuilder(p.problem), { addSpecialTokens: false }).length).filter((n) => n + maxNewTokens > context),
  );
  if (over.length > 0) {
    process.stderr.write(
      `warning: ${over.length} problem${over.length === 1 ? '' : 's'} (prompt up to ${Math.max(...over)} tokens) plus --max-tokens ${maxNewTokens} exceed the model's context of ${context} tokens (max_position_embeddings): ` +
        `past it the model is out of its training range, and each token costs more than the estimate below assumes\n`,
    );
  }

  // Size and time before the long part: a short timed probe on the first problems, then every
  // response counted at the token limit (an upper bound).
  const responses = benches.reduce((n, b) => n + b.problems.length * ('samples' in b.decoding ? b.decoding.samples : 1), 0);
  const rate = first
    ? probeTokensPerSecond(
        rolloutSamples,
        model,
        first.problems.slice(0, batchSize).map((p) => tokenizer.encode(promptBuilder(p.problem), { addSpecialTokens: false })),
      )
    : null;
  const est = estimateEval({ responses, maxNewTokens }, rate);
  process.stderr.write(
    `estimate: ${responses} responses x at most ${maxNewTokens} tokens = at most ${est.maxTokens} tokens; ` +
      `at ~${rate?.toFixed(1) ?? '?'} tok/s (measured) at most ${formatDuration(est.maxSeconds)}\n`,
  );
  if (est.long) {
    process.stderr.write(
      `WARNING: this evaluation may run for up to ${formatDuration(est.maxSeconds)}; ` + `--limit N, --max-tokens N or fewer --bench shorten it\n`,
    );
  }
  const isTty = process.stderr.isTTY === true;
  let result: import('../eval/evaluate.js').EvalResult;
  try {
    result = ev.evaluate(model, tokenizer, benches, {
      maxNewTokens,
      batchSize,
      topP,
      seed,
      promptBuilder,
      tokenizerConfig,
      stopTokenIds,
      keepRecords: false,
      scorer: !isMath
        ? (gold, response, ctx) => {
            const v = task.score(gold, response, ctx);
            return { ...v, reason: v.reason as import('../eval/evaluate.js').Score['reason'] };
          }
        : grader === 'qwen'
          ? (await import('../tasks/math/graders.js')).scorerFor('qwen')
          : undefined,
      executeCode,
      onRecord: (r) => fs.writeSync(files.get(r.bench)!, JSON.stringify(r) + '\n'),
      onProgress: (p) => {
        const line =
          `[${p.bench}] ${p.problemsDone}/${p.problemsTotal} problems, ${p.sequencesDone}/${p.sequencesTotal} responses, ` +
          `${p.tokensPerSecond.toFixed(1)} tok/s, elapsed ${formatDuration(p.elapsedSeconds)}, ETA ${p.etaUpperBound ? '<= ' : ''}${formatDuration(p.etaSeconds)}`;
        process.stderr.write(isTty ? `\r\x1b[K${line}` : `${line}\n`);
      },
      onBenchmark: (name, s) => {
        process.stderr.write(
          `${isTty ? '\r\x1b[K' : ''}[${name}] done: accuracy ${(100 * s.accuracy).toFixed(1)}% (boxed ${(100 * s.rewardAccuracy).toFixed(1)}%) over ${s.samples} responses, ` +
            `${(100 * s.truncatedShare).toFixed(1)}% truncated, ${s.selfReflection} self-reflecting, ${s.seconds.toFixed(1)} s\n`,
        );
      },
    });
  } finally {
    for (const fd of files.values()) fs.closeSync(fd);
    model.dispose();
    await task.close?.();
  }

  const { records: _records, ...rest } = result;
  const summary = {
    ...rest,
    task: task.name,
    model: modelDir,
    device,
    dataDir,
    data: dataFile ?? null,
    prompt: styleName,
    limit: limit ?? null,
    threads: threads.threads,
    out: outDir,
    grader,
    executeCode,
  };
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  console.log(ev.formatSummaryTable(result));
  console.log(`responses and summary.json written to ${outDir}`);
  if (options['json']) console.log(JSON.stringify(summary));
  return 0;
}

/** `--rescore DIR`: every saved response scored again under `grader`; agreement with stored verdicts. */
async function rescore(dir: string, grader: 'ours' | 'qwen', out: string | undefined, json: boolean): Promise<number> {
  const { rescoreFile, rescoreInputs } = await import('../eval/rescore.js');
  let files: string[];
  try {
    files = rescoreInputs(dir);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const summaries = [];
  if (out) fs.mkdirSync(out, { recursive: true });
  console.log(`${'file'.padEnd(28)} ${'responses'.padStart(9)} ${'acc %'.padStart(7)} ${'agree with stored'.padStart(18)}`);
  for (const file of files) {
    let r: ReturnType<typeof rescoreFile>;
    try {
      r = rescoreFile(file, grader);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    const s = r.summary;
    summaries.push(s);
    const agree = s.withStored ? `${s.agree}/${s.withStored}` : '-';
    console.log(`${path.basename(file).padEnd(28)} ${String(s.responses).padStart(9)} ${(100 * s.accuracy).toFixed(1).padStart(7)} ${agree.padStart(18)}`);
    for (const d of r.responses.filter((x) => x.stored !== null && x.stored !== x.correct).slice(0, 20)) {
      console.log(`  differs: line ${d.line + 1} sample ${d.sample}: stored ${d.stored}, ${grader} ${d.correct} (extracted ${JSON.stringify(d.extracted)})`);
    }
    if (out)
      fs.writeFileSync(
        path.join(out, `${path.basename(file, '.jsonl')}.rescored-${grader}.jsonl`),
        r.responses.map((x) => JSON.stringify(x)).join('\n') + '\n',
      );
  }
  const result = { grader, dir, files: summaries };
  if (out) {
    fs.writeFileSync(path.join(out, `rescore-${grader}.json`), JSON.stringify(result, null, 2) + '\n');
    console.log(`rescored responses and rescore-${grader}.json written to ${out}`);
  }
  if (json) console.log(JSON.stringify(result));
  return 0;
}

/** Generated tokens per second of a short greedy run (16 tokens, no stop) on these prompts. */
function probeTokensPerSecond(
  generate: import('../eval/evaluate.js').Sampler,
  model: import('../model/transformer.js').CausalLM,
  prompts: number[][],
): number | null {
  if (prompts.length === 0) return null;
  const t0 = performance.now();
  const samples = generate(model, prompts, { maxNewTokens: 16, greedy: true });
  const tokens = samples.reduce((n, s) => n + s.tokens.length, 0);
  const seconds = (performance.now() - t0) / 1000;
  return seconds > 0 ? tokens / seconds : null;
}
