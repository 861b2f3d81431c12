// A Llama-3 style tokenizer.json, built from the Qwen vocab with Llama-3's pre-tokenizer, model
// flags and BOS post-processor, so every Llama-3 code path is exercised without shipping a
// second vocabulary. `<|begin_of_text|>` (id LLAMA3_BOS_ID) is prepended by encode() unless
// addSpecialTokens is false.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { QWEN_TOKENIZER_DIR } from './tiny-model.js';

export const LLAMA3_BOS_ID = 151669;
export const LLAMA3_BOS = '<|begin_of_text|>';

/** Writes the tokenizer.json into `dir`; returns its path. */
export function writeLlama3Tokenizer(dir: string): string {
  const json = JSON.parse(fs.readFileSync(path.join(QWEN_TOKENIZER_DIR, 'tokenizer.json'), 'utf8'));
  json.added_tokens.push({ id: LLAMA3_BOS_ID, content: LLAMA3_BOS, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  json.normalizer = null;
  json.pre_tokenizer.pretokenizers[0].pattern.Regex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  json.model.ignore_merges = true;
  json.post_processor = {
    type: 'Sequence',
    processors: [
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: LLAMA3_BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [
          { SpecialToken: { id: LLAMA3_BOS, type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: LLAMA3_BOS, type_id: 1 } },
          { Sequence: { id: 'B', type_id: 1 } },
        ],
        special_tokens: { [LLAMA3_BOS]: { id: LLAMA3_BOS, ids: [LLAMA3_BOS_ID], tokens: [LLAMA3_BOS] } },
      },
    ],
  };
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

/** The shape of Llama-3's chat template: BOS written by the template itself. */
export const LLAMA3_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] + '<|eot_id|>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
