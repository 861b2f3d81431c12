// `rlvr generate`: sample from a model folder with the rollout engine (src/rollout/). Prints the decoded
// text, or with --json one JSON object per sample (prompt index, token ids, text, logprobs,
// finish reason), one per line. Progress (tokens, tok/s) and the final timing go to stderr.
import * as fs from 'node:fs';
import { CliError, dtypeOption, intOption, numberOption, parseArgs } from './args.js';
import { isRecord } from '../data/files.js';
import { THREADS_OPTION, applyThreads, threadsChoice } from './threads.js';
import { formatDuration } from '../util/duration.js';

const USAGE =
  'usage: rlvr generate --model DIR (--prompt TEXT | --prompt-file F) [--chat] [--greedy | --temperature T --top-p P] ' +
  '[--top-k K] [--n N] --max-tokens N [--seed S] [--threads T] [--device D] [--json]';

const SPEC = {
  model: { type: 'string', help: "Hugging Face model folder (config.json, *.safetensors, tokenizer.json), or a LoRA adapter folder (a LoRA run's checkpoint)" },
  base: { type: 'string', help: "with --model a LoRA adapter folder: its base model folder (default: the adapter config's base_model_name_or_path)" },
  prompt: { type: 'string', help: 'the prompt text' },
  'prompt-file': { type: 'string', help: 'one prompt per line, or jsonl with a "prompt" field' },
  chat: { type: 'boolean', help: "render each prompt as a user message with the model's chat template" },
  system: { type: 'string', help: 'with --chat: a system message before the user message' },
  greedy: { type: 'boolean', help: 'argmax decoding' },
  temperature: { type: 'string', help: 'sampling temperature (default 1)' },
  'top-p': { type: 'string', help: 'nucleus sampling mass (default 1 = off)' },
  'top-k': { type: 'string', help: 'keep the k most likely tokens (default 0 = off)' },
  n: { type: 'string', help: 'samples per prompt (default 1)' },
  'max-tokens': { type: 'string', help: 'maximum new tokens per sample (required)' },
  seed: { type: 'string', help: 'sampling seed (default 0)' },
  device: { type: 'string', help: "'cpu', 'cuda', 'cuda:1', ... (default: cuda when available, else cpu)" },
  dtype: { type: 'string', help: 'parameter dtype (default float32 on cpu, bfloat16 on gpu)' },
  'keep-special': { type: 'boolean', help: 'keep special tokens (e.g. the stop token) in the printed text' },
  json: { type: 'boolean', help: 'print one JSON object per sample per line instead of text' },
  threads: THREADS_OPTION,
} as const;

/** One line of `rlvr generate --json`. */
export interface GeneratedSample {
  promptIndex: number;
  sampleIndex: number;
  promptTokens: number;
  tokens: number[];
  text: string;
  logprobs: number[];
  finishReason: 'stop' | 'length';
}

