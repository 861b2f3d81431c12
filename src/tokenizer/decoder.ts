// Decoders: tokenizer.json's `decoder` field, turning token strings back into text.
//
// ByteLevel (GPT-2 style: each char stands for one byte) for Qwen/Llama-3/SmolLM2; and the
// SentencePiece-style chain Gemma 3 uses: Replace `▁` by a space, ByteFallback (`<0x0A>` byte
// tokens back to text), Fuse (join). HF runs each step over the whole token list in turn.

import { pushTokenBytes } from './bytelevel.js';
import { decodeByteFallback } from './byte-fallback.js';

export interface DecoderJson {
  type: string;
  decoders?: DecoderJson[];
  pattern?: { String?: string; Regex?: string };
  content?: string;
}

/** Token strings -> text. */
export type Decoder = (tokens: string[]) => string;

type Step = (tokens: string[]) => string[];

const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

function byteLevel(tokens: string[]): string[] {
  const bytes: number[] = [];
  for (const t of tokens) pushTokenBytes(t, bytes);
  return [utf8Decoder.decode(Uint8Array.from(bytes))];
}

function compileStep(cfg: DecoderJson): Step {
  switch (cfg.type) {
    case 'ByteLevel':
      return byteLevel;
    case 'Sequence': {
      const steps = (cfg.decoders ?? []).map(compileStep);
      return (tokens) => steps.reduce((acc, step) => step(acc), tokens);
    }
    case 'Replace': {
      const from = cfg.pattern?.String;
      const to = cfg.content;
      if (from === undefined || from === '' || to === undefined) {
        throw new Error(`unsupported Replace decoder ${JSON.stringify(cfg)}; only a non-empty String pattern is implemented`);
      }
      return (tokens) => tokens.map((t) => t.split(from).join(to));
    }
    case 'ByteFallback':
      return decodeByteFallback;
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    default:
      throw new Error(`unsupported decoder type ${JSON.stringify(cfg.type)}`);
  }
}

/** Builds the decoder described by tokenizer.json's `decoder` field. */
export function compileDecoder(cfg: DecoderJson | null): Decoder {
  if (cfg === null) throw new Error('tokenizer.json has no decoder');
  const step = compileStep(cfg);
  return (tokens) => step(tokens).join('');
}
