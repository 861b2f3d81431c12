// The rollout engine's KV budget on CUDA (src/rollout/engine.ts kvBudgetFrom): what the caching
// allocator holds reserved but unused counts as available, beside the driver's free memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvBudgetFrom, SAMPLING_BYTES_PER_LOGIT, TOP_P_EXTRA_BYTES_PER_LOGIT } from '../../src/rollout/engine.js';

const GiB = 2 ** 30;

test("reserved-but-free memory counts: after an update most of the device is in the allocator's cache", () => {
  // 80 GiB card after a training step: 60 GiB reserved, 20 GiB of it allocated (weights, optimizer), 18 GiB free at the driver.
  const after = { freeBytes: 18 * GiB, reservedBytes: 60 * GiB, allocatedBytes: 20 * GiB };
  const b = kvBudgetFrom(after, 0, 0, false);
  assert.equal(b, 0.9 * (18 + 40) * GiB - 2 * GiB);
  // The driver's free memory alone would give far less.
  assert.ok(b > 2.5 * kvBudgetFrom({ ...after, reservedBytes: after.allocatedBytes }, 0, 0, false));
});

test('the sampling workspace per row and logit is taken off, more with top-p; never negative', () => {
  const m = { freeBytes: 10 * GiB, reservedBytes: 0, allocatedBytes: 0 };
  const rows = 64;
  const vocab = 151_936;
  assert.equal(kvBudgetFrom(m, rows, vocab, false), 0.9 * 10 * GiB - 2 * GiB - rows * vocab * SAMPLING_BYTES_PER_LOGIT);
  assert.equal(kvBudgetFrom(m, rows, vocab, true), 0.9 * 10 * GiB - 2 * GiB - rows * vocab * (SAMPLING_BYTES_PER_LOGIT + TOP_P_EXTRA_BYTES_PER_LOGIT));
  assert.equal(kvBudgetFrom({ freeBytes: GiB, reservedBytes: 0, allocatedBytes: 0 }, rows, vocab, false), 0);
  // allocated > reserved cannot happen, but a stale read must not make the budget grow.
  assert.equal(kvBudgetFrom({ freeBytes: 10 * GiB, reservedBytes: GiB, allocatedBytes: 2 * GiB }, 0, 0, false), 0.9 * 10 * GiB - 2 * GiB);
});
