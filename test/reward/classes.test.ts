// The verifier's failure classes (issue 12), each at its general cause, with cases written for
// this file (equal and not equal), and the routes a policy under RL pressure could take to a
// reward it has not earned. Reward mode is the training reward; eval mode the evaluation grader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from '../../src/tasks/math/verifier/verifier.js';

const check = (gold: string, pred: string, mode: 'eval' | 'reward' = 'eval') => verify(gold, pred, { mode, bare: mode === 'eval' }).correct;
const yes = (g: string, p: string, mode?: 'eval' | 'reward') => assert.equal(check(g, p, mode), true, `${g} should equal ${p}`);
const no = (g: string, p: string, mode?: 'eval' | 'reward') => assert.equal(check(g, p, mode), false, `${g} should differ from ${p}`);

test('1. decimals: exact against decimals; >= 6 significant digits against non-terminating rationals; never an irrational', () => {
  no('\\frac{2}{7}', '0.2857');
  yes('\\frac{2}{7}', '0.285714');
  yes('\\frac{2}{7}', '0.2857142'); // truncated at 7 digits: agrees to the digits written
  no('\\frac{5}{3}', '1.6667');
  yes('\\frac{5}{3}', '1.666667');
  no('\\pi', '3.1416');
  no('\\pi', '3.141593'); // issue 24: a response's decimal never equals an irrational gold
  yes('3.141593', '\\pi'); // a decimal gold (the problem asked for one) accepts the exact value
  no('\\sqrt{3}', '1.732');
  no('\\sqrt{3}', '1.7320508');
  no('\\pi', '3.14159265358979323846264338327950288419716939937510');
  no('3.5', '3.50001');
  yes('3.5', '3.500');
  yes('\\frac{7}{4}', '1.75'); // terminating: exact
  no('\\frac{7}{4}', '1.7500001');
  no('0.375', '0.3750000001');
});

test('2. repeating decimals are exact numbers', () => {
  yes('\\frac{7}{9}', '0.\\overline{7}');
  yes('\\frac{4}{33}', '0.\\overline{12}');
  yes('\\frac{5}{6}', '0.8\\overline{3}');
  yes('\\frac{41}{333}', '0.\\overline{123}');
  yes('1.\\overline{3}', '\\frac{4}{3}');
  no('\\frac{7}{9}', '0.\\overline{8}');
  no('\\frac{5}{6}', '0.\\overline{83}');
});

test('3. lists of solutions are unordered; ± expands inside a list; tuples keep order', () => {
  yes('-3, 5, 8', '8, -3, 5');
  yes('2 \\pm \\sqrt{5}, 0', '0, 2 - \\sqrt{5}, 2 + \\sqrt{5}');
  no('2 \\pm \\sqrt{5}, 0', '0, 2 + \\sqrt{5}');
  no('-3, 5, 8', '8, -3, 6');
  no('-3, 5, 8', '-3, 5');
  no('(4, -1)', '(-1, 4)');
  no('(4, -1)', '-1, 4');
  yes('(1, 2), (3, 4)', '(3, 4), (1, 2)');
  no('(1, 2), (3, 4)', '(2, 1), (3, 4)');
});

test('4. named sets: ℝ, ℝ minus points, the empty set, unions with named sets', () => {
  yes('\\mathbb{R}', '(-\\infty, \\infty)');
  yes('(-\\infty,\\infty)', 'ℝ');
  no('\\mathbb{R}', '[0, \\infty)');
  yes('\\mathbb{R} \\setminus \\{-1\\}', '(-\\infty, -1) \\cup (-1, \\infty)');
  yes('(-\\infty, 0) \\cup (0, 4) \\cup (4, \\infty)', '\\mathbb{R}\\setminus\\{0, 4\\}');
  no('\\mathbb{R} \\setminus \\{-1\\}', '(-\\infty, 1) \\cup (1, \\infty)');
  no('\\mathbb{R} \\setminus \\{-1\\}', '\\mathbb{R}');
  yes('\\varnothing', '\\emptyset');
  no('\\emptyset', '\\{0\\}');
  yes('[1, 2) \\cup \\mathbb{R}', '[1, 2) \\cup (-\\infty, \\infty)');
});

