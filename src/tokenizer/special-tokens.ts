// The special tokens of a model folder: the names a chat template references (bos_token, ...),
// the model's end-of-sequence ids, and evaluation's stop ids. Questions about the vocabulary and
// the folder's token files, answered once here for the run layer's ModelBundle
// (src/run/model-bundle.ts) and for evaluation, which sits below the run layer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RenderChatOptions } from './chat.js';
import type { TokenizerConfig } from './config.js';
import type { Tokenizer } from './tokenizer.js';

/** The special-token names a chat template may reference (bos_token, eos_token, ...). */
export type ChatSpecialTokens = NonNullable<RenderChatOptions['specialTokens']>;

/** The special tokens of tokenizer_config.json, as renderChat takes them. */
export function chatSpecialTokens(tc: TokenizerConfig): ChatSpecialTokens {
  return { bosToken: tc.bosToken, eosToken: tc.eosToken, padToken: tc.padToken, unkToken: tc.unkToken };
}

/** Union of config.json eos_token_id, generation_config.json eos_token_id and the tokenizer's eos token. */
export function modelEosTokenIds(
  dir: string | null,
  configEos: number | number[] | null,
  tokenizer: Tokenizer,
  tokenizerConfig: TokenizerConfig | null,
): number[] {
  const ids = new Set<number>();
  const add = (v: unknown) => {
    if (typeof v === 'number' && Number.isInteger(v)) ids.add(v);
    else if (Array.isArray(v)) v.forEach(add);
  };
  add(configEos);
  if (dir !== null) {
    const gen = path.join(dir, 'generation_config.json');
    if (fs.existsSync(gen)) {
      try {
        add((JSON.parse(fs.readFileSync(gen, 'utf8')) as Record<string, unknown>)['eos_token_id']);
      } catch {
        // A malformed generation_config.json only loses its eos ids.
      }
    }
  }
  const eosTok = tokenizerConfig?.eosToken;
  if (eosTok) add(tokenizer.tokenToId(eosTok));
  return [...ids].sort((a, b) => a - b);
}

/** Stop tokens for evaluation: the eos ids plus `<|im_end|>` / `<|endoftext|>` when the tokenizer has them. */
export function evalStopTokenIds(tokenizer: Tokenizer, eosTokenIds: readonly number[]): number[] {
  const ids = new Set(eosTokenIds);
  for (const t of ['<|im_end|>', '<|endoftext|>']) {
    const id = tokenizer.tokenToId(t);
    if (id !== undefined) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}
