// Accelerator (CUDA) helpers: availability, synchronisation, memory statistics, CUDA graphs.
// Device-generic in the addon (ATen's accelerator API), so this module loads on CPU-only builds;
// the functions that need a GPU say so when there is none.
import { native, type DeviceMemoryStats, type GeneratorHandle, type GraphHandle } from './native.js';

export function isAvailable(): boolean {
  const a = native.accelerator();
  return a.type === 'cuda' && a.count > 0;
}

/** The device every command and library entry uses when none is given: cuda when available, else cpu. */
export function defaultDevice(): 'cuda' | 'cpu' {
  return isAvailable() ? 'cuda' : 'cpu';
}

export function deviceCount(): number {
  const a = native.accelerator();
  return a.type === 'cuda' ? a.count : 0;
}

function indexOf(device: string | number): number {
  if (typeof device === 'number') return device;
  const m = /^cuda(?::(\d+))?$/.exec(device);
  if (!m) throw new Error(`not a CUDA device: '${device}'`);
  return Number(m[1] ?? 0);
}

function requireCuda(what: string): void {
  if (!isAvailable()) throw new Error(`${what} needs a CUDA device; none is available (libtorch ${native.torchVersion})`);
}

/** Waits for every kernel queued on the device. Timing GPU work needs this. */
export function synchronize(device: string | number = 0): void {
  requireCuda('synchronize');
  native.synchronize(indexOf(device));
}

export function memoryStats(device: string | number = 0): DeviceMemoryStats {
  requireCuda('memoryStats');
  return native.memoryStats(indexOf(device));
}

export function resetPeakMemoryStats(device: string | number = 0): void {
  requireCuda('resetPeakMemoryStats');
  native.resetPeakStats(indexOf(device));
}

/** Returns cached, unused blocks of the caching allocator to the driver. */
export function emptyCache(): void {
  requireCuda('emptyCache');
  native.emptyCache();
}

/**
 * A captured sequence of kernels replayed with one launch. Capture runs the work once on a
 * side stream; the tensors it touched are the graph's fixed inputs/outputs: write new inputs
 * into them (copy_) before replay() and read outputs after.
 */
export class CUDAGraph {
  private readonly handle: GraphHandle;

  constructor() {
    if (!native.hasCudaGraphs) throw new Error('CUDA graphs need the addon built against a CUDA libtorch');
    requireCuda('CUDAGraph');
    this.handle = native.graphNew();
  }

  /** Registers a CUDA generator before capture so that each replay draws new random numbers from it. */
  registerGenerator(generator: { handle: GeneratorHandle }): void {
    native.graphRegisterGenerator(this.handle, generator.handle);
  }

  capture<T>(fn: () => T): T {
    native.graphCaptureBegin(this.handle);
    try {
      return fn();
    } finally {
      native.graphCaptureEnd(this.handle);
    }
  }

  replay(): void {
    native.graphReplay(this.handle);
  }

  reset(): void {
    native.graphReset(this.handle);
  }
}
