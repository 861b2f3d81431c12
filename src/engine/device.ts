// What each kind of device can do, in one table: the only place that decides by a device's name.
//
// Everything else asks `deviceCaps(device)` instead of testing `device.startsWith('cuda')`, so a
// new accelerator is one row here (plus its build in the addon), not a search through the code.
// Pure: no addon is loaded (`rlvr plan` runs without one); memory queries are in device-memory.ts.

/** The device kinds the engine knows. */
export type DeviceKind = 'cpu' | 'cuda';

export interface DeviceCaps {
  kind: DeviceKind;
  /**
   * What `computeDtype: 'auto'` resolves to (bf16 autocast where the hardware has fast bf16 matmuls).
   * 'bfloat16-if-native': bf16 where the CPU has AVX-512 BF16 or AMX, else float32 (decided in
   * precision.ts, which asks libtorch; measured in bench/results/cpu-dtype.json).
   */
  autoComputeDtype: 'float32' | 'bfloat16' | 'bfloat16-if-native';
  /** The variable-length flash attention kernel exists here (for half-precision KV caches). */
  varlenAttention: boolean;
  /** Decode steps may be captured and replayed as CUDA graphs. */
  graphs: boolean;
  /** The c10d backend `backend: 'auto'` picks (when the addon was built with it). */
  collectiveBackend: 'nccl' | 'gloo';
  /** TF32 matmuls are allowed for fp32 work (Ampere and later; what verl and TRL set). */
  tf32: boolean;
  /** Memory is a fixed device budget (KV cache and micro-batches sized from it); false: host RAM. */
  deviceMemory: boolean;
  /** Each data-parallel rank takes its own device `<kind>:<localRank>`. */
  devicePerRank: boolean;
  /**
   * Cap on tokens per training micro-batch when the planner does not size it from device memory;
   * undefined: sized by the planner. CPU: 1,024, the planner's smallest step (it sizes in whole
   * 1,024-token steps; one longest sequence always fits). Measured (bench/results/micro-batch-sweep-cpu.json,
   * SmolLM2-135M shape, fp32, 1 thread, CPU time of the update): 12.6 and 12.0 ms per token with
   * 192- and 384-token micro-batches, so throughput has stopped improving well below 1,024; larger
   * ones could not be measured on the shared host (killed for memory). Each 1,024 tokens hold
   * ~1.4 GB of activations: the former 16,384 made issue 27's 4 × 8 × 128 step one 6,144-token
   * micro-batch and a 14 GB peak.
   */
  maxMicroBatchTokens: number | undefined;
}

const CAPS: Record<DeviceKind, DeviceCaps> = {
  cpu: {
    kind: 'cpu',
    autoComputeDtype: 'bfloat16-if-native',
    varlenAttention: false,
    graphs: false,
    collectiveBackend: 'gloo',
    tf32: false,
    deviceMemory: false,
    devicePerRank: false,
    maxMicroBatchTokens: 1024,
  },
  cuda: {
    kind: 'cuda',
    autoComputeDtype: 'bfloat16',
    varlenAttention: true,
    graphs: true,
    collectiveBackend: 'nccl',
    tf32: true,
    deviceMemory: true,
    devicePerRank: true,
    maxMicroBatchTokens: undefined,
  },
};

/** The kind of a device name: 'cpu', 'cuda', 'cuda:1'. Unknown names are CPU-like (the engine rejects them itself). */
export function deviceKind(device: string): DeviceKind {
  return /^cuda(:\d+)?$/.test(device) ? 'cuda' : 'cpu';
}

/** What `device` can do. */
export function deviceCaps(device: string): DeviceCaps {
  return CAPS[deviceKind(device)];
}

/** Whether `device` is an accelerator with its own memory (not the host CPU). */
export function isAccelerator(device: string): boolean {
  return deviceCaps(device).deviceMemory;
}

/** The device a data-parallel rank uses: `<kind>:<localRank>` where each rank has its own device. */
export function rankDevice(device: string, localRank: number, worldSize: number): string {
  const caps = deviceCaps(device);
  return worldSize > 1 && caps.devicePerRank ? `${caps.kind}:${localRank}` : device;
}