test('5. inequality solution sets match interval unions', () => {
  yes('(-4, 4)', '|x| < 4');
  yes('[-4, 4]', '|y| \\leq 4');
  no('(-4, 4)', '|x| \\le 4');
  yes('(-\\infty, -1] \\cup [7, \\infty)', '|x - 3| \\geq 4');
  no('(-\\infty, -1] \\cup [7, \\infty)', '|x - 3| > 4');
  yes('(2, 6)', '|x - 4| < 2');
  yes('(-\\infty, -2) \\cup (5, \\infty)', 'x < -2 \\text{ or } x > 5');
  yes('x < -2 \\text{ or } x > 5', '(5, \\infty) \\cup (-\\infty, -2)');
  no('(-\\infty, -2) \\cup (5, \\infty)', 'x < -2 \\text{ or } x > 6');
  no('(-\\infty, -2) \\cup (5, \\infty)', 'x \\le -2 \\text{ or } x > 5');
});

test('6. e-notation is a number', () => {
  yes('45000', '4.5e4');
  yes('0.0027', '2.7E-3');
  yes('6.02 \\times 10^{23}', '6.02e23');
  no('45000', '4.5e3');
  no('0.0027', '2.7E-4');
});

test('7. a base subscript marks digits: same digits match, the decimal value does not', () => {
  yes('1011_2', '1011');
  yes('1011_{2}', '1011_2');
  yes('(2A)_{16}', '2A');
  yes('2A_{16}', '2a');
  yes('314_5', '\\text{314}_5');
  no('1011_2', '11');
  no('1011_2', '1101');
  no('(2A)_{16}', '2B');
  no('(2A)_{16}', '42');
});

test('8. a degree sign inside a trig argument is an angle in degrees', () => {
  yes('\\frac{1}{2}', '\\cos 60^\\circ');
  yes('\\frac{\\sqrt{2}}{2}', '\\sin(45^{\\circ})');
  yes('1', '\\tan 45°');
  no('\\frac{1}{2}', '\\cos 30^\\circ');
  yes('45', '45^\\circ'); // a bare angle answer keeps its number
  no('\\frac{\\pi}{4}', '45^\\circ');
});

test('9. a box inside a box is the inner answer', () => {
  yes('8', 'so \\boxed{\\boxed{8}}', 'reward');
  yes('8', '\\boxed{x = \\boxed{8}}', 'reward');
  no('8', '\\boxed{\\boxed{9}}', 'reward');
});

test('10. eval mode: the last box first; "the answer is X" is X only', () => {
  yes('6', 'The final answer is 4. Wait, I made an error: \\boxed{6}');
  no('4', 'The final answer is 4. Wait, I made an error: \\boxed{6}');
  yes('6', '\\boxed{4} was wrong. Final Answer: The final answer is $6$. I hope it is correct.');
  yes('9', 'Thus the answer is 9. Checking with n = 12 confirms it.');
  no('12', 'Thus the answer is 9. Checking with n = 12 confirms it.');
  yes('9', 'So the answer is $9$, since $3^2 = 9$ and 10 is too big.');
});

test('attacks: several answers in one response score 0', () => {
  no('5', '\\boxed{5} or \\boxed{7}', 'reward');
  no('5', '\\boxed{5, 7}', 'reward');
  no('5', '\\boxed{5 \\text{ or } 7}', 'reward');
  no('5', '\\boxed{\\pm 5}', 'reward');
  no('5', '\\boxed{x = 5, y = 7}', 'reward');
  no('5', '\\boxed{\\{5, 7\\}}', 'reward');
  yes('5', 'I first thought \\boxed{7}. Wait, no. The answer is \\boxed{5}', 'reward');
});

test('attacks: hidden placements and formatting tricks', () => {
  no('5', '<think>\\boxed{5}', 'reward'); // thinking never finished
  no('5', '\\boxed{7}<|im_end|>\\boxed{5}', 'reward'); // after the end of the turn
  no('5', 'The answer is 5', 'reward'); // no box: no reward
  no('50', '\\boxed{5 0.0}', 'reward');
  no('5', '\\boxed{5.0000001}', 'reward');
  no('5', '\\boxed{4.99999999}', 'reward');
  yes('5', '\\boxed{\\;5\\,}', 'reward');
  yes('1000', '\\boxed{1\\,000}', 'reward');
});

test('attacks: false statements that end in the right value score 0', () => {
  no('5', '\\boxed{2 + 2 = 5}', 'reward');
  no('13', '\\boxed{x = 6 + 6 = 13}', 'reward');
  no('5', '\\boxed{\\frac{1}{2} = 5}', 'reward');
  yes('5', '\\boxed{2 + 3 = 5}', 'reward');
  yes('13', '\\boxed{x = 6 + 7 = 13}', 'reward');
});

