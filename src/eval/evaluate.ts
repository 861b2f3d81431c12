// Benchmark evaluation of a task (src/tasks/; math by default): the task's prompt through the
// model's chat template (math: the Qwen2.5-Math zero-shot prompt), the paper's decoding per
// benchmark (greedy, or avg@k at a temperature), the task's scoring (math: the verifier's
// evaluation mode), and the statistics the paper reports (accuracy, response length,
// self-reflection words). Used by `rlvr eval` and, on in-memory problem lists, by the trainer
// and the demo for validation.
import { PAPER_MAX_RESPONSE_TOKENS, type Decoding } from '../data/benchmarks.js';
import type { CausalLM } from '../model/transformer.js';
import type { Sample, SamplingOptions } from '../rollout/types.js';
import { rolloutSamples } from '../rollout/engine.js';
import { continueWithCode, type Continue, type ExecOutcome } from './code-exec.js';
import { QWEN2_5_CHAT_TEMPLATE, Tokenizer, renderChat, type TokenizerConfig } from '../tokenizer/index.js';
import type { Task, TaskScore, TaskScoreContext } from '../tasks/task.js';
import { mathTask } from '../tasks/math/task.js';
import { evalEta } from './estimate.js';
import { avgAtK, majAtK, passAtKCurve, wilson } from '../stats/index.js';
import { chatSpecialTokens, evalStopTokenIds, modelEosTokenIds } from '../tokenizer/special-tokens.js';

// ---------------------------------------------------------------------------------------------
// Prompts and scoring

/** Turns a problem statement into the full prompt text (chat-formatted, generation prompt included). */
export type PromptBuilder = (problem: string) => string;

/**
 * A task's evaluation prompt (task.evalMessages, then the assistant header) rendered with
 * `template`, or with the Qwen2.5 template when the model ships none.
 */
export function taskPromptBuilder(task: Task, template?: string | null, tokenizerConfig?: TokenizerConfig | null): PromptBuilder {
  const tpl = template ?? QWEN2_5_CHAT_TEMPLATE;
  const specialTokens = tokenizerConfig ? chatSpecialTokens(tokenizerConfig) : undefined;
  return (problem) => renderChat(tpl, task.evalMessages(problem), { addGenerationPrompt: true, specialTokens });
}

/**
 * The Qwen2.5-Math evaluation prompt (math system prompt + the problem as the user turn, then
 * the assistant header) rendered with `template`, or with the Qwen2.5 template when the model
 * ships none.
 */
export function mathPromptBuilder(template?: string | null, tokenizerConfig?: TokenizerConfig | null): PromptBuilder {
  return taskPromptBuilder(mathTask, template, tokenizerConfig);
}

/**
 * One response's verdict (a task's score()): `correct` in evaluation mode (any answer format for
 * math), `rewardCorrect` as training rewards (math: the last \boxed{} only; computed by
 * evaluate() when a scorer leaves it out), the extracted answer and the reason.
 */
export type Score = TaskScore;

/** Scores one response: `rlvr eval --grader ours|qwen`, or the training reward for in-training validation. */
export type Scorer = (gold: string, response: string, ctx: ScoreContext) => Score;

export type ScoreContext = TaskScoreContext;

// The math task's scoring, where it was before tasks had a folder.
export { scoreResponse } from '../tasks/math/score.js';

const REFLECTION = /rethink|recheck|recalculate/i;

