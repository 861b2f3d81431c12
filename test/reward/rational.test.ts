// The verifier's exact rationals (src/tasks/math/verifier/rational.ts) against Python's fractions.Fraction on
// seeded random operands: sums, products, quotients, comparisons, integer powers (negative too),
// exact roots, decimal parsing and the double conversion. The mutation run (npm run mutate:reward)
// found that the class tests alone let wrong arithmetic here survive: the 40-digit path behind it
// often gave the same verdict.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { add, cmp, div, isInt, mul, parseDecimal, powInt, rat, ratToString, rootRat, sub, toNumber, type Rat } from '../../src/tasks/math/verifier/rational.js';
import { Rng } from '../../src/data/rng.js';
import { repoRoot } from '../helpers/paths.js';
import { runPython } from '../helpers/python.js';

const show = (r: Rat | null) => (r === null ? null : `${r.n}/${r.d}`);

test('exact rationals = Python fractions.Fraction on 3,000 seeded operations', () => {
  const rng = new Rng(2026);
  const int = (max: number) => BigInt(Math.floor(rng.float() * (2 * max + 1)) - max);
  const big = () => (rng.float() < 0.3 ? int(10) * 10n ** BigInt(Math.floor(rng.float() * 40)) : int(1000));
  const operand = (): Rat => {
    for (;;) {
      const d = big();
      const r = d === 0n ? null : rat(big(), d);
      if (r) return r;
    }
  };
  const ops: unknown[][] = [];
  const ours: unknown[] = [];
  for (let i = 0; i < 300; i++) {
    const a = operand(),
      b = operand();
    const zero = rat(0n)!;
    for (const [name, f] of [
      ['add', add],
      ['sub', sub],
      ['mul', mul],
      ['div', div],
    ] as const) {
      ops.push([name, show(a), show(b)]);
      ours.push(show(f(a, b)));
    }
    ops.push(['div', show(a), show(zero)]);
    ours.push(show(div(a, zero)));
    ops.push(['cmp', show(a), show(b)]);
    ours.push(cmp(a, b));
    const k = BigInt(Math.floor(rng.float() * 9) - 4);
    const small = rat(int(12), BigInt(1 + Math.floor(rng.float() * 12)))!;
    ops.push(['pow', show(small), String(k)]);
    ours.push(show(powInt(small, k)));
    const rootK = 2 + Math.floor(rng.float() * 3);
    const base = rat(int(30), BigInt(1 + Math.floor(rng.float() * 30)))!;
    const perfect = rng.float() < 0.5 ? powInt(base, BigInt(rootK))! : add(powInt(base, BigInt(rootK))!, rat(1n, 7n)!)!;
    ops.push(['root', show(perfect), String(rootK)]);
    ours.push(show(rootRat(perfect, rootK)));
    ops.push(['isint', show(a)]);
    ours.push(isInt(a));
    ops.push(['num', show(small)]);
    ours.push(toNumber(small));
  }
  const decimals = ['0', '-0', '12.80', '-.5', '.4', '1e-3', '2.5E+2', '-3.25e-4', '007', '1.', '12', '1e400'];
  for (const s of decimals) {
    ops.push(['parse', s]);
    ours.push(show(parseDecimal(s)));
  }
  const ref = JSON.parse(runPython(path.join(repoRoot, 'test/py/fractions_ref.py'), [], JSON.stringify(ops))) as unknown[];
  assert.equal(ref.length, ours.length);
  const wrong = ops.map((o, i) => [o, ours[i], ref[i]] as const).filter(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b));
  assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of ${ops.length} operations differ from fractions.Fraction`);
  // Strings are n/d in lowest terms with a positive denominator; integers print without one.
  assert.equal(ratToString(rat(6n, -4n)!), '-3/2');
  assert.equal(ratToString(rat(8n, 4n)!), '2');
});
