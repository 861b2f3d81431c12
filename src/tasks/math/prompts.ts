// The math task's prompt text, shared by training and evaluation. The chat template
// (src/tokenizer/) decides how messages become tokens; the tokenizer imports nothing from here.
import { QWEN2_5_CHAT_TEMPLATE, renderChat, type ChatMessage } from '../../tokenizer/chat.js';
export type { ChatMessage };

/** The system prompt of the Qwen2.5-Math zero-shot evaluation ("qwen25-math-cot"). */
export const MATH_EVAL_SYSTEM_PROMPT = 'Please reason step by step, and put your final answer within \\boxed{}.';

/** The same prompt under the name the tokenizer layer exported it by before it moved here. */
export const QWEN_MATH_EVAL_SYSTEM = MATH_EVAL_SYSTEM_PROMPT;

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

/** The Qwen2.5-Math zero-shot evaluation prompt for one problem, rendered with `template`. */
export function qwenMathPrompt(problem: string, template: string = QWEN2_5_CHAT_TEMPLATE): string {
  return renderChat(template, mathEvalMessages(problem), { addGenerationPrompt: true });
}
