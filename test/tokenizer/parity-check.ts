// Parity of our tokenizer with the Python `tokenizers` library on one tokenizer.json: ids of every
// string, decode(encode(s)) giving s back up to normalization, and decoding random id lists
// (special tokens, lone byte tokens that make invalid UTF-8) with and without skipping specials.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { mulberry32 } from '../../src/data/rng.js';
import { runPython } from '../helpers/python.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PARITY_PY = path.join(ROOT, 'test/py/tokenizer_parity.py');

/** Seeded floats in [0, 1) (the project's mulberry32). */
const rng = mulberry32;

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
function randomIdLists(tok: Tokenizer, count: number, seed: number, byteIds: readonly number[]): number[][] {
  const r = rng(seed);
  const specials = tok.addedTokens.map((t) => t.id);
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(r() * 20) }, () => {
      const u = r();
      if (u < 0.15) return specials[Math.floor(r() * specials.length)]!;
      if (u < 0.4) return byteIds[Math.floor(r() * byteIds.length)]!; // single-byte tokens
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

const BYTE_LEVEL_IDS = Array.from({ length: 256 }, (_, i) => i);

/**
 * Asserts ids, round trips and decodes all agree with tokenizers; returns how many strings and id
 * lists were compared. `byteIds` are the ids of the one-byte tokens (byte-level vocabularies: the
 * first 256 ids; SentencePiece-style ones: the `<0xXX>` tokens).
 */
export function assertParity(
  tok: Tokenizer,
  tokenizerJson: string,
  strings: string[],
  addSpecialTokens: boolean,
  normalize: (s: string) => string,
  byteIds: readonly number[] = BYTE_LEVEL_IDS,
): { strings: number; idLists: number } {
  const idLists = randomIdLists(tok, 300, 7, byteIds);
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
  assert.equal(
    idMismatch + roundTripMismatch,
    0,
    `${idMismatch} id and ${roundTripMismatch} round-trip mismatches of ${strings.length}:\n${examples.join('\n')}`,
  );
  idLists.forEach((ids, i) => {
    assert.equal(tok.decode(ids), ref.decoded_ids[i], `decode ${JSON.stringify(ids)}`);
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), ref.decoded_ids_skip[i], `decode skip ${JSON.stringify(ids)}`);
  });
  return { strings: strings.length, idLists: idLists.length };
}
