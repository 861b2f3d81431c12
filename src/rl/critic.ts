// The critic of PPO: the policy's architecture with a scalar value head, initialised from the same
// checkpoint (verl 0.2 loads the policy's folder as AutoModelForTokenClassification with num_labels 1:
// the decoder's weights, a fresh `score` Linear(hidden, 1) with bias, dropout 0; the LM head unused).
//
//   V(s_t) = score(norm(h_{t−1}))       the value of the state before response token t, read from the
//                                       same hidden row that predicts token t (verl: values[:, −T−1:−1])
//
// In a checkpoint the critic is critic.safetensors (the decoder's tensors under their HF names plus
// score.weight [1, hidden] and score.bias [1], float32) and critic_optimizer.safetensors.
import { F, fromBytes, noGrad, tensor, tidy, type DType, type Device, type Tensor } from '../engine/index.js';
import { Rng } from '../data/rng.js';
import { loadModel, tensorToWrite } from '../model/checkpoint.js';
import { SafetensorsReader, writeSafetensors } from '../model/safetensors.js';
import type { CausalLM } from '../model/transformer.js';
import { microBatches, pack, splitPerSequence, type Sequence } from './policy.js';
import { clippedValueLoss } from './value-loss.js';

export const CRITIC_FILE = 'critic.safetensors';
export const CRITIC_OPTIMIZER_FILE = 'critic_optimizer.safetensors';

/** Per-token inputs of the value loss for one sequence. */
export interface ValueTargets {
  oldValues: number[];
  returns: number[];
  /** Aggregation weight per token (token-mean over the mini-batch). */
  weights: number[];
}

export class ValueModel {
  readonly trunk: CausalLM;
  readonly scoreWeight: Tensor; // [1, hidden]
  readonly scoreBias: Tensor; // [1]

  constructor(trunk: CausalLM, scoreWeight: Tensor, scoreBias: Tensor) {
    const h = trunk.config.hiddenSize;
    if (scoreWeight.shape.join(',') !== `1,${h}` || scoreBias.shape.join(',') !== '1') {
      throw new Error(`value head must be score.weight [1, ${h}] and score.bias [1], got [${scoreWeight.shape}] and [${scoreBias.shape}]`);
    }
    this.trunk = trunk;
    this.scoreWeight = scoreWeight;
    this.scoreBias = scoreBias;
  }

  /**
   * A critic from a policy checkpoint folder: its decoder plus a new head drawn as HF initialises a
   * Linear (normal(0, initializer_range 0.02), bias 0), from the project's seeded RNG so that it is
   * reproducible.
   */
  static fromPolicy(dir: string, opts: { device?: Device; dtype?: DType; seed: number }): ValueModel {
    const trunk = loadModel(dir, { device: opts.device, dtype: opts.dtype });
    const rng = new Rng(opts.seed);
    const h = trunk.config.hiddenSize;
    const w = Array.from({ length: h }, () => rng.normal() * 0.02);
    const make = (xs: number[], shape: number[]) => noGrad(() => tidy(() => tensor(xs, shape).to({ dtype: trunk.dtype, device: trunk.device }))).keep();
    return new ValueModel(trunk, make(w, [1, h]), make([0], [1]));
  }

  /** All weights (decoder + head) as float32 safetensors (checkpoints: critic.safetensors). */
  saveWeights(file: string): void {
    const entries = [...this.trunk.params.entries()].map(([name, p]) => tensorToWrite(name, p, 'float32'));
    writeSafetensors(file, [...entries, tensorToWrite('score.weight', this.scoreWeight, 'float32'), tensorToWrite('score.bias', this.scoreBias, 'float32')]);
  }

  /** Copies the weights written by saveWeights into this critic (resume). */
  loadWeights(file: string): void {
    const reader = new SafetensorsReader(file);
    try {
      const targets = new Map<string, Tensor>([...this.trunk.params.entries(), ['score.weight', this.scoreWeight], ['score.bias', this.scoreBias]]);
      for (const [name, t] of targets) {
        if (!reader.has(name)) throw new Error(`${file}: no tensor ${name}`);
        const info = reader.info(name);
        noGrad(() =>
          tidy(() => {
            t.copy_(fromBytes(reader.read(name), 'float32', info.shape));
          }),
        );
      }
    } finally {
      reader.close();
    }
  }

  /** Trainable parameters: the decoder without the unused LM head (an untied lm_head gets no gradient), then the head. */
  parameters(): Tensor[] {
    const out: Tensor[] = [];
    for (const [name, p] of this.trunk.params) if (name !== 'lm_head.weight') out.push(p);
    out.push(this.scoreWeight, this.scoreBias);
    return out;
  }

  requiresGrad_(on = true): this {
    for (const p of this.parameters()) p.requiresGrad_(on);
    return this;
  }

  /** Values [N] (fp32) of hidden rows [N, hidden]. */
  head(hidden: Tensor): Tensor {
    return F.linear(hidden, this.scoreWeight, this.scoreBias).squeeze(-1).float();
  }

  /** The value of every response position, without gradients ([B][len_i]). */
  responseValues(seqs: readonly Sequence[], maxTokens: number): number[][] {
    const out: number[][] = new Array(seqs.length);
    for (const mb of microBatches(seqs, maxTokens)) {
      const part = mb.map((i) => seqs[i]!);
      const [vals, lengths] = noGrad(() =>
        tidy(() => {
          const p = pack(part, this.trunk.device);
          const hidden = this.trunk.hiddenStates(p.ids);
          const rows = hidden.reshape(-1, hidden.size(-1)).indexSelect(0, p.rows);
          return [this.head(rows).toNumbers(), p.lengths] as const;
        }),
      );
      const perSeq = splitPerSequence(vals, lengths);
      mb.forEach((i, j) => {
        out[i] = perSeq[j]!;
      });
    }
    return out;
  }

  /**
   * Forward + backward of the clipped value loss over some sequences; gradients accumulate in the
   * parameters' .grad. Returns the weighted loss and clip fraction (they add up across micro-batches).
   */
  accumulateValueGradient(seqs: readonly Sequence[], targets: readonly ValueTargets[], cliprangeValue: number): { loss: number; clipFrac: number } {
    return tidy(() => {
      const p = pack(seqs, this.trunk.device);
      const n = p.targets.size(0);
      const flat = (f: (t: ValueTargets) => number[]) => tensor(targets.flatMap(f), [n], { device: this.trunk.device });
      const hidden = this.trunk.hiddenStates(p.ids);
      const values = this.head(hidden.reshape(-1, hidden.size(-1)).indexSelect(0, p.rows)); // [N]
      const weights = flat((t) => t.weights);
      const { loss, clipped } = clippedValueLoss(
        values,
        flat((t) => t.returns),
        flat((t) => t.oldValues),
        cliprangeValue,
      );
      const total = loss.mul(weights).sum();
      total.backward();
      return { loss: total.item(), clipFrac: clipped.float().mul(weights).sum().item() };
    });
  }

  dispose(): void {
    this.trunk.dispose();
    this.scoreWeight.dispose();
    this.scoreBias.dispose();
  }
}
