// Accelerator (CUDA) helpers: availability, synchronisation, memory statistics, CUDA graphs.
// Device-generic in the addon (ATen's accelerator API), so this module loads on CPU-only builds;
// the functions that need a GPU say so when there is none.
import { native, type DeviceMemoryStats, type GeneratorHandle, type GraphHandle, type NativeAddon } from './native.js';

export function isAvailable(): boolean {
  const a = native.accelerator();
  return a.type === 'cuda' && a.count > 0;
}

/** Whether the addon has CUDA graphs (a CUDA build; not left out by RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1). */
export function hasGraphs(): boolean {
  return native.hasCudaGraphs === true;
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

/**
 * Makes `device` this process's current CUDA device (cudaSetDevice). A rank of a data-parallel run
 * calls it before any CUDA work: stream pools, graph captures and NCCL otherwise use device 0.
 * A CPU device is a no-op.
 */
export function setDevice(device: string | number): void {
  if (typeof device === 'string' && !device.startsWith('cuda')) return;
  requireCuda('setDevice');
  const i = indexOf(device);
  const n = deviceCount();
  // An E-code: the CLI prints it as one line.
  if (i >= n) throw Object.assign(new Error(`device cuda:${i}: this machine has ${n} CUDA device${n === 1 ? '' : 's'}`), { code: 'EDEVICE' });
  native.setDevice(i);
}

/** The current CUDA device's index. */
export function currentDevice(): number {
  requireCuda('currentDevice');
  return native.currentDevice();
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

/** The part of the addon a graph uses (a fake one in tests of the capture's error order). */
export type GraphNative = Pick<NativeAddon, 'graphNew' | 'graphCaptureBegin' | 'graphCaptureEnd' | 'graphRegisterGenerator' | 'graphReplay' | 'graphReset'>;

/**
 * A captured sequence of kernels replayed with one launch. Capture runs the work once on a
 * side stream of the graph's device; the tensors it touched are the graph's fixed inputs/outputs:
 * write new inputs into them (copy_) before replay() and read outputs after.
 */
export class CUDAGraph {
  private readonly handle: GraphHandle;
  private readonly lib: GraphNative;

  /** `device`: the graph's CUDA device (default: the current one). `lib`: tests only. */
  constructor(device?: string | number, lib?: GraphNative) {
    if (lib) {
      this.lib = lib;
    } else {
      if (!native.hasCudaGraphs) {
        throw new Error(
          native.builtWithoutCudaGraphs
            ? 'CUDA graphs: the addon was built without them (RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1)'
            : 'CUDA graphs need the addon built against a CUDA libtorch',
        );
      }
      requireCuda('CUDAGraph');
      this.lib = native;
    }
    // 'cuda' without an index (or none given): the current device, where tensors made on 'cuda' live.
    const unindexed = device === undefined || device === 'cuda';
    this.handle = this.lib.graphNew(unindexed ? (lib ? 0 : native.currentDevice()) : indexOf(device));
  }

  /** Registers a CUDA generator before capture so that each replay draws new random numbers from it. */
  registerGenerator(generator: { handle: GeneratorHandle }): void {
    this.lib.graphRegisterGenerator(this.handle, generator.handle);
  }

  /**
   * Captures what `fn` queues. When `fn` fails, capture is ended (which restores the stream) and
   * `fn`'s error is what propagates: ending an abandoned capture fails too ("operation not
   * permitted when stream is capturing", an invalidated capture), and that error says nothing
   * about the cause. The end's error is kept on the thrown error as `captureEndError`.
   */
  capture<T>(fn: () => T): T {
    this.lib.graphCaptureBegin(this.handle);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      try {
        this.lib.graphCaptureEnd(this.handle);
      } catch (endError) {
        if (e instanceof Error) Object.assign(e, { captureEndError: endError });
      }
      throw e;
    }
    this.lib.graphCaptureEnd(this.handle);
    return result;
  }

  replay(): void {
    this.lib.graphReplay(this.handle);
  }

  reset(): void {
    this.lib.graphReset(this.handle);
  }
}
