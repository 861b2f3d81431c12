// The prompt format of an evaluation (`rlvr eval --prompt`), so that a model can be evaluated in
// the format it was trained in:
//   qwen-math  the Qwen2.5-Math evaluation prompt: math system prompt + the bare problem (the
//              paper's evaluation; the default)
//   paper      the 1-shot RLVR training format: one user turn, problem + " Let's think step by step
//              and output the final answer within \boxed{}."
//   chat       one user turn holding the bare problem (no instruction)
//   FILE       a text file whose content, with {problem} replaced, is the user turn
// Each is rendered with the model's chat template (the Qwen2.5 template when it ships none).
import * as fs from 'node:fs';
import { TRAIN_PROMPT_SUFFIX, mathEvalMessages, type ChatMessage } from '../tasks/math/prompts.js';
import { QWEN2_5_CHAT_TEMPLATE, renderChat, type TokenizerConfig } from '../tokenizer/index.js';
import type { PromptBuilder } from './evaluate.js';
import { chatSpecialTokens } from '../tokenizer/special-tokens.js';

export const PROMPT_STYLES = ['qwen-math', 'paper', 'chat'] as const;
export type PromptStyle = (typeof PROMPT_STYLES)[number];

/** The conversation of one problem for a prompt style or a template text (holding `{problem}`). */
export function promptMessages(style: PromptStyle | { template: string }, problem: string): ChatMessage[] {
  if (typeof style === 'object') return [{ role: 'user', content: style.template.split('{problem}').join(problem) }];
  if (style === 'qwen-math') return mathEvalMessages(problem);
  if (style === 'paper') return [{ role: 'user', content: problem + TRAIN_PROMPT_SUFFIX }];
  return [{ role: 'user', content: problem }];
}

/** Reads `--prompt`: a style name, else a template file that must contain `{problem}`. */
export function parsePromptOption(value: string): PromptStyle | { template: string; file: string } {
  if ((PROMPT_STYLES as readonly string[]).includes(value)) return value as PromptStyle;
  if (!fs.existsSync(value)) throw new Error(`--prompt must be ${PROMPT_STYLES.join(', ')} or a template file; no such file: ${value}`);
  const template = fs.readFileSync(value, 'utf8');
  if (!template.includes('{problem}')) throw new Error(`--prompt ${value}: the template has no {problem} placeholder`);
  return { template, file: value };
}

export function stylePromptBuilder(
  style: PromptStyle | { template: string },
  template?: string | null,
  tokenizerConfig?: TokenizerConfig | null,
): PromptBuilder {
  const tpl = template ?? QWEN2_5_CHAT_TEMPLATE;
  const specialTokens = tokenizerConfig ? chatSpecialTokens(tokenizerConfig) : undefined;
  return (problem) => renderChat(tpl, promptMessages(style, problem), { addGenerationPrompt: true, specialTokens });
}
