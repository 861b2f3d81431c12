// BPE tokenizer loaded from a HF `tokenizer.json`: byte-level (Qwen2/2.5/3, Llama-3, GPT-2 style)
// or SentencePiece-style with byte fallback (Gemma 3).
//
// Encoding pipeline, mirroring HF tokenizers:
//   1. added tokens (<|im_start|>, <start_of_turn>, Gemma's "\n" runs, ...) are cut out of the
//      raw text first, longest match first, so they are never split by BPE;
//   2. each remaining segment is normalized (NFC for Qwen, nothing for Llama-3, space -> `▁` for Gemma),
//   3. pre-tokenized (Split regex + ByteLevel bytes->chars; Gemma: no cut at all),
//   4. each piece goes through BPE (cached per piece; Gemma: byte fallback for unknown chars);
//   5. the post-processor may add template tokens (Llama-3's <|begin_of_text|>, Gemma's <bos>).
// Decoding runs the decoder (src/tokenizer/decoder.ts) over the tokens' strings.

import { jsonErrorText } from '../errors.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BpeModel } from './bpe.js';
import { compileDecoder, type Decoder, type DecoderJson } from './decoder.js';
import { compileNormalizer, type Normalizer, type NormalizerJson } from './normalizer.js';
import { compilePreTokenizer, isByteLevelPreTokenizer, type PreTokenizer } from './pretokenize.js';

export interface AddedToken {
  id: number;
  content: string;
  /** Special tokens can be skipped on decode; non-special added tokens (e.g. Qwen3's <think>) cannot. */
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
}

export interface EncodeOptions {
  /** Apply the post-processor's template (e.g. prepend BOS for Llama-3). Default true, as in HF. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special added tokens from the output. Default false. */
  skipSpecialTokens?: boolean;
}

interface TemplatePiece {
  SpecialToken?: { id: string };
  Sequence?: { id: string };
}
interface PostProcessorJson {
  type: string;
  processors?: PostProcessorJson[];
  single?: TemplatePiece[];
  special_tokens?: Record<string, { ids: number[] }>;
}

/** Ids the post-processor puts around a single sequence. */
function compilePostProcessor(cfg: PostProcessorJson | null): { prefix: number[]; suffix: number[] } {
  const result = { prefix: [] as number[], suffix: [] as number[] };
  if (cfg === null) return result;
  switch (cfg.type) {
    case 'ByteLevel':
      return result; // only trims offsets; ids unchanged
    case 'Sequence': {
      for (const p of cfg.processors ?? []) {
        const r = compilePostProcessor(p);
        result.prefix.push(...r.prefix);
        result.suffix.push(...r.suffix);
      }
      return result;
    }
    case 'TemplateProcessing': {
      let seen = false;
      for (const piece of cfg.single ?? []) {
        if (piece.Sequence) seen = true;
        else if (piece.SpecialToken) {
          const ids = cfg.special_tokens?.[piece.SpecialToken.id]?.ids;
          if (!ids) throw new Error(`TemplateProcessing refers to unknown special token ${piece.SpecialToken.id}`);
          (seen ? result.suffix : result.prefix).push(...ids);
        }
      }
      return result;
    }
    default:
      throw new Error(`unsupported post_processor type ${JSON.stringify(cfg.type)}`);
  }
}

interface TokenizerJson {
  added_tokens?: Array<{ id: number; content: string; special: boolean; lstrip?: boolean; rstrip?: boolean }>;
  normalizer: NormalizerJson | null;
  pre_tokenizer: Parameters<typeof compilePreTokenizer>[0];
  post_processor: PostProcessorJson | null;
  decoder: DecoderJson | null;
  model: {
    type: string;
    vocab: Record<string, number>;
    merges: Array<string | [string, string]>;
    ignore_merges?: boolean;
    unk_token?: string | null;
    continuing_subword_prefix?: string | null;
    end_of_word_suffix?: string | null;
    byte_fallback?: boolean;
    fuse_unk?: boolean;
    dropout?: number | null;
  };
}

const WHITESPACE = /\p{White_Space}/u;

export class Tokenizer {
  /** All added tokens (special or not), in id order. */
  readonly addedTokens: readonly AddedToken[];
  /** The added tokens marked special (skippable on decode). */
  readonly specialTokens: readonly AddedToken[];

  private readonly bpe: BpeModel;
  private readonly normalize: Normalizer;
  private readonly decodeTokens: Decoder;
  private readonly preTokenize: PreTokenizer;
  private readonly template: { prefix: number[]; suffix: number[] };
  private readonly idToTokenTable: string[];
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly specialIds = new Set<number>();
  /** Matches any added token, longest first (JS alternation is leftmost-first). */
  private readonly addedRegex: RegExp | null;

