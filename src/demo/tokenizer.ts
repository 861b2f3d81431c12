// The demo model's tokenizer: byte-level BPE with NO merges over printable ASCII and newline,
// plus Qwen's three chat special tokens. Written as a real Hugging Face `tokenizer.json`
// (+ tokenizer_config.json with a Qwen-style chat template), so the demo's model folders are
// complete HF checkpoints, and loaded back with our own Tokenizer class (src/tokenizer/):
// with an empty merge list byte-level BPE is exactly a character tokenizer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BYTE_TO_CHAR } from '../tokenizer/bytelevel.js';
import { renderChat, Tokenizer, type ChatMessage } from '../tokenizer/index.js';

export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';
export const END_OF_TEXT = '<|endoftext|>';

/**
 * Qwen2.5's chat layout without the default system prompt (it would triple the prompt length
 * of a character-level model for no benefit).
 */
export const DEMO_CHAT_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/** Bytes the vocabulary covers: newline and printable ASCII. */
const BYTES = [0x0a, ...Array.from({ length: 0x7f - 0x20 }, (_, i) => 0x20 + i)];

/** The tokenizer.json object (HF `tokenizers` format). */
export function tokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  BYTES.forEach((b, i) => {
    vocab[BYTE_TO_CHAR[b]!] = i;
  });
  const special = [END_OF_TEXT, IM_START, IM_END].map((content, k) => ({
    id: BYTES.length + k,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special,
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}

export function tokenizerConfigJson(): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  (tokenizerJson().added_tokens as { id: number; content: string }[]).forEach((t) => {
    decoder[String(t.id)] = { content: t.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  });
  return {
    added_tokens_decoder: decoder,
    additional_special_tokens: [IM_START, IM_END],
    bos_token: null,
    eos_token: IM_END,
    pad_token: END_OF_TEXT,
    unk_token: null,
    model_max_length: 256,
    clean_up_tokenization_spaces: false,
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    chat_template: DEMO_CHAT_TEMPLATE,
  };
}

/** Writes tokenizer.json and tokenizer_config.json into a model folder. */
export function writeTokenizerFiles(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(), null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigJson(), null, 2) + '\n');
}

/** The demo tokenizer with the ids the demo needs. */
export class DemoTokenizer {
  readonly inner: Tokenizer;
  readonly imStart: number;
  readonly imEnd: number;
  readonly endOfText: number;
  /** Ids in use (the model's embedding is padded above this). */
  readonly size: number;

  constructor(inner: Tokenizer = Tokenizer.fromJson(tokenizerJson())) {
    this.inner = inner;
    this.imStart = inner.tokenToId(IM_START)!;
    this.imEnd = inner.tokenToId(IM_END)!;
    this.endOfText = inner.tokenToId(END_OF_TEXT)!;
    this.size = inner.vocabSize;
  }

  static fromDir(dir: string): DemoTokenizer {
    return new DemoTokenizer(Tokenizer.fromFile(dir));
  }

  encode(text: string): number[] {
    return this.inner.encode(text);
  }

  decode(ids: number[]): string {
    return this.inner.decode(ids);
  }

  /** Generation ends at <|im_end|> (or <|endoftext|>). */
  get stopTokenIds(): number[] {
    return [this.imEnd, this.endOfText];
  }

  /** The prompt text of a conversation, ending with the assistant header. */
  renderPrompt(messages: readonly ChatMessage[]): string {
    return renderChat(DEMO_CHAT_TEMPLATE, messages, { addGenerationPrompt: true });
  }
}
