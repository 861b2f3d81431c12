// The paper's reward (`--reward paper`): verdicts of the DeepScaleR grader that the 1-shot RLVR
// fork trained and validated with. Each expected verdict below was worked out by reading that
// grader's definitions (last_boxed_only_string / remove_boxed, mathd_normalize_answer,
// _normalize, grade_answer_sympy); the reason is given per row. They are facts about the paper's
// run, not about our verifier: our own reward deliberately differs on several (see docs/PAPER.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradeSympy, latexToText, mathdNormalize, paperLastBoxed, sympyNormalize, verifyPaper } from '../../src/tasks/math/paper/paper.js';
import { verify } from '../../src/tasks/math/verifier/verifier.js';
import { VerifierPool } from '../../src/tasks/math/verifier/pool.js';

const paper = (gold: string, response: string) => (verifyPaper(gold, response).correct ? 1 : 0);

// [response, verdict, why] for gold 12.8 (π1's answer).
const GOLD_12_8: [string, 0 | 1, string][] = [
  ['The velocity is \\boxed{12.8}.', 1, 'mathd: identical strings'],
  ['\\boxed{12.80}', 1, 'sympy: 12.8 - 12.80 simplifies to 0 (neither is an integer or a/b fraction)'],
  ['\\boxed{\\frac{64}{5}}', 1, 'sympy: LaTeX to text gives 64/5; 12.8 - 64/5 = 0'],
  ['\\boxed{64/5}', 1, 'sympy: 12.8 is not of the form a/b, so the unreduced-fraction rule does not apply'],
  ['so $V = \\boxed{12.8} \\text{ mph}$', 1, 'the box content is 12.8; text after the box is not read'],
  ['\\boxed{V = 12.8}', 1, 'mathd: "X = v" with a left side of at most 2 characters is v'],
  ['\\boxed{12.8 mph}', 0, 'mph is not in the unit word list; 3 unknown letters stop the sympy check'],
  ['\\boxed{12.8 \\, \\text{mph}}', 0, '"\\text{" is not "\\text{ " (no right-unit strip); mph blocks sympy'],
  ['We get \\boxed{12.8', 0, 'unclosed last box: no answer, and no fall-back to an earlier one'],
  ['\\fbox{12.8}', 0, '\\fbox is found only without any \\boxed, then fails the "\\boxed{" prefix check'],
  ['The velocity is 12.8 miles per hour.', 0, 'no box: no answer'],
];

test('paper reward: the verdict table for gold 12.8', () => {
  for (const [response, want, why] of GOLD_12_8) assert.equal(paper('12.8', response), want, `${response}: ${why}`);
});

test('paper reward: gold \\frac{4}{3} (π13): no decimal rounding, no unreduced fractions', () => {
  assert.equal(paper('\\frac{4}{3}', '\\boxed{1.333}'), 0, 'sympy: 4/3 - 1.333 is not 0');
  assert.equal(paper('\\frac{4}{3}', '\\boxed{1.3333}'), 0, 'a 4-decimal rounding is still not 4/3');
  assert.equal(paper('\\frac{4}{3}', '\\boxed{\\frac{8}{6}}'), 0, 'both are a/b fractions: must be written identically');
  assert.equal(paper('\\frac{4}{3}', '\\boxed{4/3}'), 1, 'mathd: 4/3 becomes \\frac{4}{3}');
  assert.equal(paper('\\frac{4}{3}', '\\boxed{\\dfrac43}'), 1, 'mathd: dfrac → frac, \\frac43 → \\frac{4}{3}');
});

