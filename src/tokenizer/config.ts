// tokenizer_config.json: the chat template and the names of the special tokens.
//
// Token fields come either as plain strings or as serialized AddedToken objects
// ({"__type": "AddedToken", "content": "<|im_end|>", ...}); both are reduced to the string.
// Newer transformers save the chat template as a separate chat_template.jinja, which then
// takes precedence over any template inside the JSON (as transformers does when loading).

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TokenizerConfig {
  chatTemplate: string | null;
  bosToken: string | null;
  eosToken: string | null;
  padToken: string | null;
  unkToken: string | null;
  /** Whether the HF tokenizer prepends BOS itself (informational; Qwen: false). */
  addBosToken: boolean;
  /** The parsed file, for fields not modelled here. */
  raw: Record<string, unknown>;
}

function tokenString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return null;
}

/** Picks the template from the JSON field: a string, or a list of named templates ('default' wins). */
function templateFromField(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const named = v as Array<{ name?: string; template?: string }>;
    return (named.find((t) => t.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}

/** Reads tokenizer_config.json (and chat_template.jinja if present) from a model folder. */
export function loadTokenizerConfig(dir: string): TokenizerConfig {
  const file = path.join(dir, 'tokenizer_config.json');
  const raw = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  const chatTemplate = fs.existsSync(jinjaFile) ? fs.readFileSync(jinjaFile, 'utf8') : templateFromField(raw.chat_template);
  return {
    chatTemplate,
    bosToken: tokenString(raw.bos_token),
    eosToken: tokenString(raw.eos_token),
    padToken: tokenString(raw.pad_token),
    unkToken: tokenString(raw.unk_token),
    addBosToken: raw.add_bos_token === true,
    raw,
  };
}
