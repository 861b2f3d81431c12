// A Hugging Face model folder opened once: the model, its tokenizer, the chat template and the
// special tokens the template needs, and the ids generation stops at.
//
// Before, every entry point (`rlvr train`, `eval`, `generate`, `select --score-pool`, the real
// demo) loaded the folder and rebuilt the chat special tokens and stop ids itself; now they open
// a ModelBundle. loadModelFolder came here from src/eval/evaluate.ts (it is about the model
// folder, not about evaluation); the special-token helpers live in src/tokenizer/special-tokens.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Device, DType } from '../engine/index.js';
import { loadModel, readConfig } from '../model/checkpoint.js';
import { adapterBase, attachAdapterFolder, isAdapterFolder } from '../model/peft-io.js';
import type { CausalLM } from '../model/transformer.js';
import { QWEN2_5_CHAT_TEMPLATE, Tokenizer, loadTokenizerConfig, renderChat, type ChatMessage, type TokenizerConfig } from '../tokenizer/index.js';
import { chatSpecialTokens, evalStopTokenIds, modelEosTokenIds, type ChatSpecialTokens } from '../tokenizer/special-tokens.js';

// Re-exported: these were imported from here before they moved to src/tokenizer/special-tokens.ts.
export { chatSpecialTokens, evalStopTokenIds, modelEosTokenIds, type ChatSpecialTokens };

export interface LoadedModel {
  model: CausalLM;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig;
  /** The model's end-of-sequence ids: config.json, generation_config.json, tokenizer eos token. */
  eosTokenIds: number[];
  dir: string;
}

/**
 * Loads model + tokenizer from a HF model folder. Errors name the missing piece in one line
 * (no such folder, no config.json, no tokenizer.json).
 */
export function loadModelFolder(dir: string, opts: { device?: Device; dtype?: DType } = {}): LoadedModel {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`no such model folder: ${dir}`);
  const config = readConfig(dir); // one-line errors for a missing/invalid config.json
  const tokFile = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(tokFile)) throw new Error(`${dir} has no tokenizer.json`);
  const tokenizer = Tokenizer.fromFile(tokFile);
  const tokenizerConfig = loadTokenizerConfig(dir);
  const model = loadModel(dir, opts);
  const eosTokenIds = modelEosTokenIds(dir, config.eosTokenId, tokenizer, tokenizerConfig);
  return { model, tokenizer, tokenizerConfig, eosTokenIds, dir };
}

/** A model folder opened for generation or training: what every entry point needs from it. */
export class ModelBundle implements LoadedModel {
  /** The chat template: the model's own (tokenizer_config.json / chat_template.jinja), else Qwen2.5's. */
  readonly chatTemplate: string;
  /** Whether chatTemplate is the model's own (false: the Qwen2.5 fallback). */
  readonly ownChatTemplate: boolean;
  /** The special tokens the template may reference. */
  readonly specialTokens: ChatSpecialTokens;

  private constructor(
    public model: CausalLM,
    readonly tokenizer: Tokenizer,
    readonly tokenizerConfig: TokenizerConfig,
    readonly eosTokenIds: number[],
    readonly dir: string,
  ) {
    this.ownChatTemplate = tokenizerConfig.chatTemplate !== null;
    this.chatTemplate = tokenizerConfig.chatTemplate ?? QWEN2_5_CHAT_TEMPLATE;
    this.specialTokens = chatSpecialTokens(tokenizerConfig);
  }

  /** Opens `dir` (config.json, weights, tokenizer.json). Errors are one line naming the missing piece. */
  static load(dir: string, opts: { device?: Device; dtype?: DType; base?: string } = {}): ModelBundle {
    // A PEFT LoRA adapter folder (a LoRA run's checkpoint): its base (opts.base, else the one the
    // adapter names) with the adapters attached, applied on the fly.
    if (isAdapterFolder(dir)) {
      const l = loadModelFolder(adapterBase(dir, opts.base), opts);
      try {
        attachAdapterFolder(l.model, dir);
      } catch (e) {
        l.model.dispose();
        throw e;
      }
      return new ModelBundle(l.model, l.tokenizer, l.tokenizerConfig, l.eosTokenIds, l.dir);
    }
    const l = loadModelFolder(dir, opts);
    return new ModelBundle(l.model, l.tokenizer, l.tokenizerConfig, l.eosTokenIds, l.dir);
  }

  /** A conversation as the prompt text the model continues (generation prompt included). */
  renderPrompt(messages: readonly ChatMessage[]): string {
    return renderChat(this.chatTemplate, messages, { addGenerationPrompt: true, specialTokens: this.specialTokens });
  }

  /** Evaluation's stop ids: the EOS ids plus `<|im_end|>` / `<|endoftext|>` when the vocabulary has them. */
  evalStopTokenIds(): number[] {
    return evalStopTokenIds(this.tokenizer, this.eosTokenIds);
  }

  /**
   * Training's stop ids: the EOS ids (as vLLM stopped in the paper's run) plus the named tokens;
   * a name that is no single token of the vocabulary is returned in `unknown`.
   */
  stopTokenIds(extra: readonly string[] = []): { ids: number[]; unknown: string | null } {
    const ids = new Set(this.eosTokenIds);
    for (const t of extra) {
      const id = this.tokenizer.tokenToId(t);
      if (id === undefined) return { ids: [...ids], unknown: t };
      ids.add(id);
    }
    return { ids: [...ids], unknown: null };
  }

  /** Frees the model's weights (the tokenizer stays usable). */
  dispose(): void {
    this.model.dispose();
  }
}
