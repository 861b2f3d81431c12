// `rlvr eval --execute-code` (src/eval/code-exec.ts): the Qwen2.5-Math evaluator's code
// continuation on generated responses that end in a code fence: a correct program's output is
// appended as the evaluator appends it and the model continues; a hang, a crash, a flood, a
// program using input( or the network each cost that response only (their text is the
// evaluator's); at most 4 rounds; a response with "boxed" is left alone.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { continueWithCode, extractProgram, needsExecution, runProgram, truncate400, type Continue } from '../../src/eval/code-exec.js';
import { evaluate, type EvalBenchmark } from '../../src/eval/evaluate.js';
import type { CausalLM } from '../../src/model/transformer.js';
import type { Sample, SamplingOptions } from '../../src/rollout/reference-sampler.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { QWEN_TOKENIZER_DIR } from '../helpers/tiny-model.js';

const fence = (code: string) => `Let me compute it.\n\`\`\`python\n${code}\n\`\`\``;
const fast = (c: string) => runProgram(c, { timeoutMs: 2000 });

describe("the evaluator's executor", () => {
  test('a printing program gives its stdout; a last-line expression its value; an empty print Done; a last-line statement a SyntaxError', () => {
    assert.equal(fast('x = 21\nprint(x * 2)').text, '42');
    assert.equal(fast('from fractions import Fraction\nFraction(3, 4) + Fraction(1, 4)').text, '1');
    assert.equal(fast('x = 3\nprint()').text, 'Done');
    // auto_mode evaluates a last line without print( as an expression: an assignment fails to parse.
    assert.equal(fast('x = 3\ny = x * 2').text, 'SyntaxError: invalid syntax');
  });
  test("a crash gives the traceback's last line; input( is refused; the network is off", () => {
    assert.equal(fast('print(1 / 0)').text, 'ZeroDivisionError: division by zero');
    assert.equal(fast('n = int(input())\nprint(n)').text, 'RuntimeError');
    assert.match(fast('import socket\ns = socket.socket()\nprint(1)').text, /^OSError: network access is disabled$/);
    assert.match(fast('def f(:\n  pass\nprint(f())').text, /^SyntaxError/);
  });
  test('a hang and an endless flood are killed at the time limit; a finite flood is cut to 400 characters', () => {
    const t0 = Date.now();
    const hang = fast('while True:\n    pass\nprint(1)');
    assert.equal(hang.text, 'Timeout Error');
    assert.equal(hang.timedOut, true);
    assert.equal(fast('while True:\n    print("x" * 1000)').text, 'Timeout Error');
    assert.ok(Date.now() - t0 < 20_000, 'two 2-s kills, not a hang (slack for a loaded machine)');
    const big = fast('print("a" * 300000 + "b" * 300000)').text;
    assert.equal(big, 'a'.repeat(200) + '...' + 'b'.repeat(200));
    assert.equal(truncate400('z'.repeat(400)), 'z'.repeat(400));
  });
  test('extract_program takes the last python block; only fence-ended responses without "boxed" run', () => {
    assert.equal(extractProgram('```python\nprint(1)\n```\ntext\n```python\nprint(2)\n```'), 'print(2)\n');
    assert.equal(needsExecution(fence('print(1)') + '\n  '), true);
    assert.equal(needsExecution('so \\boxed{3}\n```python\nprint(3)\n```'), false);
    assert.equal(needsExecution('no code here'), false);
  });
});

