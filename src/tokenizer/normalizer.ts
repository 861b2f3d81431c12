// Normalizers: tokenizer.json's `normalizer` field, applied to the text between added tokens
// before pre-tokenization.
//
// Unicode forms (Qwen: NFC), a Sequence of steps, and Replace, which SentencePiece-style
// tokenizers (Gemma 3) use to turn every space into the `▁` marker their vocabulary spells
// words with. Anything else is refused rather than silently ignored.

export interface NormalizerJson {
  type: string;
  normalizers?: NormalizerJson[];
  /** Replace: what to look for (a plain string; Oniguruma regexes are not supported here). */
  pattern?: { String?: string; Regex?: string };
  /** Replace: what to put instead. */
  content?: string;
}

export type Normalizer = (text: string) => string;

export function compileNormalizer(cfg: NormalizerJson | null): Normalizer {
  if (cfg === null) return (s) => s;
  switch (cfg.type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = cfg.type;
      return (s) => s.normalize(form);
    }
    case 'Sequence': {
      const parts = (cfg.normalizers ?? []).map(compileNormalizer);
      return (s) => parts.reduce((acc, f) => f(acc), s);
    }
    case 'Replace': {
      const from = cfg.pattern?.String;
      const to = cfg.content;
      if (from === undefined || from === '' || to === undefined) {
        throw new Error(`unsupported Replace normalizer ${JSON.stringify(cfg)}; only a non-empty String pattern is implemented`);
      }
      return (s) => s.split(from).join(to);
    }
    default:
      throw new Error(`unsupported normalizer type ${JSON.stringify(cfg.type)}`);
  }
}
