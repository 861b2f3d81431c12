// Held-out evaluation of the demo model: greedy decoding, scored by the arithmetic task (the
// paper's reward-mode verifier, last \boxed{} only) — the number the demo reports — and, to tell
// format from arithmetic, leniently: the last integer of the response, whatever the format.
import { arithmeticTask } from '../tasks/arithmetic/task.js';
import type { Task } from '../tasks/task.js';
import { rolloutSamples } from '../rollout/engine.js';
import type { CausalLM } from '../model/transformer.js';
import type { Problem } from '../tasks/arithmetic/problems.js';
import type { DemoTokenizer } from './tokenizer.js';

export interface HeldOutResult {
  /** Reward-mode accuracy: a correct final answer inside \boxed{} (the paper's reward). */
  accuracy: number;
  /** The last integer of the response is the answer, in any format (arithmetic skill). */
  lenientAccuracy: number;
  /** Fraction of responses with a \boxed{} answer. */
  boxedRate: number;
  /** Mean response length in tokens (stop token included). */
  meanLength: number;
  perFamily: Record<string, { accuracy: number; lenientAccuracy: number; boxedRate: number; n: number }>;
  responses: { question: string; gold: string; response: string; correct: boolean; lenient: boolean }[];
}

export function evaluateHeldOut(
  model: CausalLM,
  tok: DemoTokenizer,
  problems: readonly Problem[],
  maxNewTokens: number,
  task: Task = arithmeticTask,
): HeldOutResult {
  const prompts = problems.map((p) => tok.encode(tok.renderPrompt(task.evalMessages(p.question))));
  const samples = rolloutSamples(model, prompts, { maxNewTokens, greedy: true, stopTokenIds: tok.stopTokenIds });
  const fam: Record<string, { c: number; l: number; b: number; n: number }> = {};
  let correct = 0,
    lenient = 0,
    boxed = 0,
    length = 0;
  const responses: HeldOutResult['responses'] = [];
  samples.forEach((s) => {
    const p = problems[s.promptIndex]!;
    const text = tok.decode(s.tokens.filter((t) => !tok.stopTokenIds.includes(t)));
    const gold = String(p.answer);
    const r = task.score(gold, text, { problem: p.question, truncated: s.finishReason === 'length' }).correct; // bounded: 1 s, then 0
    const e = lastInteger(text) === gold;
    const b = text.includes('\\boxed{');
    const f = (fam[p.family] ??= { c: 0, l: 0, b: 0, n: 0 });
    f.n++;
    if (r) {
      f.c++;
      correct++;
    }
    if (e) {
      f.l++;
      lenient++;
    }
    if (b) {
      f.b++;
      boxed++;
    }
    length += s.tokens.length;
    responses.push({ question: p.question, gold, response: text, correct: r, lenient: e });
  });
  const n = Math.max(1, problems.length);
  const perFamily: HeldOutResult['perFamily'] = {};
  for (const [k, f] of Object.entries(fam)) perFamily[k] = { accuracy: f.c / f.n, lenientAccuracy: f.l / f.n, boxedRate: f.b / f.n, n: f.n };
  return { accuracy: correct / n, lenientAccuracy: lenient / n, boxedRate: boxed / n, meanLength: length / n, perFamily, responses };
}

/**
 * The last integer written in a response ("6*7=42, 42+15=57." → "57"), the lenient answer. (The
 * verifier's eval mode reads a bare "6*7=42, 42+15=57." as a list, so it is not used for this.)
 */
export function lastInteger(text: string): string | null {
  const all = text.match(/-?\d+/g);
  return all ? String(Number(all[all.length - 1])) : null;
}