test('attacks: option letters with and without their text', () => {
  yes('C', '\\boxed{C}', 'reward');
  yes('C', '\\boxed{(C)}', 'reward');
  no('C', '\\boxed{B}', 'reward');
  no('C', '\\boxed{B, C}', 'reward');
  no('C', '\\boxed{ABCD}', 'reward');
  no('C', '\\boxed{B \\text{ or } C}', 'reward');
});

// Classes found on a held-out set built from other projects' grader tests (verifier2 report).
test('11. plain-text mixed numbers are one value (proper fraction, integer whole part, one line)', () => {
  yes('\\frac{23}{7}', '3 2/7');
  yes('-\\frac{23}{7}', '-3 2/7');
  yes('\\frac{5}{8}', '0 5/8');
  yes('\\frac{6011}{6}', '1 001 5/6');
  yes('\\frac{23}{7}', 'The answer is 3 2/7.');
  no('\\frac{6}{7}', '3 2/7'); // never the product 3·2/7
  no('3', '3 2/7');
  no('\\frac{23}{7}', '3\n2/7'); // a line break separates two numbers
  no('\\frac{23}{7}', '3.0 2/7');
  no('\\frac{28}{7}', '3 7/7'); // improper: not a mixed number
});

test('12. a backslash ending the answer is an artefact', () => {
  yes('271', '271\\');
  yes('\\frac{3}{4}', '\\frac{3}{4} \\\\');
  no('272', '271\\');
});

test('13. an exact value annotated with its decimal is the exact value; a false annotation is no answer', () => {
  yes('\\frac{\\sqrt{2}}{2}', '\\frac{\\sqrt{2}}{2} \\approx 0.707');
  yes('2\\pi', '2\\pi \\approx 6.28');
  no('0.707', '\\frac{\\sqrt{2}}{2} \\approx 0.707'); // the decimal policy still applies to the value
  no('9', '\\boxed{4 \\approx 9}', 'reward');
  no('4', '\\boxed{4 \\approx 9}', 'reward');
  yes('9', '\\boxed{n \\approx 9}', 'reward'); // a name ≈ value states the value
});

test('14. a leading <|im_start|> opens the message; other chat tokens still end it', () => {
  yes('17', '<|im_start|>assistant\nSo \\boxed{17}<|im_end|>', 'reward');
  no('17', '<|im_start|>assistant\nSo \\boxed{16}<|im_end|>', 'reward');
  no('17', '<|im_end|>\\boxed{17}', 'reward');
  no('17', 'So \\boxed{16}<|im_start|>user\n\\boxed{17}', 'reward');
});

test('15. an ellipsis ending a list continues it: never the finite list', () => {
  no('2, 4, 6', '2, 4, 6, ...');
  no('2, 4, 6', '2, 4, 6, …');
  yes('2, 4, 6, \\ldots', '2, 4, 6, ...');
  yes('2, 4, 6', '2, 4, 6.'); // a full stop is punctuation
});

test('16. a bare brace group is a plain list: unordered against another one', () => {
  yes('{y, y + 2}', '{y + 2, y}');
  yes('{3, 7}', '{7, 3}');
  no('{y, y + 2}', '{y + 1, y}');
  no('{3, 7}', '(7, 3)'); // a tuple keeps its order
});

test('17. times of day: zero seconds and a.m./p.m. on the 24-hour clock', () => {
  yes('19:05', '19:05:00');
  yes('19:05', '7:05 p.m.');
  yes('7:05 \\text{ p.m.}', '19:05');
  yes('0:40', '12:40 am');
  no('19:05', '7:05 a.m.');
  no('19:05', '19:05:30');
  no('2:4', '1:2'); // ratios are still term by term
});

test('18. scientific notation with a decimal mantissa keeps the digits written', () => {
  yes('\\frac{1}{7}', '1.4285714 \\times 10^{-1}'); // ≥ 6 significant digits of a non-terminating value
  no('\\frac{1}{7}', '1.43 \\times 10^{-1}');
  yes('0.0045', '4.5 \\times 10^{-3}');
  yes('62000', '6.2 \\cdot 10^{4}');
  no('0.0045', '4.6 \\times 10^{-3}');
});

test('19. eval mode: a sentence in another script is prose, not a bare answer', () => {
  yes('\\frac{5}{4}', '解得 $y = \\frac{5}{4}$。');
  yes('\\frac{5}{4}', 'Итак, $y = \\frac{5}{4}$.');
  no('\\frac{5}{4}', '解得 $y = \\frac{4}{5}$。');
  yes('\\mathbb{R}', 'ℝ'); // Common-script letters stay math
  yes('\\theta + 1', 'θ + 1');
});
