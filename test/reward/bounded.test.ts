import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from '../../src/tasks/math/verifier/verifier.js';
import { VerifierPool } from '../../src/tasks/math/verifier/pool.js';

/** Runs fn, asserting it returns (not throws) within `ms`. */
function within<T>(ms: number, fn: () => T): T {
  const t0 = performance.now();
  const r = fn();
  const dt = performance.now() - t0;
  assert.ok(dt < ms, `took ${dt.toFixed(0)} ms`);
  return r;
}

test('a 1 MB response is handled quickly and never throws', () => {
  const big = 'blah 1 2 3 $x$ {'.repeat(70_000) + ' \\boxed{42}';
  assert.ok(big.length > 1_000_000);
  assert.equal(within(1000, () => verify('42', big, { mode: 'reward' })).correct, true);
  assert.equal(within(1000, () => verify('42', big, { mode: 'eval' })).correct, true);
  const bigBox = '\\boxed{' + '1+'.repeat(500_000) + '1}';
  assert.equal(within(1000, () => verify('42', bigBox)).correct, false);
  assert.equal(within(1000, () => verify('1'.repeat(1_000_000), '\\boxed{1}')).correct, false);
});

test('deep nesting is rejected cleanly', () => {
  const deep = '\\boxed{' + '('.repeat(5000) + '1' + ')'.repeat(5000) + '}';
  assert.equal(within(1000, () => verify('1', deep)).correct, false);
  const fracs = '\\boxed{' + '\\frac{1}{'.repeat(3000) + '2' + '}'.repeat(3000) + '}';
  within(1000, () => verify('1', fracs));
  const braces = '\\boxed{' + '{'.repeat(100_000) + '}'.repeat(100_000) + '}';
  within(1000, () => verify('1', braces));
});

test('huge powers do not hang: 10^{10^{10}}', () => {
  const r = within(1000, () => verify('10^{10^{10}}', '\\boxed{10^{10^{10}}}'));
  assert.equal(r.correct, true);
  assert.equal(within(1000, () => verify('10^{10^{10}}', '\\boxed{10^{10^{11}}}')).correct, false);
  assert.equal(within(1000, () => verify('1', '\\boxed{2^{2^{2^{2^{2^{2}}}}}}')).correct, false);
  assert.equal(within(1000, () => verify('1', '\\boxed{100000!}')).correct, false);
});

test('garbage never throws', () => {
  for (const s of [
    '\\boxed{}',
    '\\boxed{\\frac{}{}}',
    '\\boxed{)(}',
    '\\boxed{\\begin{pmatrix}}',
    '\\boxed{1 \\over 0}',
    '\\boxed{\\sqrt[-1]{2}}',
    '\\boxed{0^{-1}}',
    '\\boxed{x^}',
  ]) {
    for (const mode of ['reward', 'eval'] as const) {
      const r = verify('1', s, { mode });
      assert.equal(r.correct, false, s);
      // verify() turns any internal exception into reason 'error': that is the throw this test forbids.
      assert.ok(r.reason === 'no_answer' || r.reason === 'not_equal', `${s} (${mode}): ${r.reason}`);
    }
  }
});

test('pool: a hung worker times out within ~1.2 s, is replaced, and the pool keeps working', async () => {
  const pool = new VerifierPool({ size: 2, timeoutMs: 1000, workerUrl: new URL('./fixtures/hang-worker.js', import.meta.url) });
  try {
    assert.equal((await pool.check('2', '\\boxed{2}')).correct, true);
    const t0 = performance.now();
    const hung = pool.check('__hang__', '\\boxed{1}');
    // Other checks continue on the healthy worker meanwhile.
    const other = await pool.check('3', '\\boxed{3}');
    assert.equal(other.correct, true);
    const r = await hung;
    const dt = performance.now() - t0;
    assert.equal(r.reason, 'timeout');
    assert.equal(r.correct, false);
    assert.ok(dt >= 950 && dt < 1200, `timeout after ${dt.toFixed(0)} ms`);
    assert.equal(pool.restarts, 1);
    const after = await Promise.all([1, 2, 3, 4].map((k) => pool.check(String(k), `\\boxed{${k}}`)));
    assert.ok(after.every((x) => x.correct));
  } finally {
    await pool.close();
  }
});

test('pool: real worker gives the same verdicts as the synchronous core', async () => {
  const pool = new VerifierPool({ size: 2 });
  try {
    const cases: [string, string][] = [
      ['12.8', '\\boxed{\\frac{64}{5}}'],
      ['12.8', '\\boxed{12.7}'],
      ['x^2', 'so \\boxed{x\\cdot x}'],
    ];
    const rs = await Promise.all(cases.map(([g, p]) => pool.check(g, p)));
    assert.deepEqual(
      rs.map((r) => r.correct),
      cases.map(([g, p]) => verify(g, p).correct),
    );
    assert.ok(rs.every((r) => typeof r.ms === 'number'));
  } finally {
    await pool.close();
  }
});

test('verifyWithDeadline: same verdicts as verify; a check past its deadline is a counted timeout, then it recovers', async () => {
  const { verifyWithDeadline, deadlineStats } = await import('../../src/tasks/math/verifier/deadline.js');
  const cases: [string, string][] = [
    ['12.8', '\\boxed{\\frac{64}{5}}'],
    ['12.8', 'the answer is 12.7'],
    ['x^2', 'so \\boxed{x\\cdot x}'],
  ];
  for (const [g, p] of cases) {
    const r = verifyWithDeadline(g, p, { mode: 'eval' }, 5000);
    assert.equal(r.correct, verify(g, p, { mode: 'eval' }).correct, `${g} vs ${p}: ${r.reason}`);
  }
  const before = deadlineStats().timeouts;
  // A 1 MB response takes longer than 0.01 ms: the caller gets control back at the deadline. (On a
  // loaded machine the caller can be descheduled for as long as the check takes, so up to 3 tries.)
  const big = 'blah 1 2 3 $x$ {'.repeat(70_000) + ' \\boxed{42}';
  let r = verifyWithDeadline('42', big, { mode: 'eval' }, 0.01);
  for (let k = 0; k < 2 && r.reason !== 'timeout'; k++) r = verifyWithDeadline('42', big, { mode: 'eval' }, 0.01);
  assert.equal(r.reason, 'timeout');
  assert.equal(r.correct, false);
  assert.equal(deadlineStats().timeouts, before + 1);
  assert.equal(verifyWithDeadline('3', '\\boxed{3}').correct, true); // a fresh worker took over
});