  /** Loads `tokenizer.json` from a model folder or from the file path itself. */
  static fromFile(dirOrFile: string): Tokenizer {
    const file = fs.statSync(dirOrFile).isDirectory() ? path.join(dirOrFile, 'tokenizer.json') : dirOrFile;
    let json: TokenizerJson;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8')) as TokenizerJson;
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      throw new Error(`${file}: not valid JSON (${jsonErrorText(e)}); the model folder's tokenizer is damaged`);
    }
    return new Tokenizer(json);
  }

  /** Builds a tokenizer from the parsed contents of a tokenizer.json. */
  static fromJson(json: unknown): Tokenizer {
    return new Tokenizer(json as TokenizerJson);
  }

  private constructor(json: TokenizerJson) {
    const model = json.model;
    if (model?.type !== 'BPE') throw new Error(`unsupported tokenizer model ${JSON.stringify(model?.type)}; only BPE is implemented`);
    if (model.continuing_subword_prefix || model.end_of_word_suffix || model.dropout) {
      throw new Error('unsupported BPE options (continuing_subword_prefix, end_of_word_suffix or dropout)');
    }
    // A byte-level vocab spells bytes as chars: it needs both the ByteLevel pre-tokenizer and decoder.
    if ((json.decoder?.type === 'ByteLevel') !== isByteLevelPreTokenizer(json.pre_tokenizer)) {
      throw new Error('tokenizer.json pairs a ByteLevel decoder with a pre-tokenizer that is not byte-level (or the reverse)');
    }

    const vocab = new Map<string, number>(Object.entries(model.vocab));
    // Older files store merges as "a b" strings, newer ones as [a, b] pairs.
    const merges = model.merges.map((m): [string, string] => {
      if (Array.isArray(m)) return m;
      const space = m.indexOf(' ', 1);
      return [m.slice(0, space), m.slice(space + 1)];
    });
    this.bpe = new BpeModel({
      vocab,
      merges,
      ignoreMerges: model.ignore_merges ?? false,
      unkToken: model.unk_token ?? null,
      byteFallback: model.byte_fallback ?? false,
      fuseUnk: model.fuse_unk ?? false,
    });
    this.normalize = compileNormalizer(json.normalizer);
    this.decodeTokens = compileDecoder(json.decoder);
    this.preTokenize = compilePreTokenizer(json.pre_tokenizer);
    this.template = compilePostProcessor(json.post_processor);

    const added: AddedToken[] = (json.added_tokens ?? []).map((t) => ({
      id: t.id,
      content: t.content,
      special: t.special,
      lstrip: t.lstrip ?? false,
      rstrip: t.rstrip ?? false,
    }));
    added.sort((a, b) => a.id - b.id);
    this.addedTokens = added;
    this.specialTokens = added.filter((t) => t.special);

    this.idToTokenTable = [];
    for (const [tok, id] of vocab) this.idToTokenTable[id] = tok;
    for (const t of added) {
      this.idToTokenTable[t.id] = t.content;
      this.addedByContent.set(t.content, t);
      if (t.special) this.specialIds.add(t.id);
    }
    const contents = added.map((t) => t.content).filter((c) => c.length > 0);
    contents.sort((a, b) => b.length - a.length);
    this.addedRegex = contents.length ? new RegExp(contents.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gu') : null;
  }

  /** One past the largest id (vocab plus added tokens); a model's embedding may be larger. */
  get vocabSize(): number {
    return this.idToTokenTable.length;
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.bpe.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.idToTokenTable[id];
  }

  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    const addSpecial = opts.addSpecialTokens ?? true;
    if (addSpecial) ids.push(...this.template.prefix);

    if (this.addedRegex === null) {
      this.encodeSegment(text, ids);
    } else {
      const re = this.addedRegex;
      re.lastIndex = 0;
      let last = 0;
      let skipLeadingSpace = false;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const tok = this.addedByContent.get(m[0])!;
        let end = m.index;
        // lstrip/rstrip tokens swallow the whitespace next to them.
        if (tok.lstrip) while (end > last && WHITESPACE.test(text[end - 1]!)) end--;
        let start = last;
        if (skipLeadingSpace) while (start < end && WHITESPACE.test(text[start]!)) start++;
        this.encodeSegment(text.slice(start, end), ids);
        ids.push(tok.id);
        last = m.index + m[0].length;
        skipLeadingSpace = tok.rstrip;
      }
      let start = last;
      if (skipLeadingSpace) while (start < text.length && WHITESPACE.test(text[start]!)) start++;
      this.encodeSegment(text.slice(start), ids);
    }

    if (addSpecial) ids.push(...this.template.suffix);
    return ids;
  }

  /** Encodes text known to contain no added tokens, appending to `out`. */
  private encodeSegment(text: string, out: number[]): void {
    if (text.length === 0) return;
    for (const word of this.preTokenize(this.normalize(text))) {
      for (const id of this.bpe.encodeWord(word)) out.push(id);
    }
  }

  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const skip = opts.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (const id of ids) {
      if (skip && this.specialIds.has(id)) continue;
      const tok = this.idToTokenTable[id];
      if (tok === undefined) continue; // HF silently drops unknown ids
      tokens.push(tok);
    }
    return this.decodeTokens(tokens);
  }
}
