// Issue 24: the verifier decides by principle. Each class of the issue and each exploit has equal
// and not-equal cases written for this file (not taken from the corpus). Eval mode on bare
// answers unless a full response is the point; reward mode where the training reward is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from '../../src/tasks/math/verifier/verifier.js';

const check = (gold: string, pred: string, mode: 'eval' | 'reward' = 'eval') =>
  verify(gold, mode === 'reward' ? `The answer is \\boxed{${pred}}.` : pred, { mode, bare: mode === 'eval' }).correct;
const yes = (g: string, p: string, mode?: 'eval' | 'reward') => assert.equal(check(g, p, mode), true, `${g} should equal ${p}`);
const no = (g: string, p: string, mode?: 'eval' | 'reward') => assert.equal(check(g, p, mode), false, `${g} should differ from ${p}`);
const both = (f: (g: string, p: string, mode?: 'eval' | 'reward') => void, g: string, p: string) => {
  f(g, p, 'eval');
  f(g, p, 'reward');
};

test('values: nothing that under- or overflows a double equals what does not', () => {
  for (const p of ['10^{-7000}', '2^{-30000}', '10^{-10^{10}}', '\\frac{1}{10^{400}}', '2^{-1100}']) both(no, '0', p);
  both(no, '1', '1+10^{-7000}');
  both(no, '1', '1-2^{-30000}');
  both(no, '\\pi', '\\pi+10^{-20}');
  both(no, '\\pi', '\\pi+10^{-39}'); // below 40 digits: cannot decide, scores 0
  both(no, '\\sqrt{2}', '\\sqrt{2}\\left(1+10^{-35}\\right)');
  both(no, 'e^{16}-1', 'e^{16}-1+10^{-30}');
  both(no, '10^{400}', '10^{400}+1');
  both(yes, '2^{2^{20}}', '4^{2^{19}}');
  both(no, '2^{2^{20}}', '4^{2^{19}}+1');
  both(yes, '\\binom{3000}{1500}', '\\frac{3000!}{1500!\\,1500!}');
  both(no, '\\binom{3000}{1500}', '\\frac{3000!}{1500!\\,1499!}');
  both(yes, '0', '\\cos\\frac{\\pi}{2}');
  both(yes, '\\frac{\\pi}{10^{30}}', '\\pi\\cdot 10^{-30}');
  both(yes, '\\sqrt{2}+\\sqrt{3}', '\\sqrt{5+2\\sqrt{6}}');
  both(no, '\\sqrt{2}+\\sqrt{3}', '\\sqrt{5+2\\sqrt{7}}');
});

test('values: a decimal never equals an irrational gold; a decimal gold accepts its exact value', () => {
  for (const p of ['3.14159', '3.1415926536', '3.14159265358979323846264338327950288']) both(no, '\\pi', p);
  both(no, '\\sqrt{2}', '1.4142135623730951');
  both(no, '\\frac{\\sqrt{3}}{2}', '0.866025403784');
  yes('1.414214', '\\sqrt{2}');
  no('1.414215', '\\sqrt{2}');
  yes('\\frac{1}{7}', '0.142857'); // a non-terminating rational: 6 significant digits, as before
  no('\\frac{1}{7}', '0.142858');
});

test('complex values at 40 digits', () => {
  both(yes, '-1', 'e^{i\\pi}');
  both(yes, '\\frac{1-i}{2}', '\\frac{1}{1+i}');
  both(yes, '2i', '\\sqrt{-4}');
  both(yes, '-4', '(1+i)^4');
  both(no, '14-i', '14-i+10^{-30}');
  both(no, '3+4i', '3-4i');
});

test('expressions: identity testing at real points of both signs, with domain care', () => {
  both(yes, '\\sin 2x', '2\\sin x\\cos x');
  both(yes, '\\cos^2 x', '\\frac{1+\\cos 2x}{2}');
  both(yes, '\\sin^2\\theta', '\\frac{1-\\cos 2\\theta}{2}');
  both(no, '\\sin 2x', '2\\sin x');
  both(yes, '\\tan^2 y + 1', '\\sec^2 y');
  both(yes, '\\ln(x^2)', '2\\ln x'); // equal where both are real (x > 0)
  both(yes, '\\log_2 8x', '3+\\log_2 x');
  both(no, 'x', '\\sqrt{x^2}');
  both(no, 'x', '((x^2)^{1/2})');
  both(yes, '|x|', '\\sqrt{x^2}');
  both(yes, '\\sqrt[3]{x^2}', 'x^{2/3}');
  both(no, 'x', 'x+10^{-20}');
  both(yes, '\\binom{n}{2}', '\\frac{n(n-1)}{2}');
  both(yes, '\\frac{(n+1)!}{n!}', 'n+1');
  both(no, '\\frac{(n+1)!}{n!}', 'n');
  both(yes, '\\binom{10}{3}', '120');
  both(yes, '{}_{10}C_{3}', '120');
  both(yes, '{}_{5}P_{2}', '20');
  both(no, '\\binom{10}{3}', '119');
});

test('expressions: renamed function argument, equations of the same curve, chained equalities', () => {
  yes('f(x)=x^2', 'f(t)=t^2');
  yes('x^2+1', 'g(t)=t^2+1');
  no('f(x)=x^2', 'f(t)=t^3');
  yes('y=2x+1', '2x-y+1=0');
  yes('y=2x+1', '4x-2y=-2');
  no('y=2x+1', 'y=2x-1');
  yes('(5,5,5)', 'a=b=c=5');
  yes('a=5, b=5, c=5', 'a=b=c=5');
  no('(5,5,6)', 'a=b=c=5');
});

