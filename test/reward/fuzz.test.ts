// Fuzz: ≥ 5,000 adversarial inputs (the shapes that once hung a check, nesting to 10k, 1 MB
// responses, random LaTeX token soup), each checked in both modes in-process: no check may
// throw or take 1 s. Prints the slowest checks so CI logs show the margin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from '../../src/tasks/math/verifier/verifier.js';
import { parseWithComputeEngine } from '../../src/tasks/math/verifier/ce.js';
import { fuzzInputs } from './fuzz-inputs.js';

const LIMIT_MS = 1000;

test('fuzz: 5,000+ adversarial inputs, both modes, no throw and no check over 1 s', () => {
  parseWithComputeEngine('x'); // load the compute engine once (its start-up is not a check)
  const inputs = fuzzInputs(4500, 12);
  assert.ok(inputs.length >= 5000 - 500 && inputs.length * 2 >= 5000, `only ${inputs.length} inputs`);
  const slow: { ms: number; name: string; mode: string }[] = [];
  let checks = 0;
  let max = 0;
  const t0 = performance.now();
  for (const x of inputs) {
    for (const mode of ['reward', 'eval'] as const) {
      const t = performance.now();
      const r = verify(x.gold, x.response, { mode });
      const ms = performance.now() - t;
      checks++;
      max = Math.max(max, ms);
      if (ms > 100) slow.push({ ms, name: x.name, mode });
      assert.notEqual(r.reason, 'error', `${x.name} (${mode}) errored`);
    }
  }
  slow.sort((a, b) => b.ms - a.ms);
  console.log(
    `fuzz: ${inputs.length} inputs, ${checks} checks in ${((performance.now() - t0) / 1000).toFixed(1)} s, max ${max.toFixed(0)} ms; slowest: ${
      slow
        .slice(0, 5)
        .map((s) => `${s.name}/${s.mode} ${s.ms.toFixed(0)} ms`)
        .join(', ') || 'none over 100 ms'
    }`,
  );
  assert.ok(max < LIMIT_MS, `slowest check ${max.toFixed(0)} ms: ${JSON.stringify(slow.slice(0, 3))}`);
});

test("fuzz: the issue's hang shapes are quick and score 0", () => {
  const box = (s: string) => `\\boxed{${s}}`;
  const shapes = [
    box('('.repeat(17) + '1'),
    box('['.repeat(16) + ']'),
    box('.'.repeat(40)),
    box('-'.repeat(40)),
    box('1 ' + 'm'.repeat(36) + 'X'),
    '$' + 'x\n'.repeat(500_000),
  ];
  for (const s of shapes) {
    for (const mode of ['reward', 'eval'] as const) {
      const t = performance.now();
      const r = verify('7', s, { mode });
      assert.ok(performance.now() - t < 300, `${JSON.stringify(s.slice(0, 40))} ${mode}`);
      assert.equal(r.correct, false);
    }
  }
});

// ------------------------------------------------------------------ verdicts as properties (issue 21, item 2)

import { readFileSync, existsSync } from 'node:fs';
import { extractGold } from '../../src/tasks/math/verifier/extract.js';
import { generateNearMisses, goldsOf, nearMisses, rng } from './near-miss.js';

const CORPUS = new URL('../../../../shared/data/verifier/cases.jsonl', import.meta.url);

function corpusGolds(): string[] {
  assert.ok(existsSync(CORPUS), `the development corpus is missing: ${CORPUS.pathname}`);
  return goldsOf(readFileSync(CORPUS, 'utf8'));
}

