// Mixed precision: autocast regions and TF32.
//
// The policy of the trainer (see docs/ARCHITECTURE.md, "Mixed precision"): parameters, gradients
// and AdamW states stay float32 (master weights); matmuls and attention run in bf16 inside an
// autocast region. Autocast works in the dispatcher (the Autocast* keys), so every op this
// package calls by name is cast exactly as under torch.autocast: linear/matmul/SDPA in the low
// dtype, reductions like log_softmax in float32 on CUDA. Gradients reach the float32 leaves
// through the casts' backward in float32, so micro-batch accumulation and AdamW see float32.
// Weights are cast once per region (autocast's cache of cast leaf tensors), which is why the
// trainer keeps one region around all micro-batches of an update.
import * as fs from 'node:fs';
import { dtypeCode, dtypeFromCode, type DType, type Device } from './dtype.js';
import { native } from './native.js';
import { deviceCaps } from './device.js';

/** What a run asks for; 'auto' is bf16 on CUDA and on CPUs with native bf16 matmuls (cpuHasNativeBf16), float32 elsewhere. */
export type ComputeDTypeSetting = 'auto' | 'float32' | 'bfloat16' | 'float16';

/** The dtype matmuls run in on `device` for a setting. */
export function resolveComputeDtype(setting: ComputeDTypeSetting, device: Device): 'float32' | 'bfloat16' | 'float16' {
  if (setting !== 'auto') return setting;
  const auto = deviceCaps(device).autoComputeDtype;
  if (auto === 'bfloat16-if-native') return cpuHasNativeBf16() ? 'bfloat16' : 'float32';
  return auto;
}

let nativeBf16: boolean | undefined;

/**
 * Whether this CPU multiplies bf16 matrices in hardware: AVX-512 BF16 or AMX-BF16, which
 * libtorch's oneDNN kernels use for bf16 linear/matmul (without them bf16 is emulated and slower
 * than float32). Asked of libtorch's own cpuinfo (with oneDNN enabled); where the addon cannot
 * load (`rlvr plan` needs none) /proc/cpuinfo's flags answer. Read once.
 */
export function cpuHasNativeBf16(): boolean {
  if (nativeBf16 === undefined) {
    let caps: { avx512Bf16: boolean; amxBf16: boolean; mkldnn: boolean } | null = null;
    try {
      caps = native.cpuCapabilities();
    } catch {
      caps = null;
    }
    nativeBf16 = caps ? caps.mkldnn && (caps.avx512Bf16 || caps.amxBf16) : cpuinfoHasBf16(readCpuinfo());
  }
  return nativeBf16;
}

function readCpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** Whether /proc/cpuinfo's flags name a bf16 matmul instruction set (avx512_bf16, amx_bf16). */
export function cpuinfoHasBf16(cpuinfo: string): boolean {
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.trim().split(/\s+/) ?? [];
  return flags.includes('avx512_bf16') || flags.includes('amx_bf16');
}

function deviceType(device: Device): string {
  return device.split(':')[0]!;
}

/**
 * Runs fn with autocast to `dtype` on `device`'s type (float32 or null: fn runs as is). fn must
 * be synchronous: the autocast state is thread-local and would leak across an await.
 */
export function autocast<T>(device: Device, dtype: DType | null, fn: () => T): T {
  if (dtype === null || dtype === 'float32') return fn();
  const type = deviceType(device);
  const [was, prev] = native.autocastEnter(type, dtypeCode(dtype));
  try {
    const out = fn();
    if (out instanceof Promise) throw new Error('autocast: the function must be synchronous');
    return out;
  } finally {
    native.autocastExit(type, was, prev);
  }
}

/**
 * Runs fn with autocast off on `device`'s type, keeping the enclosing region's cache of cast
 * weights: backward passes run here, in the dtypes the forward ops chose (as PyTorch advises).
 */
export function withoutAutocast<T>(device: Device, fn: () => T): T {
  const type = deviceType(device);
  const was = native.autocastSetEnabled(type, false);
  try {
    return fn();
  } finally {
    native.autocastSetEnabled(type, was);
  }
}

/** Whether autocast is on for `device`'s type, and its dtype. */
export function autocastState(device: Device): { enabled: boolean; dtype: DType } {
  const [enabled, code] = native.autocastState(deviceType(device));
  return { enabled, dtype: dtypeFromCode(code) };
}

/**
 * TF32 tensor cores for float32 matmuls and convolutions on CUDA (Ampere and later): ~8× the
 * float32 throughput at a 10-bit mantissa, PyTorch's `allow_tf32 = True`. CPU kernels ignore it.
 * Returns the previous setting.
 */
export function setAllowTF32(on: boolean): boolean {
  return native.setAllowTF32(on);
}

export function allowTF32(): boolean {
  return native.allowTF32();
}
