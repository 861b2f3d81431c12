// The plan on CPU (issue 27): micro-batches sized from the memory it is given (the trainer gives
// available host memory, not total RAM) and capped at the measured cache-friendly token count;
// the KV budget never above what the step can need. On a GPU the same settings keep the old
// rules (no cap at the worst case). Available memory comes from /proc/meminfo's MemAvailable.
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { test } from 'node:test';
import { availableHostBytes, deviceMemoryBytes } from '../../src/engine/device-memory.js';
import { deviceCaps } from '../../src/engine/device.js';
import { activationBytes } from '../../src/memory-plan/memory.js';
import { planRun, type PlanSettings } from '../../src/memory-plan/plan.js';
import { SMOLLM2_135M } from '../../bench/shapes.js';

// Issue 27's configuration: 4 prompts × 8 rollouts, 128 new tokens, KL 0.001.
const settings: PlanSettings = {
  trainBatchSize: 4,
  groupSize: 8,
  maxPromptLength: 256,
  maxResponseLength: 128,
  klCoef: 0.001,
  microBatchTokens: 'auto',
  activationCheckpointing: 'auto',
  kvBudgetBytes: 'auto',
};
const plan = (device: string, bytes: number) => planRun(SMOLLM2_135M, settings, device, bytes, 'float32');

test('CPU: plenty of memory → the cache-friendly cap (or one longest sequence), no checkpointing, and a KV budget of the worst case only', () => {
  const cap = deviceCaps('cpu').maxMicroBatchTokens!;
  const p = plan('cpu', 64e9);
  assert.equal(p.training.microBatchTokens, cap);
  assert.equal(p.training.activationCheckpointing, false);
  assert.equal(p.kv.budget, p.kv.worstPeak);
  assert.equal(p.kv.worstCaseWaves, 1);
  assert.ok(p.fits);
  // A GPU of the same size: no cap at the worst case (the budget is what is left).
  const g = plan('cuda', 64e9);
  assert.ok(g.kv.budget > 10 * g.kv.worstPeak);
  assert.ok(g.training.microBatchTokens > cap);
  // Long prompts, short responses: the budget still holds the prompts plus one whole row.
  const longPrompts = planRun(SMOLLM2_135M, { ...settings, maxPromptLength: 1024, maxResponseLength: 6 }, 'cpu', 64e9, 'float32');
  assert.ok(longPrompts.fits, longPrompts.problems.join('; '));
  // One longest sequence (1030 tokens) needs 2048: above the cap, and no checkpointing (memory is plenty).
  assert.equal(longPrompts.training.microBatchTokens, 2048);
  assert.equal(longPrompts.training.activationCheckpointing, false);
  assert.equal(longPrompts.kv.worstCaseWaves, 1);
});

test('CPU: the micro-batch follows the memory given, and the update fits in it', () => {
  const cap = deviceCaps('cpu').maxMicroBatchTokens!;
  // Weights, gradients, AdamW, the reference, the head chunk and the 2 GB margin are ~5.5 GB;
  // each 1024 tokens of float32 activations ~1.4 GB.
  const perStep = activationBytes(SMOLLM2_135M, 1024, 4, false);
  const tight = plan('cpu', 5.6e9 + perStep);
  assert.equal(tight.training.microBatchTokens, 1024);
  assert.ok(tight.updatePeak <= 5.6e9 + perStep);
  assert.ok(tight.fits);
  const more = plan('cpu', 5.6e9 + 3 * perStep);
  assert.equal(more.training.microBatchTokens, Math.min(cap, 3072));
  // Below one micro-batch without checkpointing: checkpointing comes on.
  assert.equal(plan('cpu', 5.8e9).training.activationCheckpointing, true);
});

test('available host memory: MemAvailable, else os.freemem(); the CPU device adds what the process holds', () => {
  const meminfo = 'MemTotal:       24000000 kB\nMemFree:         1000000 kB\nMemAvailable:    9000000 kB\n';
  assert.equal(availableHostBytes(meminfo), 9000000 * 1024);
  const free = availableHostBytes('MemTotal: 1 kB\n');
  assert.ok(free > 0 && free <= os.totalmem());
  const avail = deviceMemoryBytes('cpu', 'available');
  assert.ok(avail > process.memoryUsage().rss && avail <= os.totalmem() + process.memoryUsage().rss);
});