test('property: a response holding no value equal to the gold is never correct (token soup, both modes)', () => {
  // Golds that no soup of the fuzz tokens can produce: a 12-digit integer, √97, a tuple, a set.
  const golds = ['738294610573', '\\sqrt{97}', '(7, 13)', '\\{-11, 17\\}', '\\frac{19}{23}'];
  const inputs = fuzzInputs(600, 21).filter((x) => x.response.length < 100_000);
  let checks = 0;
  for (const x of inputs) {
    for (const gold of golds) {
      const digits = gold.replace(/\D/g, '');
      if (digits.length > 1 && x.response.includes(digits)) continue;
      for (const mode of ['reward', 'eval'] as const) {
        const r = verify(gold, x.response, { mode });
        checks++;
        assert.equal(r.correct, false, `${x.name} (${mode}) scored correct against ${gold}: ${JSON.stringify(x.response.slice(0, 120))}`);
        assert.notEqual(r.reason, 'error', `${x.name} (${mode}) errored`);
      }
    }
  }
  assert.ok(checks > 5_000, `only ${checks} checks`);
});

test('property: \\boxed{gold} and value-preserving rewritings of it are always correct (every corpus gold, both modes)', () => {
  const golds = corpusGolds();
  assert.ok(golds.length > 200);
  for (const gold of golds) {
    const g = extractGold(gold).trim();
    const rewrites = [
      `\\boxed{${g}}`,
      `Therefore the answer is $\\boxed{ ${g} }$.`,
      `<think>\nsome work, maybe \\boxed{0}\n</think>\nSo \\boxed{\\displaystyle ${g}}`,
      `\\boxed{${g.replace(/\\frac/g, '\\dfrac')}}`,
      `We get \\boxed{${g}}.\n\nReference solution: the answer is \\boxed{9999991}.`,
    ];
    for (const resp of rewrites) {
      for (const mode of ['reward', 'eval'] as const)
        assert.equal(verify(gold, resp, { mode }).correct, true, `${mode}: ${JSON.stringify(gold)} vs ${JSON.stringify(resp)}`);
    }
  }
});

test('property: an equivalent rewriting of a scalar gold is correct; -G and G + 10^{-30} are not', () => {
  let n = 0;
  for (const gold of corpusGolds()) {
    const g = extractGold(gold).trim();
    // Scalar expressions only (no lists, relations, sets, text, percent, degrees, infinity, base subscripts).
    if (
      g.includes('_') ||
      /[,;=<>:%]|\\(?:text|begin|cup|in|le|ge|ne|pm|mp|infty|circ|mathbb|emptyset|%)|^[[(].*[\])]$|[A-Za-z]{3,}/.test(
        g.replace(/\\(?:frac|sqrt|pi|cdot|left|right|log|ln|sin|cos|tan|times|dfrac)/g, ''),
      )
    )
      continue;
    const ok = verify(gold, `\\boxed{${g}}`, { mode: 'eval' }).correct;
    if (!ok) continue;
    n++;
    assert.equal(verify(gold, `\\boxed{2\\cdot\\frac{${g}}{2}}`, { mode: 'eval' }).correct, true, `2·(G)/2 for ${g}`);
    assert.equal(verify(gold, `\\boxed{\\left(${g}\\right)+\\left(${g}\\right)-\\left(${g}\\right)}`, { mode: 'reward' }).correct, true, `G+G-G for ${g}`);
    assert.equal(verify(gold, `\\boxed{\\left(${g}\\right)+10^{-30}}`, { mode: 'eval' }).correct, false, `G+10^-30 for ${g}`);
  }
  assert.ok(n >= 80, `only ${n} scalar golds`); // 90 of the corpus golds are scalar expressions
});

