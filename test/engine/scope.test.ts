// Scope semantics: tidy frees intermediates; returned tensors survive and move to the parent
// scope; keep() survives every scope; a throw inside tidy frees everything; `using` frees.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveTensors, ones, scopeDepth, tidy, zeros, type Tensor } from '../../src/engine/index.js';
import { DEVICE } from './parity.js';

const dev = { device: DEVICE };

test('tidy frees intermediates and keeps what it returns', () => {
  const live = liveTensors();
  let inner: Tensor[] = [];
  const y = tidy(() => {
    const a = ones([4], dev);
    const b = a.mul(2);
    const c = b.add(1);
    inner = [a, b];
    return c;
  });
  assert.equal(liveTensors(), live + 1);
  assert.ok(inner.every((t) => t.isDisposed));
  assert.equal(y.isDisposed, false);
  assert.deepEqual(y.toNumbers(), [3, 3, 3, 3]);
  assert.equal(y.scope, null, 'outside any tidy, a returned tensor is owned by the caller');
  y.dispose();
  assert.equal(liveTensors(), live);
});

test('returned tensors move to the parent scope, which frees them unless returned again', () => {
  const live = liveTensors();
  let fromInner: Tensor | null = null;
  const out = tidy(() => {
    assert.equal(scopeDepth(), 1);
    fromInner = tidy(() => {
      assert.equal(scopeDepth(), 2);
      ones([2], dev);
      return zeros([2], dev);
    });
    assert.equal(fromInner.isDisposed, false);
    const keepMe = tidy(() => ones([3], dev));
    return { keepMe, list: [keepMe.add(1)], map: new Map([['k', keepMe.mul(2)]]) };
  });
  assert.equal(scopeDepth(), 0);
  assert.equal(fromInner!.isDisposed, true, 'moved to the outer scope and freed there');
  assert.equal(out.keepMe.isDisposed, false);
  assert.equal(out.list[0]!.isDisposed, false, 'tensors inside returned arrays survive');
  assert.equal(out.map.get('k')!.isDisposed, false, 'tensors inside returned Maps survive');
  assert.equal(liveTensors(), live + 3);
  for (const t of [out.keepMe, out.list[0]!, out.map.get('k')!]) t.dispose();
  assert.equal(liveTensors(), live);
});

test('keep() survives every scope until dispose()', () => {
  const live = liveTensors();
  let kept: Tensor | null = null;
  tidy(() =>
    tidy(() => {
      kept = ones([2], dev).mul(5).keep();
    }),
  );
  assert.equal(kept!.isDisposed, false);
  assert.equal(kept!.isKept, true);
  assert.deepEqual(kept!.toNumbers(), [5, 5]);
  kept!.dispose();
  assert.equal(liveTensors(), live);
});

test('an error inside tidy frees everything created in it and rethrows', () => {
  const live = liveTensors();
  let made: Tensor[] = [];
  assert.throws(
    () =>
      tidy(() => {
        made = [ones([2], dev), zeros([3], dev)];
        tidy(() => ones([5], dev));
        throw new Error('inside');
      }),
    /inside/,
  );
  assert.ok(made.every((t) => t.isDisposed));
  assert.equal(scopeDepth(), 0, 'the scope stack is restored');
  assert.equal(liveTensors(), live);
  // A libtorch error thrown mid-scope behaves the same.
  assert.throws(() => tidy(() => ones([2, 3], dev).matmul(ones([2, 3], dev))), /cannot be multiplied/);
  assert.equal(liveTensors(), live);
});

test('`using` frees at the end of the block; dispose() is idempotent', () => {
  const live = liveTensors();
  let escaped: Tensor | null = null;
  {
    using t = ones([8], dev);
    escaped = t;
    assert.equal(liveTensors(), live + 1);
  }
  assert.equal(escaped!.isDisposed, true);
  assert.equal(liveTensors(), live);
  const t = ones([1], dev);
  t.dispose();
  t.dispose();
  assert.equal(liveTensors(), live);
  // Disposing a tensor early inside tidy is fine; tidy skips it.
  tidy(() => {
    const a = ones([2], dev);
    a.dispose();
    return null;
  });
  assert.equal(liveTensors(), live);
});

test('in-place ops and views do not leak handles', () => {
  const live = liveTensors();
  tidy(() => {
    const a = zeros([4, 4], dev);
    a.add_(1).mul_(3).clamp_(0, 2);
    a.slice(0, 0, 2).fill_(7);
    const parts = a.split(1, 0);
    assert.equal(parts.length, 4);
    assert.deepEqual(a.select(0, 0).toNumbers(), [7, 7, 7, 7]);
    assert.deepEqual(a.select(0, 3).toNumbers(), [2, 2, 2, 2]);
  });
  assert.equal(liveTensors(), live);
});
