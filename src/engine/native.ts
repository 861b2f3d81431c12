// Loads the native addon (build/Release/rlvr_native.node) and types its surface.
// Tensors cross the boundary as integer slot ids (see src/native/common.h).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  /** A CUDA build told to leave CUDA graphs out (RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1). */
  builtWithoutCudaGraphs: boolean;
  /** A CUDA build told to leave NCCL out (RLVR_BUILD_WITHOUT_NCCL=1). */
  builtWithoutNccl: boolean;
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
  autogradGrad(
    outputs: TensorId[],
    inputs: TensorId[],
    gradOutputs: (TensorId | null)[] | null,
    retainGraph: boolean,
    createGraph: boolean,
    allowUnused: boolean,
  ): (TensorId | null)[];
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
  setDevice(deviceIndex: number): void;
  currentDevice(): number;
  resetPeakStats(deviceIndex: number): void;
  emptyCache(): void;
  graphNew(deviceIndex: number): GraphHandle;
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
  /** libtorch's cpuinfo: the CPU's bf16 matmul instructions, and whether oneDNN is built in and enabled. */
  cpuCapabilities(): { avx512Bf16: boolean; amxBf16: boolean; mkldnn: boolean; cpu: string };
  hasNccl: boolean;
  distStore(host: string, port: number, isServer: boolean, worldSize: number, timeoutMs: number): StoreHandle;
  distStoreSet(store: StoreHandle, key: string, value: string): void;
  distStoreGet(store: StoreHandle, key: string): string;
  distGloo(store: StoreHandle, rank: number, size: number, timeoutMs: number, bindHost: string): GroupHandle;
  distNccl(store: StoreHandle, rank: number, size: number, timeoutMs: number, deviceIndex: number): GroupHandle;
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
    throw new Error(
      `the native addon is not built (${file} is missing): run \`node ${path.join(root, 'scripts/build-native.mjs')}\` ` +
        '(it needs an installed PyTorch, e.g. `pip install torch==2.13.0`, or $LIBTORCH)',
    );
  }
  const problem = staleAddon(root, file);
  if (problem) {
    // A code of the E... form: the CLI prints it as one line (an environment problem, not a bug).
    throw Object.assign(new Error(`${problem}: run \`npm run build:native\` (or \`node ${path.join(root, 'scripts/build-native.mjs')}\`)`), {
      code: 'ENATIVESTALE',
    });
  }
  const addon = createRequire(import.meta.url)(file) as NativeAddon;
  const without = builtWithout(addon);
  if (without) console.error(without);
  return addon;
}

/** The one line that loading prints when a CUDA build was told to leave a CUDA part out; else null. */
export function builtWithout(addon: Pick<NativeAddon, 'builtWithoutCudaGraphs' | 'builtWithoutNccl'>): string | null {
  const parts = [
    ...(addon.builtWithoutCudaGraphs ? ['CUDA graphs (RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1: rollouts decode eagerly)'] : []),
    ...(addon.builtWithoutNccl ? ['NCCL (RLVR_BUILD_WITHOUT_NCCL=1: multi-GPU runs need --dist-backend gloo)'] : []),
  ];
  return parts.length > 0 ? `rlvr: the native addon was built without ${parts.join(' and without ')}` : null;
}

/**
 * The same hash of src/native as scripts/build-native.mjs records in rlvr_native.json beside the
 * addon. An addon built from other sources (copied from another checkout, or older than a `git
 * pull`) would otherwise fail later and obscurely ("native.distStore is not a function").
 */
export function nativeSourceHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const f = path.join(d, name);
      if (statSync(f).isDirectory()) walk(f);
      else h.update(path.relative(dir, f)).update('\0').update(readFileSync(f)).update('\0');
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 16);
}

/** Why the addon at `file` does not match the package's native sources, or null. */
function staleAddon(root: string, file: string): string | null {
  const srcDir = path.join(root, 'src/native');
  const stamp = file.replace(/\.node$/, '.json');
  // An addon named by RLVR_NATIVE without a record is the user's own choice; the default one must have it.
  if (!existsSync(srcDir) || (process.env.RLVR_NATIVE && !existsSync(stamp))) return null;
  if (!existsSync(stamp)) return `the native addon ${file} has no build record (${path.basename(stamp)}): it was built by an older build script`;
  let recorded: unknown;
  try {
    recorded = (JSON.parse(readFileSync(stamp, 'utf8')) as { sourceHash?: unknown }).sourceHash;
  } catch {
    recorded = null;
  }
  const current = nativeSourceHash(srcDir);
  return recorded === current ? null : `the native addon ${file} was built from other sources than src/native holds now (${String(recorded)} vs ${current})`;
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
