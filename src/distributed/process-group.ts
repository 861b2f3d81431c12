// A process group over c10d (src/native/distributed.cc): the ranks of one run and the
// collectives between them. gloo works on CPU tensors in every libtorch; NCCL on CUDA tensors
// in CUDA builds. A world of one rank needs no store and every collective is a no-op, so
// single-process code goes through the same calls.
//
// Failure: when a peer process dies its sockets close and the survivors' next (or current)
// collective fails at once with a DistributedError (one line naming this rank and the
// collective); a peer that is alive but silent fails them after `timeoutMs`.
import { noGrad } from '../engine/autograd.js';
import { cat, empty, tensor } from '../engine/creation.js';
import { itemSize } from '../engine/dtype.js';
import { native, type GroupHandle, type StoreHandle } from '../engine/native.js';
import type { Tensor } from '../engine/tensor.js';
import { tidy } from '../engine/scope.js';
import { readDistEnv } from './env.js';
import { deviceCaps } from '../engine/device.js';

export type ReduceOp = 'sum' | 'max' | 'min';
export type BackendName = 'gloo' | 'nccl';

/**
 * Collective timeout (ms) by default: how long a rank waits in a collective for a peer that is
 * alive but not there (a dead peer fails it at once). Generous because ranks reach the
 * gradient all-reduce after rollouts of different lengths; PyTorch's default is 30 minutes.
 */
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** How long rendezvous waits for every rank to join (ms). */
export const DEFAULT_RENDEZVOUS_TIMEOUT_MS = 5 * 60_000;
/** Tensors are flattened into buckets of at most this many bytes per all-reduce (DDP's order of size). */
export const DEFAULT_BUCKET_BYTES = 32 * 1024 * 1024;

export interface ProcessGroupOptions {
  /** 'auto': NCCL when the addon has it and `device` is CUDA, else gloo. Default 'auto'. */
  backend?: BackendName | 'auto';
  rank: number;
  worldSize: number;
  /** Address of rank 0's rendezvous store. Default '127.0.0.1'. */
  masterAddr?: string;
  /** Port of the rendezvous store (needed when worldSize > 1). */
  masterPort?: number;
  /** Collective timeout in ms (default DEFAULT_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Rendezvous timeout in ms (default DEFAULT_RENDEZVOUS_TIMEOUT_MS). */
  rendezvousTimeoutMs?: number;
  /** The device the training tensors live on; picks the 'auto' backend. Default 'cpu'. */
  device?: string;
  /** Whether this process hosts the store (default: rank 0). */
  isStoreServer?: boolean;
  /** Bytes per all-reduce bucket (default DEFAULT_BUCKET_BYTES). */
  bucketBytes?: number;
}

/**
 * The PyTorch NCCL settings a run relies on, added to the rank's environment before its NCCL group
 * is made (ProcessGroupNCCL reads them at construction). For NCCL, Work::wait() does not block the
 * host, so a failed or hung collective never reaches JavaScript; PyTorch's watchdog sees it (a hang
 * after the group's timeout, `distributed.timeoutSeconds`) and with TORCH_NCCL_ASYNC_ERROR_HANDLING=3
 * ("SkipCleanUp": abort the communicators, then end the process) the rank dies, the launcher's
 * other ranks follow, and the launcher prints its one line naming the rank (src/distributed/launch.ts).
 * 3 is PyTorch's default in recent releases; it is set explicitly where neither it nor the older
 * NCCL_ASYNC_ERROR_HANDLING is set (a user's value is kept). TORCH_NCCL_BLOCKING_WAIT stays unset
 * (it would make every collective a host sync).
 */
export function ncclEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (env.TORCH_NCCL_ASYNC_ERROR_HANDLING === undefined && env.NCCL_ASYNC_ERROR_HANDLING === undefined) out.TORCH_NCCL_ASYNC_ERROR_HANDLING = '3';
  return out;
}

function cudaIndex(device: string): number {
  const m = /^cuda(?::(\d+))?$/.exec(device);
  if (!m) throw new DistributedError(`backend nccl needs a CUDA device, got '${device}'`);
  return Number(m[1] ?? 0);
}

