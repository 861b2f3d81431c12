// The device table (src/engine/device.ts): the decisions that used to be `startsWith('cuda')` tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { deviceCaps, deviceKind, isAccelerator, rankDevice } from '../../src/engine/device.js';
import { deviceMemoryBytes } from '../../src/engine/device-memory.js';
import * as fs from 'node:fs';
import { cpuHasNativeBf16, cpuinfoHasBf16, resolveComputeDtype } from '../../src/engine/precision.js';
import { native } from '../../src/engine/native.js';
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
  // CPU: bf16 where the CPU multiplies bf16 natively (bench/results/cpu-dtype.json), else float32.
  assert.equal(resolveComputeDtype('auto', 'cpu'), cpuHasNativeBf16() ? 'bfloat16' : 'float32');
  assert.equal(resolveComputeDtype('float32', 'cpu'), 'float32');
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

test("CPU bf16 detection: libtorch's cpuinfo agrees with /proc/cpuinfo's flags; the flag parser", () => {
  const caps = native.cpuCapabilities();
  assert.equal(typeof caps.cpu, 'string');
  assert.equal(cpuHasNativeBf16(), caps.mkldnn && (caps.avx512Bf16 || caps.amxBf16));
  if (process.arch === 'x64' && fs.existsSync('/proc/cpuinfo')) {
    const flags = /^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))![1]!.trim().split(/\s+/);
    assert.equal(caps.avx512Bf16, flags.includes('avx512_bf16'));
    assert.equal(caps.amxBf16, flags.includes('amx_bf16'));
    // x86 builds of libtorch ship oneDNN, enabled by default.
    assert.equal(caps.mkldnn, true);
  }
  assert.equal(cpuinfoHasBf16('processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n'), true);
  assert.equal(cpuinfoHasBf16('flags\t\t: fpu avx2 amx_bf16 amx_tile\n'), true);
  assert.equal(cpuinfoHasBf16('flags\t\t: fpu avx2 avx512f avx512_vnni\n'), false);
  assert.equal(cpuinfoHasBf16('Features\t: fp asimd bf16\n'), false);
  assert.equal(cpuinfoHasBf16(''), false);
});
