// Gemma 3's chat template (`<start_of_turn>user ... <end_of_turn>`) through our Jinja renderer,
// byte for byte against transformers' apply_chat_template on the real converted folder
// (`rlvr models get gemma3-270m`, fetched when absent): the system message folded into the first
// user turn, contents trimmed, add_generation_prompt on and off; and the rendered prompt's ids
// against tokenizers.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { getModel } from '../../src/model/catalog.js';
import { GEMMA3_CHAT_TEMPLATE } from '../../src/tokenizer/gemma3-template.js';
import { Tokenizer, loadTokenizerConfig, renderChat, type ChatMessage } from '../../src/tokenizer/index.js';
import { repoRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python.js';

const CONVERSATIONS: ChatMessage[][] = [
  [{ role: 'user', content: 'What is 2 + 3?' }],
  [
    { role: 'system', content: 'Please reason step by step, and put your final answer within \\boxed{}.' },
    { role: 'user', content: 'Let $f(x) = x^2 + 1$. Find $f(\\frac{1}{2})$.' },
  ],
  [
    { role: 'system', content: '  You are terse.\n' },
    { role: 'user', content: '\n  What is 2+2?  \n' },
    { role: 'assistant', content: ' The answer is \\boxed{4}. ' },
    { role: 'user', content: 'And 3+3? 中文 😀\n\n' },
  ],
  [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello!\n\nHow can I help?' },
    { role: 'user', content: 'Count: 1\t2\t3' },
    { role: 'assistant', content: '1, 2, 3.' },
  ],
  [
    { role: 'system', content: '' },
    { role: 'user', content: '<start_of_turn> inside text' },
  ],
];

describe('Gemma 3 chat template vs transformers apply_chat_template', () => {
  let dir = '';
  let template = '';
  const bos = { bosToken: '<bos>', eosToken: '<eos>' };
  before(async () => {
    dir = await getModel('gemma3-270m');
    template = loadTokenizerConfig(dir).chatTemplate ?? '';
  });

  test("the converted folder carries Gemma 3's template (the GGUF has none)", () => {
    assert.equal(template, GEMMA3_CHAT_TEMPLATE);
    assert.equal(loadTokenizerConfig(dir).bosToken, '<bos>');
  });

  test('byte-identical renders: 5 conversations x add_generation_prompt on/off, and the prompt ids', () => {
    const cases = CONVERSATIONS.flatMap((messages) => [true, false].map((add) => ({ template: null, messages, add_generation_prompt: add })));
    const expected = JSON.parse(runPython(path.join(repoRoot, 'test/py/tokenizer_chat.py'), [dir], JSON.stringify({ cases }))) as string[];
    assert.equal(expected.length, 10);
    const tok = Tokenizer.fromFile(dir);
    cases.forEach((c, i) => {
      const ours = renderChat(template, c.messages, { addGenerationPrompt: c.add_generation_prompt, specialTokens: bos });
      assert.equal(ours, expected[i], `case ${i}`);
      assert.ok(ours.startsWith('<bos><start_of_turn>user\n'), `case ${i}`);
    });
    // The system message has no turn of its own: it opens the first user turn, then a blank line.
    assert.equal(
      expected[2],
      '<bos><start_of_turn>user\nPlease reason step by step, and put your final answer within \\boxed{}.\n\nLet $f(x) = x^2 + 1$. Find $f(\\frac{1}{2})$.<end_of_turn>\n<start_of_turn>model\n',
    );
    // Encoded without a second <bos> (the template wrote it), the turn markers are single tokens.
    const ids = tok.encode(expected[2]!, { addSpecialTokens: false });
    assert.deepEqual(ids.slice(0, 4), [2, 105, 2364, 107]);
    assert.deepEqual(ids.slice(-5), [106, 107, 105, 4368, 107]);
  });

  test('roles that do not alternate are refused, as the template says', () => {
    assert.throws(
      () =>
        renderChat(
          template,
          [
            { role: 'user', content: 'a' },
            { role: 'user', content: 'b' },
          ],
          { specialTokens: bos },
        ),
      /Conversation roles must alternate user\/assistant\/user\/assistant/,
    );
  });
});
