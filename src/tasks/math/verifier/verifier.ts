// The public, synchronous verifier API. `verify` never throws: any internal failure is an
// incorrect result with reason 'error'. For hard time bounds run it through VerifierPool
// (pool.ts), which isolates each check in a worker with a 1 s timeout.
import { answerRegion, extractFromRegion, extractGold } from './extract.js';
import { normalizeAnswer } from './normalize.js';
import { equivalent } from './equivalence.js';
import { verifyPaper } from '../paper/paper.js';
import { endsInUnclosedBox } from './truncation.js';
import type { VerifyOptions, VerifyResult } from './result.js';

export type { Mode, Reason, VerifyOptions, VerifyResult } from './result.js';

/** Extracted answers longer than this are not answers (a runaway box) and score 0. */
const MAX_ANSWER_CHARS = 20000;

export function verify(gold: string, response: string, opts: VerifyOptions = {}): VerifyResult {
  if (opts.mode === 'paper') return verifyPaper(gold, response);
  const mode = opts.mode ?? 'reward';
  let extractedGold: string | null = null;
  let extractedPred: string | null = null;
  try {
    extractedGold = extractGold(String(gold));
    const g = normalizeAnswer(extractedGold.slice(0, MAX_ANSWER_CHARS));
    if (!g) return { correct: false, extractedPred, extractedGold, reason: 'no_gold' };
    // An unclosed final box is no answer, truncated or not (its content is whatever was written
    // before the cut; issue 24): both modes.
    const region = answerRegion(String(response));
    if (endsInUnclosedBox(region)) {
      return { correct: false, extractedPred, extractedGold, reason: 'no_answer' };
    }
    extractedPred = extractFromRegion(region, { mode, bare: opts.bare });
    if (extractedPred === null || extractedPred.trim() === '') return { correct: false, extractedPred, extractedGold, reason: 'no_answer' };
    if (extractedPred.length > MAX_ANSWER_CHARS) return { correct: false, extractedPred: extractedPred.slice(0, 200), extractedGold, reason: 'too_long' };
    const p = normalizeAnswer(extractedPred);
    const correct = equivalent(g, p);
    return { correct, extractedPred, extractedGold, reason: correct ? 'equal' : 'not_equal' };
  } catch {
    return { correct: false, extractedPred, extractedGold, reason: 'error' };
  }
}

/** The training reward: 1 for a verified correct final answer, else 0 (reward-mode extraction). */
export function rewardFn(gold: string, response: string): number {
  return verify(gold, response, { mode: 'reward' }).correct ? 1 : 0;
}