describe('continuation rounds (math_eval.py)', () => {
  test('a correct program: its output is appended and the model continues to a boxed answer', () => {
    const prompts: string[] = [];
    const cont: Continue = (ps) => {
      prompts.push(...ps);
      return ps.map(() => ({ text: 'The answer is $\\boxed{5}$.', tokens: 7, finishReason: 'stop' as const }));
    };
    const [r] = continueWithCode([{ prompt: 'PROMPT ', text: fence('print(2 + 3)') + '\n', tokens: 20, finishReason: 'stop' }], cont, fast);
    assert.equal(r!.text, fence('print(2 + 3)') + '\n```output\n5\n```\nThe answer is $\\boxed{5}$.');
    assert.equal(prompts[0], 'PROMPT ' + fence('print(2 + 3)') + '\n```output\n5\n```\n');
    assert.equal(r!.executions, 1);
    assert.equal(r!.tokens, 27);
  });

  test('a hang, a crash and a flood cost their own responses; the others in the batch are unaffected', () => {
    const first = ['while True:\n    pass\nprint(0)', 'print(1 / 0)', 'while True:\n    print("y" * 500)', 'print(6 * 7)'].map((c) => ({
      prompt: 'P: ',
      text: fence(c),
      tokens: 10,
      finishReason: 'stop' as const,
    }));
    const cont: Continue = (ps) => ps.map(() => ({ text: 'So the answer is \\boxed{42}.', tokens: 5, finishReason: 'stop' as const }));
    const out = continueWithCode(first, cont, fast);
    assert.match(out[0]!.text, /```output\nTimeout Error\n```\nSo the answer/);
    assert.match(out[1]!.text, /```output\nZeroDivisionError: division by zero\n```/);
    assert.match(out[2]!.text, /```output\nTimeout Error\n```/);
    assert.match(out[3]!.text, /```output\n42\n```\nSo the answer is \\boxed\{42\}\.$/);
  });

  test('at most 4 executions, then "Reach max function call limit."; boxed responses are left alone', () => {
    let calls = 0;
    const cont: Continue = (ps) => {
      calls++;
      return ps.map(() => ({ text: '\nAgain:\n```python\nprint(1)\n```', tokens: 3, finishReason: 'stop' as const }));
    };
    const [loop, boxed] = continueWithCode(
      [
        { prompt: '', text: fence('print(1)'), tokens: 4, finishReason: 'stop' },
        { prompt: '', text: 'It is \\boxed{1}.\n```python\nprint(1)\n```', tokens: 4, finishReason: 'stop' },
      ],
      cont,
      fast,
    );
    assert.equal(loop!.executions, 4);
    assert.equal(calls, 3, 'three continuations after the first generation');
    assert.ok(loop!.text.endsWith('```output\n1\n```\n\nReach max function call limit.'));
    assert.equal(boxed!.executions, 0);
    assert.equal(boxed!.text, 'It is \\boxed{1}.\n```python\nprint(1)\n```');
  });
});

describe('evaluate() with executeCode', () => {
  test('a response that ends in a program is run and continued; its record holds the whole text; off by default', () => {
    const tokenizer = Tokenizer.fromFile(QWEN_TOKENIZER_DIR);
    const imEnd = tokenizer.tokenToId('<|im_end|>')!;
    // First round: a program computing the answer (3 + 4 for gold 7); a continuation boxes the output it was shown.
    const sampler = (_m: unknown, prompts: number[][], opts: SamplingOptions): Sample[] =>
      prompts.flatMap((p, pi) =>
        Array.from({ length: opts.n ?? 1 }, (_, si) => {
          const text = tokenizer.decode(p);
          const shown = /```output\n([^\n]*)\n```\n$/.exec(text);
          const body = shown ? `So the answer is \\boxed{${shown[1]}}.` : `Compute:\n\`\`\`python\nprint(${/GOLD=(\d+)/.exec(text)![1]} - 1 + 1)\n\`\`\``;
          const tokens = [...tokenizer.encode(body), imEnd];
          return { promptIndex: pi, sampleIndex: si, tokens, logprobs: tokens.map(() => -1), finishReason: 'stop' as const };
        }),
      );
    const benches: EvalBenchmark[] = [
      { name: 'toy', problems: [7, 12].map((g, i) => ({ id: `p${i}`, problem: `GOLD=${g}`, answer: String(g) })), decoding: { greedy: true } },
    ];
    const model = { config: { eosTokenId: 151643 } } as unknown as CausalLM;
    const on = evaluate(model, tokenizer, benches, { maxNewTokens: 64, sampler, executeCode: true, runProgram: fast });
    assert.equal(on.benchmarks.toy!.accuracy, 1);
    const rec = on.records.toy![0]!;
    assert.equal(rec.response, 'Compute:\n```python\nprint(7 - 1 + 1)\n```\n```output\n7\n```\nSo the answer is \\boxed{7}.');
    const off = evaluate(model, tokenizer, benches, { maxNewTokens: 64, sampler });
    assert.equal(off.benchmarks.toy!.accuracy, 0);
    assert.ok(rec.tokens > off.records.toy![0]!.tokens, "the continuation's tokens count");
  });
});
