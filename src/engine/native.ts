// Loads the native addon (build/Release/rlvr_native.node) and types its surface.
// Tensors cross the boundary as integer slot ids (see src/native/common.h).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type TensorId = number;
export type OpHandle = { readonly __op: unique symbol };
export type GeneratorHandle = { readonly __generator: unique symbol };
export type GraphHandle = { readonly __graph: unique symbol };
export type StoreHandle = { readonly __store: unique symbol };
export type GroupHandle = { readonly __group: unique symbol };

export interface DeviceMemoryStats {
  allocatedBytes: number;
  peakAllocatedBytes: number;
  reservedBytes: number;
  peakReservedBytes: number;
  activeBytes: number;
  allocRetries: number;
  freeBytes: number;
  totalBytes: number;
}

export interface NativeAddon {
  torchVersion: string;
  hasCudaGraphs: boolean;
  lookup(name: string, overload: string): OpHandle;
  call(op: OpHandle, ...args: unknown[]): unknown;
  schema(op: OpHandle): string;
  dispose(t: TensorId): void;
  liveCount(): number;
  meta(t: TensorId): [number, string, boolean, ...number[]];
  strides(t: TensorId): number[];
  fromBuffer(bytes: Uint8Array, dtype: number, shape: number[], device: string): TensorId;
  toBuffer(t: TensorId): ArrayBuffer;
  item(t: TensorId): number | boolean;
  dataPtr(t: TensorId): bigint;
  setRequiresGrad(t: TensorId, on: boolean): void;
  grad(t: TensorId): TensorId | null;
  setGrad(t: TensorId, g: TensorId | null): void;
  isLeaf(t: TensorId): boolean;
  backward(tensors: TensorId[], grads: (TensorId | null)[] | null, retainGraph: boolean, createGraph: boolean): void;
  autogradGrad(outputs: TensorId[], inputs: TensorId[], gradOutputs: (TensorId | null)[] | null,
    retainGraph: boolean, createGraph: boolean, allowUnused: boolean): (TensorId | null)[];
  setGradEnabled(on: boolean): boolean;
  isGradEnabled(): boolean;
  enterInference(): void;
  exitInference(): void;
  isInference(): boolean;
  manualSeed(seed: number): void;
  newGenerator(device: string, seed: number): GeneratorHandle;
  generatorState(g: GeneratorHandle | string): TensorId;
  setGeneratorState(g: GeneratorHandle | string, state: TensorId): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  accelerator(): { type: string | null; count: number };
  synchronize(deviceIndex: number): void;
  memoryStats(deviceIndex: number): DeviceMemoryStats;
  resetPeakStats(deviceIndex: number): void;
  emptyCache(): void;
  graphNew(): GraphHandle;
  graphCaptureBegin(g: GraphHandle): void;
  graphCaptureEnd(g: GraphHandle): void;
  graphRegisterGenerator(g: GraphHandle, generator: GeneratorHandle): void;
  graphReplay(g: GraphHandle): void;
  graphReset(g: GraphHandle): void;
  autocastEnter(deviceType: string, dtype: number): [boolean, number];
  autocastExit(deviceType: string, wasEnabled: boolean, prevDtype: number): void;
  autocastSetEnabled(deviceType: string, on: boolean): boolean;
  autocastState(deviceType: string): [boolean, number];
  setAllowTF32(on: boolean): boolean;
  allowTF32(): boolean;
  hasNccl: boolean;
  distStore(host: string, port: number, isServer: boolean, worldSize: number, timeoutMs: number): StoreHandle;
  distStoreSet(store: StoreHandle, key: string, value: string): void;
  distStoreGet(store: StoreHandle, key: string): string;
  distGloo(store: StoreHandle, rank: number, size: number, timeoutMs: number, bindHost: string): GroupHandle;
  distNccl(store: StoreHandle, rank: number, size: number, timeoutMs: number): GroupHandle;
  distAllReduce(group: GroupHandle, t: TensorId, op: string): void;
  distBroadcast(group: GroupHandle, t: TensorId, root: number): void;
  distAllGather(group: GroupHandle, outputs: TensorId[], input: TensorId): void;
  distAllGatherInto(group: GroupHandle, output: TensorId, input: TensorId): void;
  distReduceScatter(group: GroupHandle, output: TensorId, input: TensorId, op: string): void;
  distBarrier(group: GroupHandle): void;
  distClose(group: GroupHandle): void;
}

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the package root (package.json) above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): NativeAddon {
  const root = packageRoot();
  const file = process.env.RLVR_NATIVE ?? path.join(root, 'build/Release/rlvr_native.node');
  if (!existsSync(file)) {
    throw new Error(`the native addon is not built (${file} is missing): run \`node ${path.join(root, 'scripts/build-native.mjs')}\` ` +
      '(it needs an installed PyTorch, e.g. `pip install torch==2.13.0`, or $LIBTORCH)');
  }
  return createRequire(import.meta.url)(file) as NativeAddon;
}

/**
 * The addon, loaded on first use: importing the package (e.g. only for the verifier) does not
 * need libtorch. Until then `native` is a stand-in that loads the addon and rebinds this live ESM
 * export to it, so after the first access every call goes straight to the addon.
 */
// eslint-disable-next-line prefer-const
export let native: NativeAddon = new Proxy({} as NativeAddon, {
  get(_target, key) {
    const loaded = load();
    native = loaded;
    return Reflect.get(loaded, key);
  },
});
