// Prompt text shared by training and evaluation, kept free of any tokenizer so that the chat
// template (src/tokenizer/) decides how messages become tokens.

// One message type across the project: the chat template's (role, content, and any extra
// fields templates read). A type-only import, so this module still loads no tokenizer code.
import type { ChatMessage } from '../tokenizer/chat.js';
export type { ChatMessage };

/** The system prompt of the Qwen2.5-Math zero-shot evaluation ("qwen25-math-cot"). */
export const MATH_EVAL_SYSTEM_PROMPT = 'Please reason step by step, and put your final answer within \\boxed{}.';

/**
 * The suffix that the 1-shot RLVR training data (verl / DeepScaleR format) appends to every
 * problem. The released parquet files already contain it; add it only to raw problems.
 */
export const TRAIN_PROMPT_SUFFIX = " Let's think step by step and output the final answer within \\boxed{}.";

/** The Qwen2.5-Math evaluation conversation for one problem: system prompt + the bare problem. */
export function mathEvalMessages(problem: string): ChatMessage[] {
  return [
    { role: 'system', content: MATH_EVAL_SYSTEM_PROMPT },
    { role: 'user', content: problem },
  ];
}

/** The training conversation for a raw problem: one user turn, the problem followed by the suffix. */
export function trainMessages(problem: string, suffix: string = TRAIN_PROMPT_SUFFIX): ChatMessage[] {
  return [{ role: 'user', content: problem + suffix }];
}
