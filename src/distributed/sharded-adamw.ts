// ZeRO-1 (Rajbhandari et al. 2020, stage 1): AdamW whose state is split over the data-parallel
// ranks. Each rank owns a balanced share of the parameters (whole tensors, src/distributed/partition.ts),
// keeps exp_avg / exp_avg_sq only for those, updates them with the same fused kernel as AdamW
// (src/engine/optim.ts), then every parameter is broadcast from its owner, so all ranks end the
// step with identical weights. The AdamW state's memory divides by N; weights and gradients
// stay whole on every rank.
//
// Gradients must already be the global ones (all-reduced) when step() runs: gradient clipping
// before it sees the full gradient, as in one process. The update of each parameter is then the
// same arithmetic on the same numbers as AdamW's, on its owner.
//
// Checkpoints: each rank writes its own file, optimizer-rank{R}-of-{N}.safetensors, with the
// global parameter index in every tensor name. A resume needs the same N (the partition depends
// on it); a whole optimizer.safetensors (a run without ZeRO-1) is loaded too, each rank taking
// its share.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AdamW, type AdamWOptions } from '../engine/optim.js';
import { fromBytes } from '../engine/creation.js';
import { UserError } from '../errors.js';
import { tidy } from '../engine/scope.js';
import type { Tensor } from '../engine/tensor.js';
import { tensorToWrite } from '../model/checkpoint.js';
import { SafetensorsReader, writeSafetensors } from '../model/safetensors.js';
import { partitionParameters } from './partition.js';
import { shardFileName, shardWorldSize } from './shard-files.js';
import type { ProcessGroup } from './process-group.js';

/** What ZeRO-1 needs of a process group: who we are, broadcast in place (bucketed by the group), barrier. */
export type BroadcastGroup = Pick<ProcessGroup, 'rank' | 'worldSize' | 'broadcast' | 'barrier'>;

/** The file of a run without ZeRO-1 (src/rl/trainer.ts). */
const WHOLE_FILE = 'optimizer.safetensors';

export class ShardedAdamW {
  /** Every parameter (all ranks pass the same list in the same order). */
  readonly params: Tensor[];
  /** Per parameter: the rank that owns it. */
  readonly owner: number[];
  /** Indices into params of this rank's parameters, ascending. */
  readonly owned: number[];
  readonly rank: number;
  readonly worldSize: number;
  private readonly group: BroadcastGroup;
  /** AdamW over this rank's parameters only: its state is the shard. */
  private readonly local: AdamW;

  constructor(params: Tensor[], group: BroadcastGroup, opts: AdamWOptions = {}) {
    this.params = params;
    this.group = group;
    this.rank = group.rank;
    this.worldSize = group.worldSize;
    this.owner = partitionParameters(
      params.map((p) => p.numel),
      group.worldSize,
    );
    this.owned = this.owner.flatMap((r, i) => (r === group.rank ? [i] : []));
    this.local = new AdamW(
      this.owned.map((i) => params[i]!),
      opts,
    );
  }

  get lr(): number {
    return this.local.lr;
  }
  set lr(v: number) {
    this.local.lr = v;
  }
  get betas(): [number, number] {
    return this.local.betas;
  }
  get eps(): number {
    return this.local.eps;
  }
  get weightDecay(): number {
    return this.local.weightDecay;
  }

  /** Updates this rank's parameters from their (global) gradients, then broadcasts every parameter from its owner. */
  step(): void {
    this.local.step();
    this.broadcastParameters();
  }

  /** Clears every parameter's gradient (all of them hold the all-reduced gradient). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Bytes of optimizer state on this rank (exp_avg, exp_avg_sq, step counts). */
  stateBytes(): number {
    const s = this.local.state();
    return [...s.expAvg, ...s.expAvgSq, ...s.steps].reduce((a, t) => a + t.numel * 4, 0);
  }

  /** This rank's state, in the order of `owned` (the interface of AdamW.state()). */
  state(): { expAvg: Tensor[]; expAvgSq: Tensor[]; steps: Tensor[] } {
    return this.local.state();
  }

  loadState(s: { expAvg: Tensor[]; expAvgSq: Tensor[]; steps: Tensor[] }): void {
    this.local.loadState(s);
  }

  /** Every rank, in the same order: each owner's parameters from it (the group packs them into buckets). */
  private broadcastParameters(): void {
    if (this.worldSize === 1) return;
    for (let root = 0; root < this.worldSize; root++) {
      this.group.broadcast(
        this.params.filter((_, i) => this.owner[i] === root),
        root,
      );
    }
  }

  /**
   * Writes this rank's shard into the checkpoint folder `dir`: exp_avg.i / exp_avg_sq.i / step.i
   * with global indices i. Every rank calls it with the same folder (rank 0 after creating it,
   * inside writeCheckpoint's fill, so before the manifest lists the files); it returns when
   * every shard is written.
   */
  save(dir: string): string {
    this.group.barrier(); // the folder exists
    const file = path.join(dir, shardFileName(this.rank, this.worldSize));
    const s = this.local.state();
    const tensors = this.owned.flatMap((g, k) => [
      tensorToWrite(`exp_avg.${g}`, s.expAvg[k]!, 'float32'),
      tensorToWrite(`exp_avg_sq.${g}`, s.expAvgSq[k]!, 'float32'),
      tensorToWrite(`step.${g}`, s.steps[k]!, 'float32'),
    ]);
    writeSafetensors(file, tensors, { rank: String(this.rank), worldSize: String(this.worldSize), parameters: String(this.params.length) });
    this.group.barrier(); // every shard is written
    return file;
  }

  /**
   * Restores this rank's shard from the checkpoint folder `dir`: its own shard file (written
   * with the same world size), or a whole optimizer.safetensors. Anything else is one line.
   */
  load(dir: string): void {
    const own = path.join(dir, shardFileName(this.rank, this.worldSize));
    const whole = path.join(dir, WHOLE_FILE);
    let file: string;
    if (fs.existsSync(own)) file = own;
    else if (fs.existsSync(whole)) file = whole;
    else {
      const saved = shardWorldSize(dir);
      throw new UserError(
        saved !== null
          ? `${dir}: its optimizer state is sharded over ${saved} ranks (ZeRO-1) but this run has ${this.worldSize}: resume with --nproc ${saved} (× nodes), the same world size`
          : `${dir}: no optimizer state (${shardFileName(this.rank, this.worldSize)} or ${WHOLE_FILE})`,
      );
    }
    const reader = new SafetensorsReader(file);
    try {
      const count = reader.metadata.parameters;
      if (count !== undefined && Number(count) !== this.params.length) {
        throw new Error(`${file}: optimizer state for ${count} parameters, the model has ${this.params.length}`);
      }
      const load = (prefix: string): Tensor[] =>
        this.owned.map((g) => {
          const info = reader.info(`${prefix}.${g}`);
          return fromBytes(reader.read(info.name), 'float32', info.shape);
        });
      tidy(() => this.local.loadState({ expAvg: load('exp_avg'), expAvgSq: load('exp_avg_sq'), steps: load('step') }));
    } finally {
      reader.close();
    }
  }

  dispose(): void {
    this.local.dispose();
  }
}
