// The tensor engine's public surface: `import { torch, Tensor } from '../engine/index.js'`.
export { Tensor, call as op, callMany as opMany, opHandle, type Shape, type TensorOptions } from './tensor.js';
export type { DType, Device } from './dtype.js';
export { tidy, scopeDepth } from './scope.js';
export * as F from './functional.js';
export * as cuda from './cuda.js';
export { autocast, withoutAutocast, autocastState, resolveComputeDtype, setAllowTF32, allowTF32, type ComputeDTypeSetting } from './precision.js';
export { hostReads } from './tensor.js';
export { AdamW, clipGradNorm, clipGradNormTensor, type AdamWOptions } from './optim.js';
export { Generator, manualSeed, defaultGeneratorState, setDefaultGeneratorState } from './random.js';
export { noGrad, enableGrad, inferenceMode, isGradEnabled, backward, grad, CheckpointedSequence } from './autograd.js';
export {
  zeros,
  ones,
  full,
  empty,
  zerosLike,
  onesLike,
  fullLike,
  arange,
  rand,
  randn,
  randint,
  randperm,
  fromBytes,
  tensor,
  cat,
  stack,
  where,
} from './creation.js';
import { native } from './native.js';

/** Live native tensors (not yet disposed): a leak check for tests and long runs. */
export function liveTensors(): number {
  return native.liveCount();
}

export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** The libtorch version the addon was built against (loads the addon). */
export function torchVersion(): string {
  return native.torchVersion;
}