/** Prompts from a file: jsonl rows with a "prompt" string, or else one prompt per non-empty line. */
export function readPromptFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`no such file: ${file}`);
  }
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new CliError(`${file}: no prompts`);
  const looksJsonl = file.endsWith('.jsonl') || lines.every((l) => l.trimStart().startsWith('{'));
  if (!looksJsonl) return lines;
  return lines.map((l, i) => {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (err) {
      throw new CliError(`${file}: line ${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    if (!isRecord(v) || typeof v['prompt'] !== 'string') throw new CliError(`${file}: line ${i + 1}: expected an object with a "prompt" string`);
    return v['prompt'];
  });
}

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  if (positionals.length > 0) throw new CliError(`unexpected argument '${positionals[0]}'; see rlvr generate --help`);
  const modelDir = options['model'];
  if (typeof modelDir !== 'string') throw new CliError(`--model DIR is required; see rlvr generate --help`);
  const hasPrompt = typeof options['prompt'] === 'string';
  const hasFile = typeof options['prompt-file'] === 'string';
  if (hasPrompt === hasFile) throw new CliError(`give exactly one of --prompt TEXT or --prompt-file F; see rlvr generate --help`);
  if (options['max-tokens'] === undefined) throw new CliError(`--max-tokens N is required; see rlvr generate --help`);
  const maxNewTokens = intOption(options['max-tokens'], 'max-tokens', 0, 1);
  const greedy = options['greedy'] === true;
  if (greedy && (options['temperature'] !== undefined || options['top-p'] !== undefined || options['top-k'] !== undefined)) {
    throw new CliError('--greedy cannot be combined with --temperature, --top-p or --top-k');
  }
  const temperature = numberOption(options['temperature'], 'temperature', 1);
  if (!(temperature > 0)) throw new CliError(`--temperature must be > 0 (use --greedy for argmax), got ${temperature}`);
  const topP = numberOption(options['top-p'], 'top-p', 1);
  if (!(topP > 0 && topP <= 1)) throw new CliError(`--top-p must be in (0, 1], got ${topP}`);
  const topK = intOption(options['top-k'], 'top-k', 0, 0);
  const n = intOption(options['n'], 'n', 1, 1);
  const seed = intOption(options['seed'], 'seed', 0, 0);
  if (options['system'] !== undefined && !options['chat']) throw new CliError('--system needs --chat');
  const dtype = dtypeOption(options['dtype']);
  const texts = hasPrompt ? [options['prompt'] as string] : readPromptFile(options['prompt-file'] as string);
  const threads = threadsChoice(options['threads']);

  const { cuda } = await import('../engine/index.js');
  const { ModelBundle } = await import('../run/model-bundle.js');
  const { rolloutSamples } = await import('../rollout/engine.js');
  const device = typeof options['device'] === 'string' ? options['device'] : cuda.defaultDevice();
  let bundle: import('../run/model-bundle.js').ModelBundle;
  try {
    bundle = ModelBundle.load(modelDir, { device, dtype, ...(typeof options['base'] === 'string' ? { base: options['base'] } : {}) });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const { model, tokenizer } = bundle;
  await applyThreads(threads);
  try {
    const stop = new Set(bundle.eosTokenIds);
    let prompts: number[][];
    if (options['chat']) {
      const rendered = texts.map((t) =>
        bundle.renderPrompt([...(typeof options['system'] === 'string' ? [{ role: 'system', content: options['system'] }] : []), { role: 'user', content: t }]),
      );
      // The template closes turns with <|im_end|>: the assistant's turn ends there too.
      const imEnd = tokenizer.tokenToId('<|im_end|>');
      if (imEnd !== undefined && rendered.some((r) => r.includes('<|im_end|>'))) stop.add(imEnd);
      // The template writes any BOS itself (apply_chat_template tokenizes without special tokens).
      prompts = rendered.map((r) => tokenizer.encode(r, { addSpecialTokens: false }));
    } else {
      prompts = texts.map((t) => tokenizer.encode(t));
    }
    const empty = prompts.findIndex((p) => p.length === 0);
    if (empty >= 0) throw new CliError(`prompt ${empty} is empty after tokenization`);

    const rows = prompts.length * n;
    const isTty = process.stderr.isTTY === true;
    const t0 = performance.now();
    let lastReport = t0;
    const samples = rolloutSamples(model, prompts, {
      maxNewTokens,
      ...(greedy ? { greedy: true } : { temperature, topP, topK }),
      n,
      seed,
      stopTokenIds: [...stop].sort((a, b) => a - b),
      onStep: (generated, active) => {
        const now = performance.now();
        if (now - lastReport < 2000) return;
        lastReport = now;
        const s = (now - t0) / 1000;
        const line = `generating: ${generated} tokens, ${(generated / s).toFixed(1)} tok/s, ${active}/${rows} rows still generating, elapsed ${formatDuration(s)}`;
        process.stderr.write(isTty ? `\r\x1b[K${line}` : `${line}\n`);
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const generated = samples.reduce((a, x) => a + x.tokens.length, 0);
    process.stderr.write(
      `${isTty ? '\r\x1b[K' : ''}generated ${generated} tokens in ${rows} sequences in ${seconds.toFixed(2)} s: ` +
        `${(generated / seconds).toFixed(1)} tok/s (prompt prefill included)\n`,
    );
    const skipSpecialTokens = options['keep-special'] !== true;
    const out: GeneratedSample[] = samples.map((s) => ({
      promptIndex: s.promptIndex,
      sampleIndex: s.sampleIndex,
      promptTokens: prompts[s.promptIndex]!.length,
      tokens: s.tokens,
      text: tokenizer.decode(s.tokens, { skipSpecialTokens }),
      logprobs: s.logprobs,
      finishReason: s.finishReason,
    }));
    if (options['json']) {
      for (const o of out) console.log(JSON.stringify(o));
    } else if (out.length === 1) {
      console.log(out[0]!.text);
    } else {
      for (const o of out) {
        console.log(`--- prompt ${o.promptIndex}, sample ${o.sampleIndex} (${o.tokens.length} tokens, ${o.finishReason})`);
        console.log(o.text);
      }
    }
  } finally {
    model.dispose();
  }
  return 0;
}