test('structures: vectors in any layout, punctured unions, families, long unordered lists', () => {
  yes('(1,2,3)', '\\begin{pmatrix}1\\\\2\\\\3\\end{pmatrix}');
  yes('\\begin{pmatrix}1\\\\2\\\\3\\end{pmatrix}', '(1,2,3)');
  yes('(1,2)', '\\begin{bmatrix}1&2\\end{bmatrix}');
  no('(1,2,3)', '\\begin{pmatrix}3\\\\2\\\\1\\end{pmatrix}');
  no('(1,2,3)', '\\begin{pmatrix}1\\\\2\\end{pmatrix}');
  yes('(-\\infty,1)\\cup(1,3)', 'x<3 \\text{ and } x\\neq 1');
  no('(-\\infty,3)', 'x<3 \\text{ and } x\\neq 1');
  yes('[2,5)', 'x\\ge 2 \\text{ and } x<5');
  yes('\\frac{\\pi}{4}+k\\pi', 'x=\\frac{5\\pi}{4}+n\\pi, n\\in\\mathbb{Z}');
  yes('x=\\frac{\\pi}{6}+2k\\pi', '\\frac{13\\pi}{6}+2n\\pi \\text{ for any integer } n');
  no('\\frac{\\pi}{4}+k\\pi', 'x=\\frac{3\\pi}{4}+n\\pi, n\\in\\mathbb{Z}');
  no('\\frac{\\pi}{4}+2k\\pi', '\\frac{\\pi}{4}+k\\pi');
  const xs = Array.from({ length: 1000 }, (_, i) => 3 * i + 1);
  both(yes, xs.join(', '), [...xs].reverse().join(', '));
  both(no, xs.join(', '), [...xs.slice(1), 3001].join(', '));
  both(no, '1', '1 1 1');
  both(no, '6', '2\\quad 3');
  both(no, '23', '2 3');
  both(no, '1', '[[[[[[1]]]]]]');
  both(no, '1', '[1]');
});

test('text and formatting', () => {
  both(yes, '5', '\\text{five}');
  both(yes, '21', '\\text{twenty-one}');
  both(yes, '105', '\\text{one hundred and five}');
  both(no, '15', '\\text{five}');
  both(yes, '\\mathbb{R}', '\\text{all real numbers}');
  both(yes, '(-\\infty,\\infty)', '\\text{all real numbers}');
  both(yes, '\\text{no solution}', '\\text{no solutions}');
  both(yes, '\\emptyset', '\\text{no solution}');
  both(no, '\\emptyset', '\\text{all real numbers}');
  both(yes, '5', '\\color{red}{5}');
  both(yes, '5', '\\textcolor{blue}{5}');
  both(yes, '5', '\\underbrace{5}_{\\text{apples}}');
  both(yes, '5', '5\\phantom{0}');
  yes('5', '5 % the count\n');
  both(no, '50', '50\\%\\text{ or } 60\\%');
  both(yes, '10', '10\\ \\mathrm{m/s}');
  both(yes, '10', '10\\ \\mathrm{m}');
  both(yes, '3\\times10^5', '3\\times 10^5\\ \\text{m}');
  both(yes, '5', '\\text{speed}=5');
  both(no, '6', '\\text{speed}=5');
  both(yes, '101_2', '101_{\\text{two}}');
  both(yes, '101_2', '101 \\text{ in base } 2');
  both(no, '101_2', '101_3');
  both(no, '101_2', '101_{three}');
  both(yes, '101_2', '101');
});

test('extraction: \\boxed N, quoted boxes, unclosed final boxes, Minerva, reopened <think>', () => {
  const v = (g: string, r: string, mode: 'eval' | 'reward') => verify(g, r, { mode }).correct;
  for (const mode of ['eval', 'reward'] as const) {
    assert.equal(v('5', 'So the answer is \\boxed 5.', mode), true);
    assert.equal(v('5', 'The answer is \\boxed{5}. Problem restated: "... put your answer in \\boxed{7}"', mode), true);
    assert.equal(v('7', 'The answer is \\boxed{5}. Problem restated: "... put your answer in \\boxed{7}"', mode), false);
    assert.equal(v('5', 'We get \\boxed{5}.\n\nReference solution: the answer is \\boxed{7}.', mode), true);
    assert.equal(v('7', 'First \\boxed{5}. Wait, recheck: "5" is wrong, so \\boxed{7}', mode), true);
    assert.equal(v('5', 'Thus \\boxed{3}. Hmm, final: \\boxed{5', mode), false);
    assert.equal(v('5', 'so \\boxed{5', mode), false);
    assert.equal(verify('5', 'so \\boxed{5', { mode, truncated: true }).correct, false);
  }
  assert.equal(v('5', 'Final Answer: The final answer is $5$. I hope it is correct.', 'eval'), true);
  assert.equal(v('1', '</think>final answer is 1e5\\,<think>', 'eval'), false);
  assert.equal(v('100000', '</think>final answer is 1e5\\,<think>', 'eval'), true);
  assert.equal(v('1', 'The final answer is 1e5.', 'eval'), false);
});