test('paper reward: more facts of the grader', () => {
  assert.equal(paper('12.8', '\\boxed 12.8'), 0, 'a brace-less box fails the "\\boxed{" prefix check');
  assert.equal(paper('12.8', '\\boxed{12.8} then \\boxed{13'), 0, 'the last box is unclosed: no fall-back');
  assert.equal(paper('12.8', '\\boxed{12.8 \\text{ mph}}'), 1, 'mathd strips everything from "\\text{ " on');
  assert.equal(paper('12.8', '\\boxed{12.8 miles}'), 1, '"mile" is in the unit word list of the sympy normalisation');
  assert.equal(paper('12.8', '\\boxed{\\text{12.8}}'), 1, 'a whole-answer \\text{} is unwrapped');
  assert.equal(paper('5', '\\boxed{\\frac{10}{2}}'), 0, 'an integer gold needs an integer answer string');
  assert.equal(paper('5', '\\boxed{5.0}'), 1, 'a float that is an integer is printed as one');
  assert.equal(paper('x^2+1', '\\boxed{1+x^2}'), 1, 'sympy: symbolic difference 0');
  assert.equal(paper('\\sqrt{1/n}', '\\boxed{\\frac{1}{\\sqrt{n}}}'), 0, 'not an identity over the complex numbers');
  assert.equal(paper('\\sqrt{17}', '\\boxed{4.123105625617661}'), 0, 'a float never equals an irrational in sympy');
  assert.equal(paper('\\boxed{7}', 'so \\boxed{7}'), 1, 'a boxed gold is extracted first');
  // The fork scored prompt + response with special tokens and nothing cut: text after a chat
  // token still counts, so the last box wins even in a hallucinated next turn.
  assert.equal(paper('12.8', '\\boxed{12.8}<|im_end|>\n<|im_start|>user\nNow \\boxed{3}'), 0);
  assert.equal(paper('12.8', '\\boxed{12.8}<|endoftext|>'), 1);
});

test('paper reward: the normalisations piece by piece', () => {
  assert.equal(paperLastBoxed('a \\boxed{\\frac{1}{2}} b'), '\\frac{1}{2}');
  assert.equal(paperLastBoxed('\\fbox{1}'), null);
  assert.equal(mathdNormalize(' \\text{0.5} '), '\\frac{1}{2}');
  assert.equal(mathdNormalize('\\sqrt3/2'), '\\sqrt{3}/2');
  assert.equal(mathdNormalize('10\\text{ cm} and \\text{ m}'), '10\\text{ cm} and \\text{ m}', 'two "\\text{ " raise; the input is kept');
  assert.equal(latexToText(' \\frac{x+1}{2}'), ' x+1/2', 'pylatexenc puts no brackets around fraction parts');
  assert.equal(latexToText('\\sqrt[3]{2}'), '√(2)', 'and drops a root index');
  assert.equal(sympyNormalize('\\frac{\\sqrt{3}}{2}'), 'sqrt(3)/2');
  assert.equal(sympyNormalize('1,000'), '1000');
  assert.equal(gradeSympy('(1, 2)', '(1,2)'), true);
  assert.equal(gradeSympy('[1, 2)', '(1,2)'), false, 'tuple brackets must match');
});

test('reward (ours, any preset): a truncated response with an unclosed final box is never rewarded', () => {
  const cut = 'so the speed is \\boxed{12.8';
  assert.equal(verify('12.8', cut, { mode: 'reward' }).correct, false, 'without the flag too (issue 24): an unclosed final box is no answer');
  assert.equal(verify('12.8', cut, { mode: 'eval' }).correct, false, 'in eval mode too');
  const r = verify('12.8', cut, { mode: 'reward', truncated: true });
  assert.equal(r.correct, false);
  assert.equal(r.reason, 'no_answer');
  assert.equal(verify('12.8', 'first \\boxed{12.8}, then \\boxed{12.8', { mode: 'reward', truncated: true }).correct, false, 'no fall-back to the earlier box');
  assert.equal(verify('12.8', 'done: \\boxed{12.8} and then more words', { mode: 'reward', truncated: true }).correct, true, 'a closed box still counts');
  assert.equal(verify('12.8', cut, { mode: 'paper', truncated: true }).correct, false);
});

test('reward pool: per-item truncation flag and the paper mode', async () => {
  const pool = new VerifierPool({ size: 1 });
  try {
    const items = [
      { gold: '12.8', response: '\\boxed{12.8', truncated: true },
      { gold: '12.8', response: '\\boxed{12.8' },
      { gold: '12.8', response: '\\boxed{12.8 mph}' },
    ];
    assert.deepEqual(await pool.rewards(items), [0, 0, 1]); // an unclosed final box is no answer, flag or not (issue 24)
    assert.deepEqual(await pool.rewards(items, { mode: 'paper' }), [0, 0, 0]);
  } finally {
    await pool.close();
  }
});