/** A collective failed: a peer died, hung past the timeout, or rendezvous did not complete. */
export class DistributedError extends Error {
  // An E-code: the CLI prints such errors as one line (exit 1), like Node's system errors.
  readonly code = 'EDISTRIBUTED';
}

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: BackendName | 'none';
  readonly bucketBytes: number;
  /** Where allReduceNumbers' tensors live: the CPU for gloo, the rank's GPU for NCCL (it reduces CUDA tensors only). */
  readonly numbersDevice: string;
  #group: GroupHandle | null;
  /** Held only so the native store lives as long as the group (the GC would otherwise close it). */
  #store: StoreHandle | null;

  private constructor(
    rank: number,
    worldSize: number,
    backend: BackendName | 'none',
    group: GroupHandle | null,
    store: StoreHandle | null,
    bucketBytes: number,
    numbersDevice = 'cpu',
  ) {
    this.numbersDevice = numbersDevice;
    this.rank = rank;
    this.worldSize = worldSize;
    this.backend = backend;
    this.#group = group;
    this.#store = store;
    this.bucketBytes = bucketBytes;
  }

  /** The group of one process: every collective is a no-op (or a copy). */
  static single(): ProcessGroup {
    return new ProcessGroup(0, 1, 'none', null, null, DEFAULT_BUCKET_BYTES);
  }

  /** @internal */
  static connect(o: ProcessGroupOptions): ProcessGroup {
    if (!Number.isInteger(o.worldSize) || o.worldSize < 1) throw new DistributedError(`worldSize must be an integer >= 1, got ${o.worldSize}`);
    if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize) throw new DistributedError(`rank must be in 0..${o.worldSize - 1}, got ${o.rank}`);
    const bucketBytes = o.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    if (o.worldSize === 1) return new ProcessGroup(0, 1, 'none', null, null, bucketBytes);
    if (o.masterPort === undefined) throw new DistributedError('a process group of more than one rank needs masterPort');
    const device = o.device ?? 'cpu';
    const backend: BackendName =
      o.backend === undefined || o.backend === 'auto' ? (deviceCaps(device).collectiveBackend === 'nccl' && native.hasNccl ? 'nccl' : 'gloo') : o.backend;
    if (backend === 'nccl' && !native.hasNccl)
      throw new DistributedError('backend nccl: this build of the addon has no NCCL (it needs a CUDA libtorch and nccl.h at build time); use gloo');
    const addr = o.masterAddr ?? '127.0.0.1';
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const rdvMs = o.rendezvousTimeoutMs ?? DEFAULT_RENDEZVOUS_TIMEOUT_MS;
    const where = `${addr}:${o.masterPort}`;
    let store: StoreHandle;
    let group: GroupHandle;
    try {
      store = native.distStore(addr, o.masterPort, o.isStoreServer ?? o.rank === 0, o.worldSize, rdvMs);
    } catch (e) {
      throw new DistributedError(`rank ${o.rank}: cannot reach the rendezvous store at ${where} within ${rdvMs / 1000} s: ${firstLine(e)}`);
    }
    try {
      // Loopback rendezvous: bind gloo to loopback too (the hostname may resolve elsewhere).
      const bind = /^(127\.|localhost$|::1$)/.test(addr) ? '127.0.0.1' : '';
      if (backend === 'nccl') Object.assign(process.env, ncclEnvironment(process.env));
      group =
        backend === 'nccl'
          ? native.distNccl(store, o.rank, o.worldSize, timeoutMs, cudaIndex(device))
          : native.distGloo(store, o.rank, o.worldSize, timeoutMs, bind);
    } catch (e) {
      throw new DistributedError(`rank ${o.rank}: ${backend} rendezvous of ${o.worldSize} ranks at ${where} failed: ${firstLine(e)}`);
    }
    return new ProcessGroup(o.rank, o.worldSize, backend, group, store, bucketBytes, backend === 'nccl' ? device : 'cpu');
  }

  get isMain(): boolean {
    return this.rank === 0;
  }

  #run(what: string, fn: (g: GroupHandle) => void): void {
    if (!this.#group) throw new DistributedError(`rank ${this.rank}: ${what} on a closed process group`);
    try {
      fn(this.#group);
    } catch (e) {
      throw new DistributedError(`rank ${this.rank}: ${what} failed (another rank exited or stopped answering): ${firstLine(e)}`);
    }
  }

  /**
   * Reduces every tensor over all ranks, in place. Tensors of one dtype and device are packed
   * into flat buckets (one collective per bucket, not per tensor) and copied back.
   */
  allReduce(tensors: Tensor[], op: ReduceOp = 'sum'): void {
    if (this.worldSize === 1 || tensors.length === 0) return;
    noGrad(() => {
      for (const bucket of buckets(tensors, this.bucketBytes)) {
        if (bucket.length === 1 && isContiguous(bucket[0]!)) {
          this.#run(`all-reduce (${op})`, (g) => native.distAllReduce(g, bucket[0]!.id, op));
          continue;
        }
        tidy(() => {
          const flat = cat(bucket.map((t) => t.reshape(-1))); // [sum of numels]
          this.#run(`all-reduce (${op})`, (g) => native.distAllReduce(g, flat.id, op));
          const parts = flat.split(bucket.map((t) => t.numel));
          bucket.forEach((t, i) => t.copy_(parts[i]!.view(t.shape)));
        });
      }
    });
  }

  /** Sums (or max/min) plain numbers over all ranks: token counts, metrics. float64 on CPU. */
  allReduceNumbers(values: number[], op: ReduceOp = 'sum'): number[] {
    if (this.worldSize === 1 || values.length === 0) return values.slice();
    return tidy(() => {
      const t = tensor(values, [values.length], { dtype: 'float64', device: this.numbersDevice });
      this.#run(`all-reduce (${op})`, (g) => native.distAllReduce(g, t.id, op));
      return t.toNumbers();
    });
  }

  /** Copies root's tensors to every rank, in place (bucketed like allReduce). */
  broadcast(tensors: Tensor[], root = 0): void {
    if (this.worldSize === 1 || tensors.length === 0) return;
    noGrad(() => {
      for (const bucket of buckets(tensors, this.bucketBytes)) {
        if (bucket.length === 1 && isContiguous(bucket[0]!)) {
          this.#run(`broadcast from rank ${root}`, (g) => native.distBroadcast(g, bucket[0]!.id, root));
          continue;
        }
        tidy(() => {
          const flat = cat(bucket.map((t) => t.reshape(-1)));
          this.#run(`broadcast from rank ${root}`, (g) => native.distBroadcast(g, flat.id, root));
          const parts = flat.split(bucket.map((t) => t.numel));
          bucket.forEach((t, i) => t.copy_(parts[i]!.view(t.shape)));
        });
      }
    });
  }

  /** Every rank's `t` (same shape on all ranks), in rank order: new tensors, [worldSize] of t's shape. */
  allGather(t: Tensor): Tensor[] {
    if (this.worldSize === 1) return [t.clone()];
    const outs = Array.from({ length: this.worldSize }, () => empty(t.shape, { dtype: t.dtype, device: t.device }));
    const input = isContiguous(t) ? t : t.contiguous();
    try {
      this.#run('all-gather', (g) =>
        native.distAllGather(
          g,
          outs.map((o) => o.id),
          input.id,
        ),
      );
    } catch (e) {
      outs.forEach((o) => o.dispose());
      throw e;
    } finally {
      if (input !== t) input.dispose();
    }
    return outs;
  }

  /** Flat all-gather: output [worldSize * n] = the ranks' inputs [n] in rank order (ZeRO's parameter gather). */
  allGatherInto(output: Tensor, input: Tensor): void {
    if (this.worldSize === 1) {
      noGrad(() => output.copy_(input.reshape(output.shape)));
      return;
    }
    this.#run('all-gather', (g) => native.distAllGatherInto(g, output.id, input.id));
  }

  /** Flat reduce-scatter: output [n] = the reduction over ranks of input[rank*n : (rank+1)*n] ([worldSize * n]). */
  reduceScatter(output: Tensor, input: Tensor, op: ReduceOp = 'sum'): void {
    if (this.worldSize === 1) {
      noGrad(() => output.copy_(input.reshape(output.shape)));
      return;
    }
    this.#run(`reduce-scatter (${op})`, (g) => native.distReduceScatter(g, output.id, input.id, op));
  }

  /** Waits until every rank has reached this point. */
  barrier(): void {
    if (this.worldSize === 1) return;
    this.#run('barrier', (g) => native.distBarrier(g));
  }

  /** Shuts the backend down; later collectives throw. Safe to call twice. */
  close(): void {
    if (this.#group) native.distClose(this.#group);
    this.#group = null;
    if (this.#store) this.#store = null;
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (
    msg
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? msg
  );
}

function isContiguous(t: Tensor): boolean {
  const strides = t.strides();
  let expect = 1;
  for (let d = t.ndim - 1; d >= 0; d--) {
    if (t.shape[d]! !== 1 && strides[d] !== expect) return false;
    expect *= t.shape[d]!;
  }
  return true;
}

/** Consecutive runs of tensors with one dtype and device, each at most `maxBytes` (a larger tensor is a bucket alone). */
function buckets(tensors: Tensor[], maxBytes: number): Tensor[][] {
  const out: Tensor[][] = [];
  let cur: Tensor[] = [];
  let bytes = 0;
  for (const t of tensors) {
    const b = t.numel * itemSize(t.dtype);
    const head = cur[0];
    if (head && (head.dtype !== t.dtype || head.device !== t.device || bytes + b > maxBytes)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(t);
    bytes += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Creates the process group of this run (worldSize 1: no store, no-op collectives). */
export function initProcessGroup(o: ProcessGroupOptions): ProcessGroup {
  return o.worldSize === 1 && o.rank === 0 ? ProcessGroup.single() : ProcessGroup.connect(o);
}

/**
 * The process group the torchrun variables describe (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
 * MASTER_PORT); a single process when WORLD_SIZE is unset.
 */
export function fromEnv(
  opts: Omit<Partial<ProcessGroupOptions>, 'rank' | 'worldSize' | 'masterAddr' | 'masterPort'> = {},
  env: NodeJS.ProcessEnv = process.env,
): ProcessGroup {
  const d = readDistEnv(env);
  if (!d) return ProcessGroup.single();
  return initProcessGroup({
    ...opts,
    rank: d.rank,
    worldSize: d.worldSize,
    masterAddr: d.masterAddr,
    masterPort: d.masterPort,
    isStoreServer: opts.isStoreServer ?? (d.rank === 0 && !d.agentStore),
  });
}
