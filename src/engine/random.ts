// Random number generators. A Generator is an independent, seedable stream (CPU or device);
// its state can be saved and restored so that a resumed run samples exactly as before.
import type { Device } from './dtype.js';
import { native, type GeneratorHandle } from './native.js';
import { Tensor, wrap } from './tensor.js';

export class Generator {
  readonly handle: GeneratorHandle;
  readonly device: Device;

  constructor(opts: { seed: number; device?: Device }) {
    this.device = opts.device ?? 'cpu';
    this.handle = native.newGenerator(this.device, opts.seed);
  }

  /** A uint8 tensor holding the full generator state. */
  getState(): Tensor {
    return wrap(native.generatorState(this.handle));
  }

  setState(state: Tensor): void {
    native.setGeneratorState(this.handle, state.id);
  }
}

/** Seeds the default generators of the CPU and of every accelerator device. */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

/** State of a device's default generator (uint8 tensor). */
export function defaultGeneratorState(device: Device = 'cpu'): Tensor {
  return wrap(native.generatorState(device));
}

export function setDefaultGeneratorState(state: Tensor, device: Device = 'cpu'): void {
  native.setGeneratorState(device, state.id);
}
