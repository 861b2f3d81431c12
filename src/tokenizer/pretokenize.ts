// Pre-tokenization: splitting normalized text into the pieces BPE runs on.
//
// tokenizer.json regexes are written for Oniguruma (what HF tokenizers uses). Two details
// differ from JavaScript and matter for exact parity:
//  - `\s` in Oniguruma is the Unicode White_Space property (includes U+0085, excludes
//    U+FEFF); JavaScript's `\s` is the reverse on both. We rewrite `\s`/`\S` to
//    `\p{White_Space}`/`\P{White_Space}`.
//  - `(?i:...)` inline groups do not exist in Node 20's RegExp. We expand each letter inside
//    into a class of its simple case folds (so `s` also matches U+017F LONG S, and `k` the
//    KELVIN SIGN), which is what Oniguruma's case-insensitive matching does.

import { toByteLevel } from './bytelevel.js';
import { SPLIT_BEHAVIORS, splitWith, type SplitBehavior } from './split-behavior.js';

/** GPT-2's own split regex, used by a ByteLevel pre-tokenizer with use_regex = true. */
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

const CASE_EXTRA: Record<string, string> = { s: '\u017f', k: '\u212a' };

/** Expands the letters of a `(?i:...)` body; refuses bodies with classes we would mangle. */
function caseFold(body: string): string {
  if (/[[\\]/.test(body)) throw new Error(`unsupported case-insensitive group (?i:${body}) in tokenizer regex`);
  let out = '';
  for (const ch of body) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    if (lower === upper) out += ch;
    else out += `[${lower}${upper}${CASE_EXTRA[lower] ?? ''}]`;
  }
  return out;
}

/** Translates an Oniguruma pattern from tokenizer.json into an equivalent JS RegExp (flags gu). */
export function translateRegex(pattern: string): RegExp {
  let src = pattern.replace(/\(\?i:((?:[^()\\]|\\.)*)\)/g, (_m, body: string) => `(?:${caseFold(body)})`);
  // Rewrite \s and \S outside and inside classes; leave escaped backslashes alone.
  src = src.replace(/\\\\|\\s|\\S/g, (m) => (m === '\\s' ? '\\p{White_Space}' : m === '\\S' ? '\\P{White_Space}' : m));
  try {
    return new RegExp(src, 'gu');
  } catch (e) {
    throw new Error(`tokenizer regex ${JSON.stringify(pattern)} could not be translated to JavaScript: ${(e as Error).message}`);
  }
}

/** Splits `text` Isolated-style: matches and the gaps between them, in order, none empty. */
function splitIsolated(text: string, re: RegExp, out: string[]): void {
  re.lastIndex = 0;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++; // avoid looping on an empty match
      continue;
    }
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
}

/** A compiled pre-tokenizer: text segment -> byte-level words for BPE. */
export type PreTokenizer = (text: string) => string[];

interface PreTokenizerJson {
  type: string;
  pretokenizers?: PreTokenizerJson[];
  pattern?: { Regex?: string; String?: string };
  behavior?: string;
  invert?: boolean;
  add_prefix_space?: boolean;
  use_regex?: boolean;
}

type Step = (pieces: string[]) => string[];

function compileStep(cfg: PreTokenizerJson): Step {
  switch (cfg.type) {
    case 'Sequence': {
      const steps = (cfg.pretokenizers ?? []).map(compileStep);
      return (pieces) => steps.reduce((acc, step) => step(acc), pieces);
    }
    case 'Split': {
      const behavior = cfg.behavior as SplitBehavior;
      if (!SPLIT_BEHAVIORS.includes(behavior) || cfg.invert) {
        throw new Error(`unsupported Split pre-tokenizer (behavior ${cfg.behavior}, invert ${cfg.invert})`);
      }
      const re =
        cfg.pattern?.Regex !== undefined
          ? translateRegex(cfg.pattern.Regex)
          : new RegExp((cfg.pattern?.String ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
      return (pieces) => {
        const out: string[] = [];
        for (const p of pieces) {
          if (behavior === 'Isolated') splitIsolated(p, re, out);
          else splitWith(p, re, behavior, out);
        }
        return out;
      };
    }
    case 'ByteLevel': {
      if (cfg.add_prefix_space) throw new Error('unsupported ByteLevel pre-tokenizer with add_prefix_space = true');
      const re = cfg.use_regex === false ? null : translateRegex(GPT2_PATTERN);
      return (pieces) => {
        let split = pieces;
        if (re) {
          split = [];
          for (const p of pieces) splitIsolated(p, re, split);
        }
        return split.map(toByteLevel);
      };
    }
    default:
      throw new Error(`unsupported pre-tokenizer type ${JSON.stringify(cfg.type)}`);
  }
}

/**
 * Builds the pre-tokenizer described by tokenizer.json's `pre_tokenizer` field. Byte-level
 * tokenizers end in a ByteLevel step (pieces become byte-level chars); SentencePiece-style ones
 * (Gemma 3) have none, or none at all (null), and BPE sees the normalized characters themselves.
 */
export function compilePreTokenizer(cfg: PreTokenizerJson | null): PreTokenizer {
  if (cfg === null) return (text) => [text];
  const step = compileStep(cfg);
  return (text) => step([text]);
}

/** Whether the pre-tokenizer maps text to byte-level chars (a ByteLevel step somewhere in it). */
export function isByteLevelPreTokenizer(cfg: PreTokenizerJson | null): boolean {
  return cfg !== null && JSON.stringify(cfg).includes('"ByteLevel"');
}
