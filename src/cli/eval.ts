// `rlvr eval`: evaluate a model folder on the math benchmarks with the paper's prompt and
// decoding; prints a table, writes every response to <out>/<bench>.jsonl and a summary.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, dtypeOption, intOption, numberOption, parseArgs } from './args.js';
import {
  BENCHMARKS, PAPER_BENCHMARKS, PAPER_MAX_RESPONSE_TOKENS, defaultEvalDir, isBenchmarkName, loadBenchmark, type Benchmark,
} from '../data/benchmarks.js';

const USAGE =
  'usage: rlvr eval --model DIR [--bench math500,aime24,...] [--data-dir DIR] [--limit N] [--max-tokens 3072] ' +
  '[--batch-size B] [--device D] [--out DIR] [--grader ours|qwen] [--json]\n' +
  '       rlvr eval --rescore DIR [--grader ours|qwen] [--out DIR] [--json]   (score saved responses again, no model)';

const SPEC = {
  model: { type: 'string', help: 'Hugging Face model folder (config.json, *.safetensors, tokenizer.json)' },
  bench: { type: 'string', help: `comma-separated benchmarks (default: ${PAPER_BENCHMARKS.join(',')}); known: ${BENCHMARKS.join(', ')}` },
  'data-dir': { type: 'string', help: 'folder with <bench>/test.jsonl (default: $RLVR_EVAL_DIR or ../shared/data/eval)' },
  limit: { type: 'string', help: 'only the first N problems of each benchmark' },
  'max-tokens': { type: 'string', help: `maximum new tokens per response (default ${PAPER_MAX_RESPONSE_TOKENS})` },
  'batch-size': { type: 'string', help: 'sequences per generation batch (default 16)' },
  device: { type: 'string', help: "'cpu', 'cuda', 'cuda:1', ... (default: cuda when available, else cpu)" },
  dtype: { type: 'string', help: 'parameter dtype (default float32 on cpu, bfloat16 on gpu)' },
  greedy: { type: 'boolean', help: 'greedy decoding for every benchmark (default: the paper\'s, avg@8 at T=0.6 for aime/amc)' },
  'top-p': { type: 'string', help: 'top-p of the sampled (avg@k) benchmarks (default 1, as the Qwen2.5-Math eval)' },
  seed: { type: 'string', help: 'base seed of the sampled benchmarks (default 0)' },
  out: { type: 'string', help: 'output folder (default runs/eval-<timestamp>/)' },
  json: { type: 'boolean', help: 'print the summary as JSON on the last line' },
  grader: { type: 'string', help: "ours (default: our verifier, stricter) or qwen (the Qwen2.5-Math evaluator's extraction and math_equal, for comparison with published tables)" },
  rescore: { type: 'string', help: "score the responses saved in DIR (<bench>.jsonl of rlvr eval, or the Qwen evaluator's output) again under --grader, without generating" },
} as const;

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}

function fmtSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  if (positionals.length > 0) throw new CliError(`unexpected argument '${positionals[0]}'; see rlvr eval --help`);
  const grader = options['grader'] ?? 'ours';
  if (grader !== 'ours' && grader !== 'qwen') throw new CliError(`--grader must be ours or qwen, got '${String(grader)}'`);
  if (typeof options['rescore'] === 'string') return rescore(options['rescore'], grader, options['out'] as string | undefined, options['json'] === true);
  const modelDir = options['model'];
  if (typeof modelDir !== 'string') throw new CliError(`--model DIR is required; see rlvr eval --help`);
  const names = typeof options['bench'] === 'string'
    ? options['bench'].split(',').map((s) => s.trim()).filter((s) => s !== '')
    : [...PAPER_BENCHMARKS];
  if (names.length === 0) throw new CliError('--bench names no benchmark');
  for (const name of names) {
    if (!isBenchmarkName(name)) throw new CliError(`unknown benchmark '${name}'; known: ${BENCHMARKS.join(', ')}`);
  }
  if (new Set(names).size !== names.length) throw new CliError(`--bench lists a benchmark twice: ${names.join(',')}`);
  const dataDir = typeof options['data-dir'] === 'string' ? options['data-dir'] : defaultEvalDir();
  const limit = options['limit'] === undefined ? undefined : intOption(options['limit'], 'limit', 0, 0);
  const maxNewTokens = intOption(options['max-tokens'], 'max-tokens', PAPER_MAX_RESPONSE_TOKENS);
  const batchSize = intOption(options['batch-size'], 'batch-size', 16);
  const topP = numberOption(options['top-p'], 'top-p', 1);
  if (!(topP > 0 && topP <= 1)) throw new CliError(`--top-p must be in (0, 1], got ${topP}`);
  const seed = intOption(options['seed'], 'seed', 0, 0);
  const dtype = dtypeOption(options['dtype']);

  // Read the data before loading the model: a missing file fails in a second, not after a minute.
  let benches: Benchmark[];
  try {
    benches = names.map((name) => loadBenchmark(dataDir, name, { limit }));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (options['greedy']) benches = benches.map((b) => ({ ...b, decoding: { greedy: true } }));

  // The engine (libtorch) is loaded only once the input is known to be good.
  const { cuda } = await import('../engine/index.js');
  const ev = await import('../eval/evaluate.js');
  const device = typeof options['device'] === 'string' ? options['device'] : cuda.defaultDevice();
  let loaded: import('../eval/evaluate.js').LoadedModel;
  try {
    loaded = ev.loadModelFolder(modelDir, { device, dtype });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { model, tokenizer, tokenizerConfig, eosTokenIds } = loaded;

  const outDir = typeof options['out'] === 'string' ? options['out'] : path.join('runs', `eval-${timestamp()}`);
  fs.mkdirSync(outDir, { recursive: true });
  const files = new Map<string, number>();
  for (const b of benches) files.set(b.name, fs.openSync(path.join(outDir, `${b.name}.jsonl`), 'w'));

  const stopTokenIds = ev.evalStopTokenIds(tokenizer, eosTokenIds);
  const template = tokenizerConfig.chatTemplate;
  process.stderr.write(
    `rlvr eval: ${modelDir} on ${device}; ${benches.map((b) => `${b.name} (${b.problems.length}${'samples' in b.decoding ? ` x${b.decoding.samples}` : ''})`).join(', ')}; ` +
      `max ${maxNewTokens} tokens; chat template: ${template ? 'the model\'s' : 'Qwen2.5 (fallback)'}; stop ids ${stopTokenIds.join(',')}; out ${outDir}\n`,
  );
  const isTty = process.stderr.isTTY === true;
  let result: import('../eval/evaluate.js').EvalResult;
  try {
    result = ev.evaluate(model, tokenizer, benches, {
      maxNewTokens,
      batchSize,
      topP,
      seed,
      chatTemplate: template,
      tokenizerConfig,
      stopTokenIds,
      keepRecords: false,
      scorer: grader === 'qwen' ? (await import('../eval/graders.js')).scorerFor('qwen') : undefined,
      onRecord: (r) => fs.writeSync(files.get(r.bench)!, JSON.stringify(r) + '\n'),
      onProgress: (p) => {
        const line = `[${p.bench}] ${p.problemsDone}/${p.problemsTotal} problems, ${p.sequencesDone}/${p.sequencesTotal} responses, ` +
          `${p.tokensPerSecond.toFixed(1)} tok/s, elapsed ${fmtSeconds(p.elapsedSeconds)}, ETA ${fmtSeconds(p.etaSeconds)}`;
        process.stderr.write(isTty ? `\r\x1b[K${line}` : `${line}\n`);
      },
      onBenchmark: (name, s) => {
        process.stderr.write(`${isTty ? '\r\x1b[K' : ''}[${name}] done: accuracy ${(100 * s.accuracy).toFixed(1)}% over ${s.samples} responses, ${s.seconds.toFixed(1)} s\n`);
      },
    });
  } finally {
    for (const fd of files.values()) fs.closeSync(fd);
    model.dispose();
  }

  const { records: _records, ...rest } = result;
  const summary = { ...rest, model: modelDir, device, dataDir, limit: limit ?? null, out: outDir, grader };
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
    if (out) fs.writeFileSync(path.join(out, `${path.basename(file, '.jsonl')}.rescored-${grader}.jsonl`), r.responses.map((x) => JSON.stringify(x)).join('\n') + '\n');
  }
  const result = { grader, dir, files: summaries };
  if (out) {
    fs.writeFileSync(path.join(out, `rescore-${grader}.json`), JSON.stringify(result, null, 2) + '\n');
    console.log(`rescored responses and rescore-${grader}.json written to ${out}`);
  }
  if (json) console.log(JSON.stringify(result));
  return 0;
}