/** Whether a response contains a self-reflection word ("rethink", "recheck", "recalculate"; any case). */
export function hasSelfReflection(response: string): boolean {
  return REFLECTION.test(response);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface EvalProblem {
  id?: string;
  problem: string;
  answer: string;
}

/** A benchmark's decoding; `topP` overrides the run's top-p for sampled decodings. */
export type EvalDecoding = Decoding & { topP?: number };

export interface EvalBenchmark {
  name: string;
  problems: readonly EvalProblem[];
  decoding: EvalDecoding;
}

/** One scored response (one line of `<bench>.jsonl`). */
export interface EvalRecord {
  bench: string;
  /** 0-based problem index within the benchmark. */
  index: number;
  id: string;
  /** 0-based sample index (always 0 for greedy). */
  sample: number;
  problem: string;
  gold: string;
  response: string;
  extracted: string | null;
  /** Any-format verdict (evaluation mode). */
  correct: boolean;
  /** Boxed verdict (reward mode: the last \boxed{} only, what training rewards). */
  rewardCorrect: boolean;
  /** Why (math: the verifier's reason, 'equal', 'not_equal', 'no_answer', 'timeout', ...). */
  reason: string;
  /** Generated tokens (the stop token included). */
  tokens: number;
  finishReason: Sample['finishReason'];
  selfReflection: boolean;
}

export interface BenchmarkSummary {
  /** Problems evaluated. */
  n: number;
  /** Responses scored (n × samples per problem). */
  samples: number;
  samplesPerProblem: number;
  decoding: { greedy: boolean; temperature: number | null; topP: number | null };
  /** Fraction (0-1) of responses judged correct: pass@1 for greedy, avg@k for sampled decodings. */
  accuracy: number;
  /** Fraction (0-1) judged correct in reward mode (last \boxed{} only): the format the training reward asks for. */
  rewardAccuracy: number;
  /** Fraction (0-1) of problems with at least one correct sample (pass@k; equals accuracy for greedy). */
  passAtK: number;
  /**
   * Wilson 95% interval of `accuracy` (fractions). Greedy: over the n problems. Sampled: over the
   * n problems counted by their share of correct samples rounded to whole problems (an
   * approximation: the k samples of a problem are not independent trials).
   */
  interval: [number, number];
  /** Sampled decodings (k > 1): avg@k's spread, the accuracy of each sample index j over problems; null for greedy. */
  avgAtK: { std: number; min: number; max: number } | null;
  /** pass@k by the unbiased estimator (Chen et al. 2021) for k = 1..samplesPerProblem: index k-1. */
  passAtKByK: number[];
  /** maj@k (majority vote of the extracted answers over the k samples); equals accuracy for greedy. */
  majAtK: number;
  /** Mean generated tokens per response (stop token included). */
  meanResponseTokens: number;
  /** Responses containing "rethink", "recheck" or "recalculate" (any case). */
  selfReflection: number;
  /** Responses cut off by the token limit. */
  truncated: number;
  /** truncated / samples (0-1). */
  truncatedShare: number;
  seconds: number;
  tokensPerSecond: number;
}

export interface EvalSummary {
  benchmarks: Record<string, BenchmarkSummary>;
  /** Unweighted mean of the benchmarks' accuracies (fraction 0-1): the paper's "Avg." over those run. */
  average: number;
  /** The same mean over the reward-mode (boxed) accuracies. */
  averageReward: number;
  maxNewTokens: number;
}

export interface EvalResult extends EvalSummary {
  /** Every scored response, per benchmark (empty lists when keepRecords is false). */
  records: Record<string, EvalRecord[]>;
}

export interface EvalProgress {
  bench: string;
  /** Problems of this benchmark fully scored. */
  problemsDone: number;
  problemsTotal: number;
  /** Sequences (problem × sample) finished over all benchmarks, and in total. */
  sequencesDone: number;
  sequencesTotal: number;
  /** Tokens generated so far over all benchmarks. */
  tokens: number;
  elapsedSeconds: number;
  tokensPerSecond: number;
  /** Estimated seconds left (null before the first token). */
  etaSeconds: number | null;
  /** True while no response has finished: the ETA counts every outstanding response at the token limit. */
  etaUpperBound: boolean;
}

export type Sampler = (model: CausalLM, prompts: number[][], opts: SamplingOptions) => Sample[];

export interface EvaluateOptions {
  /** The task: its prompt and scoring are the defaults below. Default the math task. */
  task?: Task;
  /** How responses are scored. Default task.score (math: scoreResponse, our verifier's evaluation mode). */
  scorer?: Scorer;
  /** Maximum new tokens per response. Default 3072 (the paper's). */
  maxNewTokens?: number;
  /** Sequences per generate() call (a batch always holds at least one problem's samples). Default 16. */
  batchSize?: number;
  /** Nucleus top-p of sampled decodings (a benchmark's decoding.topP wins). Default 1 (Qwen2.5-Math eval). */
  topP?: number;
  /** Base seed; each batch derives its own. Default 0. */
  seed?: number;
  /** Prompt text for a problem. Default: taskPromptBuilder(task, chatTemplate ?? Qwen2.5 template). */
  promptBuilder?: PromptBuilder;
  /** Chat template for the default prompt builder (the model's tokenizer_config template). */
  chatTemplate?: string | null;
  tokenizerConfig?: TokenizerConfig | null;
  /** Stop tokens. Default: evalStopTokenIds(tokenizer, model config eos ids). */
  stopTokenIds?: number[];
  /** Keep every record in the result (default true). */
  keepRecords?: boolean;
  /** Called for every scored response, in problem order within a batch. */
  onRecord?: (record: EvalRecord) => void;
  /** Called after every batch and, at most every `progressIntervalMs`, during decoding. */
  onProgress?: (p: EvalProgress) => void;
  progressIntervalMs?: number;
  /** Called when a benchmark is done. */
  onBenchmark?: (name: string, summary: BenchmarkSummary) => void;
  /** The sampler (default: the rollout engine, src/rollout/); the reference generate() or a test double plugs in here. */
  sampler?: Sampler;
  /**
   * The Qwen2.5-Math evaluator's code continuation (src/eval/code-exec.ts): a response without
   * "boxed" ending in a closing code fence has its program run and the output appended, and the
   * model continues (up to 4 rounds; each round may use maxNewTokens). Default false; `rlvr eval
   * --grader qwen` turns it on.
   */
  executeCode?: boolean;
  /** Runs one program (tests; default runProgram, a python3 subprocess). */
  runProgram?: (code: string) => ExecOutcome;
}

function samplesPerProblem(d: Decoding): number {
  return 'greedy' in d && d.greedy ? 1 : (d as { samples: number }).samples;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Evaluates `model` on each benchmark (file-backed or in-memory problem lists) and returns the
 * per-benchmark summaries, their unweighted average and the scored responses.
 */
export function evaluate(model: CausalLM, tokenizer: Tokenizer, benchmarks: readonly EvalBenchmark[], opts: EvaluateOptions = {}): EvalResult {
  const maxNewTokens = opts.maxNewTokens ?? PAPER_MAX_RESPONSE_TOKENS;
  const batchSize = opts.batchSize ?? 16;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) throw new Error(`maxNewTokens must be a positive integer, got ${maxNewTokens}`);
  const seed = opts.seed ?? 0;
  const sampler = opts.sampler ?? rolloutSamples;
  const keepRecords = opts.keepRecords ?? true;
  const task = opts.task ?? mathTask;
  const scorer: Scorer = opts.scorer ?? ((gold, response, ctx) => task.score(gold, response, ctx));
  const buildPrompt = opts.promptBuilder ?? taskPromptBuilder(task, opts.chatTemplate, opts.tokenizerConfig);
  const stopTokenIds =
    opts.stopTokenIds ?? evalStopTokenIds(tokenizer, modelEosTokenIds(null, model.config.eosTokenId, tokenizer, opts.tokenizerConfig ?? null));
  const interval = opts.progressIntervalMs ?? 2000;

  const sequencesTotal = benchmarks.reduce((s, b) => s + b.problems.length * samplesPerProblem(b.decoding), 0);
  let sequencesDone = 0;
  let tokensAll = 0;
  let tokensOfDone = 0;
  const t0 = Date.now();
  let lastReport = 0;
  const progress = (bench: string, problemsDone: number, problemsTotal: number, pending: number): EvalProgress => {
    const elapsed = (Date.now() - t0) / 1000;
    const tokens = tokensAll + pending;
    const eta = evalEta({ elapsedSeconds: elapsed, tokens, responsesDone: sequencesDone, tokensOfDone, responsesTotal: sequencesTotal, maxNewTokens });
    return {
      bench,
      problemsDone,
      problemsTotal,
      sequencesDone,
      sequencesTotal,
      tokens,
      elapsedSeconds: elapsed,
      tokensPerSecond: elapsed > 0 ? tokens / elapsed : 0,
      etaSeconds: eta.seconds,
      etaUpperBound: eta.upperBound,
    };
  };

  const summaries: Record<string, BenchmarkSummary> = {};
  const records: Record<string, EvalRecord[]> = {};
  benchmarks.forEach((bench, benchIdx) => {
    const k = samplesPerProblem(bench.decoding);
    const greedy = 'greedy' in bench.decoding && bench.decoding.greedy === true;
    const temperature = greedy ? null : (bench.decoding as { temperature: number }).temperature;
    const topP = greedy ? null : (bench.decoding.topP ?? opts.topP ?? 1);
    const perBatch = Math.max(1, Math.floor(batchSize / k));
    const benchRecords: EvalRecord[] = [];
    let correct = 0,
      rewardCorrect = 0,
      problemsAnyCorrect = 0,
      tokensSum = 0,
      reflections = 0,
      truncated = 0,
      scored = 0;
    // Per problem, per sample index: the verdict and the extracted answer (pass@k, avg@k, maj@k).
    const perProblem = bench.problems.map(() => ({ correct: new Array<boolean>(k).fill(false), answers: new Array<string | null>(k).fill(null) }));
    const bt0 = Date.now();
    let benchTokens = 0;

    for (let start = 0, batchIdx = 0; start < bench.problems.length; start += perBatch, batchIdx++) {
      const batch = bench.problems.slice(start, start + perBatch);
      const prompts = batch.map((p) => tokenizer.encode(buildPrompt(p.problem), { addSpecialTokens: false }));
      const samplingOpts: SamplingOptions = {
        maxNewTokens,
        stopTokenIds,
        n: k,
        seed: (seed * 1_000_003 + benchIdx * 10_007 + batchIdx) >>> 0,
        ...(greedy ? { greedy: true } : { temperature: temperature!, topP: topP! }),
        onStep: opts.onProgress
          ? (generated) => {
              const now = Date.now();
              if (now - lastReport >= interval) {
                lastReport = now;
                opts.onProgress!(progress(bench.name, start, bench.problems.length, generated));
              }
            }
          : undefined,
      };
      const samples = sampler(model, prompts, samplingOpts);
      let decoded = samples.map((s) => ({
        response: tokenizer.decode(s.tokens, { skipSpecialTokens: true }),
        tokens: s.tokens.length,
        finishReason: s.finishReason,
      }));
      if (opts.executeCode) {
        // Continuations: each response is now its own prompt (n = 1), one seed per round.
        let round = 0;
        const cont: Continue = (texts) => {
          round++;
          const more = sampler(
            model,
            texts.map((t) => tokenizer.encode(t, { addSpecialTokens: false })),
            { ...samplingOpts, n: 1, seed: (samplingOpts.seed! * 31 + round) >>> 0 },
          );
          return more.map((m) => ({ text: tokenizer.decode(m.tokens, { skipSpecialTokens: true }), tokens: m.tokens.length, finishReason: m.finishReason }));
        };
        const done = continueWithCode(
          samples.map((s, i) => ({
            prompt: buildPrompt(batch[s.promptIndex]!.problem),
            text: decoded[i]!.response,
            tokens: decoded[i]!.tokens,
            finishReason: decoded[i]!.finishReason,
          })),
          cont,
          opts.runProgram,
        );
        decoded = done.map((d) => ({ response: d.text, tokens: d.tokens, finishReason: d.finishReason }));
      }
      const anyCorrect = new Array<boolean>(batch.length).fill(false);
      samples.forEach((s, si) => {
        const p = batch[s.promptIndex]!;
        const { response } = decoded[si]!;
        const truncatedResponse = decoded[si]!.finishReason === 'length';
        const score = scorer(p.answer, response, { problem: p.problem, truncated: truncatedResponse, prompt: buildPrompt(p.problem), bench: bench.name });
        const reflect = hasSelfReflection(response);
        const rec: EvalRecord = {
          bench: bench.name,
          index: start + s.promptIndex,
          id: p.id ?? String(start + s.promptIndex),
          sample: s.sampleIndex,
          problem: p.problem,
          gold: p.answer,
          response,
          extracted: score.extracted,
          correct: score.correct,
          rewardCorrect: score.rewardCorrect ?? (task.rewardCorrect ? task.rewardCorrect(p.answer, response, { truncated: truncatedResponse }) : score.correct),
          reason: score.reason,
          tokens: decoded[si]!.tokens,
          finishReason: decoded[si]!.finishReason,
          selfReflection: reflect,
        };
        scored++;
        const pp = perProblem[start + s.promptIndex]!;
        pp.correct[s.sampleIndex] = score.correct;
        pp.answers[s.sampleIndex] = score.extracted;
        if (score.correct) {
          correct++;
          anyCorrect[s.promptIndex] = true;
        }
        if (rec.rewardCorrect) rewardCorrect++;
        if (reflect) reflections++;
        if (rec.finishReason === 'length') truncated++;
        tokensSum += rec.tokens;
        if (keepRecords) benchRecords.push(rec);
        opts.onRecord?.(rec);
      });
      problemsAnyCorrect += anyCorrect.filter(Boolean).length;
      const batchTokens = decoded.reduce((a, d) => a + d.tokens, 0);
      benchTokens += batchTokens;
      tokensAll += batchTokens;
      tokensOfDone += batchTokens;
      sequencesDone += samples.length;
      lastReport = Date.now();
      opts.onProgress?.(progress(bench.name, Math.min(start + perBatch, bench.problems.length), bench.problems.length, 0));
    }

    const seconds = (Date.now() - bt0) / 1000;
    const n = bench.problems.length;
    const summary: BenchmarkSummary = {
      n,
      samples: scored,
      samplesPerProblem: k,
      decoding: { greedy, temperature, topP },
      accuracy: scored > 0 ? round(correct / scored, 6) : 0,
      rewardAccuracy: scored > 0 ? round(rewardCorrect / scored, 6) : 0,
      passAtK: n > 0 ? round(problemsAnyCorrect / n, 6) : 0,
      ...samplingStats(perProblem, greedy),
      meanResponseTokens: scored > 0 ? round(tokensSum / scored, 2) : 0,
      selfReflection: reflections,
      truncated,
      truncatedShare: scored > 0 ? round(truncated / scored, 4) : 0,
      seconds: round(seconds, 3),
      tokensPerSecond: seconds > 0 ? round(benchTokens / seconds, 1) : 0,
    };
    summaries[bench.name] = summary;
    records[bench.name] = benchRecords;
    opts.onBenchmark?.(bench.name, summary);
  });

  const accs = Object.values(summaries).map((s) => s.accuracy);
  const average = accs.length > 0 ? round(accs.reduce((a, b) => a + b, 0) / accs.length, 6) : 0;
  const boxed = Object.values(summaries).map((s) => s.rewardAccuracy);
  const averageReward = boxed.length > 0 ? round(boxed.reduce((a, b) => a + b, 0) / boxed.length, 6) : 0;
  return { benchmarks: summaries, average, averageReward, maxNewTokens, records };
}

/** The interval, avg@k spread, pass@k curve and maj@k of one benchmark (src/stats). */
function samplingStats(
  perProblem: { correct: boolean[]; answers: (string | null)[] }[],
  greedy: boolean,
): Pick<BenchmarkSummary, 'interval' | 'avgAtK' | 'passAtKByK' | 'majAtK'> {
  const n = perProblem.length;
  const correct = perProblem.map((p) => p.correct);
  const avg = avgAtK(correct);
  const solved = Math.round(avg.mean * n);
  const w = wilson(Math.min(n, solved), n);
  return {
    interval: [round(w.lo, 6), round(w.hi, 6)],
    avgAtK: greedy || (correct[0]?.length ?? 0) <= 1 ? null : { std: round(avg.std, 6), min: round(avg.min, 6), max: round(avg.max, 6) },
    passAtKByK: passAtKCurve(correct).map((v) => round(v, 6)),
    majAtK: round(majAtK(perProblem), 6),
  };
}

/** The results table: one row per benchmark, then the unweighted average. */
export function formatSummaryTable(summary: EvalSummary): string {
  // acc % is any answer format (the paper's evaluation); boxed % counts only a final \boxed{} (the training reward).
  const header = [
    'benchmark'.padEnd(14),
    'n'.padStart(5),
    'k'.padStart(3),
    'acc %'.padStart(7),
    '95% CI'.padStart(13),
    'boxed %'.padStart(8),
    'pass@k %'.padStart(9),
    'mean len'.padStart(9),
    'reflect'.padStart(8),
    'trunc %'.padStart(8),
  ].join(' ');
  const rows = Object.entries(summary.benchmarks).map(([name, s]) =>
    [
      name.padEnd(14),
      String(s.n).padStart(5),
      String(s.samplesPerProblem).padStart(3),
      (100 * s.accuracy).toFixed(1).padStart(7),
      (s.interval ? `[${(100 * s.interval[0]).toFixed(1)}, ${(100 * s.interval[1]).toFixed(1)}]` : '').padStart(13),
      (100 * s.rewardAccuracy).toFixed(1).padStart(8),
      (100 * s.passAtK).toFixed(1).padStart(9),
      s.meanResponseTokens.toFixed(1).padStart(9),
      String(s.selfReflection).padStart(8),
      (100 * s.truncatedShare).toFixed(1).padStart(8),
    ].join(' '),
  );
  const count = Object.keys(summary.benchmarks).length;
  const avg = [
    `average (${count})`.padEnd(14),
    ''.padStart(5),
    ''.padStart(3),
    (100 * summary.average).toFixed(1).padStart(7),
    ''.padStart(13),
    (100 * summary.averageReward).toFixed(1).padStart(8),
  ].join(' ');
  // Sampled benchmarks: avg@k's spread over the k samples, pass@k for every k, maj@k.
  const sampled = Object.entries(summary.benchmarks)
    .filter(([, s]) => s.avgAtK)
    .map(
      ([name, s]) =>
        `${name}: avg@${s.samplesPerProblem} ${(100 * s.accuracy).toFixed(1)}% (per sample ${(100 * s.avgAtK!.min).toFixed(1)}-${(100 * s.avgAtK!.max).toFixed(1)}%, sd ${(100 * s.avgAtK!.std).toFixed(1)}); ` +
        `pass@k ${s.passAtKByK.map((v, i) => `${i + 1}: ${(100 * v).toFixed(1)}`).join(', ')}; maj@${s.samplesPerProblem} ${(100 * s.majAtK).toFixed(1)}%`,
    );
  return [header, ...rows, avg, ...sampled].join('\n');
}
