// The device table (src/engine/device.ts): the decisions that used to be `startsWith('cuda')` tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { deviceCaps, deviceKind, isAccelerator, rankDevice } from '../../src/engine/device.js';
import { deviceMemoryBytes } from '../../src/engine/device-memory.js';
import { resolveComputeDtype } from '../../src/engine/precision.js';
import { useVarlen } from '../../src/rollout/attention.js';

test('device names map to their kind; unknown names are not accelerators', () => {
  assert.equal(deviceKind('cpu'), 'cpu');
  assert.equal(deviceKind('cuda'), 'cuda');
  assert.equal(deviceKind('cuda:3'), 'cuda');
  assert.equal(deviceKind('cudax'), 'cpu');
  assert.equal(isAccelerator('cuda:1'), true);
  assert.equal(isAccelerator('cpu'), false);
});

test('the table drives compute dtype, varlen attention, rank devices and micro-batch caps', () => {
  assert.equal(resolveComputeDtype('auto', 'cpu'), 'float32');
  assert.equal(resolveComputeDtype('auto', 'cuda:0'), 'bfloat16');
  assert.equal(resolveComputeDtype('float16', 'cpu'), 'float16');
  assert.equal(useVarlen('cuda', 'bfloat16'), true);
  assert.equal(useVarlen('cuda', 'float32'), false);
  assert.equal(useVarlen('cpu', 'bfloat16'), false);
  assert.equal(rankDevice('cuda', 2, 4), 'cuda:2');
  assert.equal(rankDevice('cuda', 0, 1), 'cuda');
  assert.equal(rankDevice('cpu', 2, 4), 'cpu');
  assert.equal(deviceCaps('cpu').maxMicroBatchTokens, 1024);
  assert.equal(deviceCaps('cuda').maxMicroBatchTokens, undefined);
  assert.equal(deviceCaps('cuda').collectiveBackend, 'nccl');
  assert.equal(deviceCaps('cpu').collectiveBackend, 'gloo');
});

test('CPU memory is host RAM: total and free', () => {
  assert.equal(deviceMemoryBytes('cpu', 'total'), os.totalmem());
  const free = deviceMemoryBytes('cpu', 'free');
  assert.ok(free > 0 && free <= os.totalmem());
});