test('metamorphic: reordering an unordered list keeps the verdict; changing one digit flips it', () => {
  let lists = 0;
  let flips = 0;
  const rand = rng(7);
  for (const gold of corpusGolds()) {
    const g = extractGold(gold).trim();
    const base = verify(gold, `\\boxed{${g}}`, { mode: 'reward' }).correct;
    assert.equal(base, true);
    // A plain comma list (no enclosing brackets) or a \{set\}: reversed, it is the same answer.
    const set = /^\\\{(.*)\\\}$/.exec(g);
    const body = set ? set[1]! : !/^[[(]/.test(g) && !/[=<>]|\\le|\\ge/.test(g) ? g : null;
    // (Grouped thousands, 900,\!000 or 7,425,000, are one number, not a list.)
    if (body && body.includes(',') && !/\\!|\{,\}|^\d{1,3}(?:,\d{3})+$/.test(body)) {
      const parts: string[] = [];
      let depth = 0;
      let start = 0;
      for (let i = 0; i < body.length; i++) {
        const c = body[i]!;
        if ('([{'.includes(c)) depth++;
        else if (')]}'.includes(c)) depth--;
        else if ((c === ',' && depth === 0 && !/\d/.test(body[i + 1] ?? '')) || (c === ',' && depth === 0 && body[i + 1] === ' ')) {
          parts.push(body.slice(start, i));
          start = i + 1;
        }
      }
      parts.push(body.slice(start));
      if (parts.length >= 2) {
        const rev = parts
          .map((p) => p.trim())
          .reverse()
          .join(', ');
        const resp = set ? `\\boxed{\\{${rev}\\}}` : `\\boxed{${rev}}`;
        assert.equal(verify(gold, resp, { mode: 'reward' }).correct, base, `reversed ${g} → ${resp}`);
        lists++;
      }
    }
    // One digit changed (the value changes, by exact arithmetic): the verdict flips.
    for (const m of nearMisses(gold, rand)
      .filter((x) => x.family === 'digit')
      .slice(0, 2)) {
      assert.equal(verify(gold, `\\boxed{${m.mutant}}`, { mode: 'reward' }).correct, false, `digit change ${g} → ${m.mutant}`);
      assert.equal(verify(gold, `The final answer is $${m.mutant}$.`, { mode: 'eval' }).correct, false, `digit change (eval) ${g} → ${m.mutant}`);
      flips++;
    }
  }
  // A long unordered list, shuffled, and with one member changed.
  const xs = Array.from({ length: 1000 }, (_, i) => 7 * i - 300);
  const shuffled = [...xs].sort(() => rand() - 0.5);
  assert.equal(verify(xs.join(', '), `\\boxed{${shuffled.join(', ')}}`, { mode: 'reward' }).correct, true, '1,000 items, shuffled');
  shuffled[500] = shuffled[500]! + 1;
  assert.equal(verify(xs.join(', '), `\\boxed{${shuffled.join(', ')}}`, { mode: 'reward' }).correct, false, '1,000 items, one changed');
  // Written lists beside the corpus's few (4): reordered, the verdict stays; against a wrong gold too.
  for (const [gold, items] of [
    ['-3, 5, 8', ['-3', '5', '8']],
    ['\\frac{1}{2}, \\sqrt{2}, -\\pi', ['\\frac{1}{2}', '\\sqrt{2}', '-\\pi']],
    ['(1,2), (3,4)', ['(1,2)', '(3,4)']],
  ] as const) {
    const rev = [...items].reverse().join(', ');
    assert.equal(verify(gold, `\\boxed{${rev}}`, { mode: 'reward' }).correct, true, `reversed ${gold}`);
    assert.equal(verify(`${gold}, 99`, `\\boxed{${rev}}`, { mode: 'reward' }).correct, false, `reversed, against a longer gold ${gold}`);
    lists++;
  }
  assert.ok(lists >= 7, `only ${lists} list golds`);
  assert.ok(flips >= 150, `only ${flips} digit flips`); // 172 with seed 7
});

test('self-attack sample: 1,000 near-misses of the corpus golds, 0 false positives in both modes', () => {
  const cases = generateNearMisses(corpusGolds(), 1000, 2024);
  assert.equal(cases.length, 1000);
  const families = new Set(cases.map((c) => c.family));
  for (const f of ['digit', 'sign', 'offset', 'range', 'candidates']) assert.ok(families.has(f), `no ${f} near-misses`);
  const fps: string[] = [];
  for (const c of cases) {
    for (const mode of ['reward', 'eval'] as const) {
      if (verify(c.gold, c.response, { mode }).correct) fps.push(`${mode} ${c.family}: ${c.gold} vs ${c.mutant}`);
    }
  }
  assert.deepEqual(fps, []);
});
