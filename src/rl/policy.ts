// Per-token log-probs of responses under a model, and the GRPO gradient of a micro-batch.
//
// Sequences are prompt + response, right-padded into [b, L] micro-batches that fit a token
// budget. Only response positions are scored, and the LM head runs on a few hundred rows at a
// time: the full fp32 [tokens × vocab] logits never exist at once, neither in the forward
// pass nor, thanks to the detach-and-backward-per-chunk trick, in backward.
import {
  CheckpointedSequence, backward, noGrad, tensor, tidy, type Tensor,
} from '../engine/index.js';
import type { CausalLM } from '../model/transformer.js';
import { grpoLoss, tokenLogprobsAndEntropy, type LossCoefficients } from './losses.js';

export interface Sequence {
  promptIds: number[];
  responseIds: number[];
}

/** Groups sequence indices into micro-batches whose padded size (count × longest) fits maxTokens. */
export function microBatches(seqs: readonly Sequence[], maxTokens: number): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let longest = 0;
  seqs.forEach((s, i) => {
    const len = s.promptIds.length + s.responseIds.length;
    const nextLongest = Math.max(longest, len);
    if (cur.length > 0 && (cur.length + 1) * nextLongest > maxTokens) {
      out.push(cur);
      cur = [];
      longest = 0;
    }
    cur.push(i);
    longest = Math.max(longest, len);
  });
  if (cur.length) out.push(cur);
  return out;
}

interface Packed {
  ids: Tensor; // [b, L] int64
  /** Flat row (j·L + t − 1) of the hidden state that predicts each response token. */
  rows: Tensor; // [N] int64
  targets: Tensor; // [N] int64
  lengths: number[]; // response length per sequence
}

function pack(seqs: readonly Sequence[], device: string): Packed {
  const L = Math.max(...seqs.map((s) => s.promptIds.length + s.responseIds.length));
  const ids: number[] = [];
  const rows: number[] = [];
  const targets: number[] = [];
  seqs.forEach((s, j) => {
    const full = [...s.promptIds, ...s.responseIds];
    ids.push(...full, ...new Array<number>(L - full.length).fill(0));
    for (let t = s.promptIds.length; t < full.length; t++) {
      rows.push(j * L + t - 1);
      targets.push(full[t]!);
    }
  });
  return {
    ids: tensor(ids, [seqs.length, L], { dtype: 'int64', device }),
    rows: tensor(rows, [rows.length], { dtype: 'int64', device }),
    targets: tensor(targets, [targets.length], { dtype: 'int64', device }),
    lengths: seqs.map((s) => s.responseIds.length),
  };
}

function splitPerSequence(values: number[], lengths: number[]): number[][] {
  const out: number[][] = [];
  let k = 0;
  for (const len of lengths) {
    out.push(values.slice(k, k + len));
    k += len;
  }
  return out;
}

/** Rows of the LM head evaluated together: bounds the fp32 logits to headChunk × vocab. */
const HEAD_CHUNK = 512;

/** Log-prob and entropy of every response token (on logits / temperature), without gradients. */
export function responseLogprobs(model: CausalLM, seqs: readonly Sequence[], temperature: number, maxTokens: number): { logp: number[][]; entropy: number[][] } {
  const logp: number[][] = new Array(seqs.length);
  const entropy: number[][] = new Array(seqs.length);
  for (const mb of microBatches(seqs, maxTokens)) {
    const part = mb.map((i) => seqs[i]!);
    const [lp, ent, lengths] = noGrad(() => tidy(() => {
      const p = pack(part, model.device);
      const hidden = model.hiddenStates(p.ids);
      const flat = hidden.reshape(-1, hidden.size(-1)).indexSelect(0, p.rows);
      const lps: number[] = [];
      const ents: number[] = [];
      for (let s = 0; s < flat.size(0); s += HEAD_CHUNK) {
        tidy(() => {
          const n = Math.min(HEAD_CHUNK, flat.size(0) - s);
          const out = tokenLogprobsAndEntropy(model.logits(flat.narrow(0, s, n)), p.targets.narrow(0, s, n), temperature);
          lps.push(...out.logp.toNumbers());
          ents.push(...out.entropy.toNumbers());
        });
      }
      return [lps, ents, p.lengths] as const;
    }));
    const lpSeq = splitPerSequence(lp, lengths);
    const entSeq = splitPerSequence(ent, lengths);
    mb.forEach((i, j) => { logp[i] = lpSeq[j]!; entropy[i] = entSeq[j]!; });
  }
  return { logp, entropy };
}

/** Per-token inputs of the loss for one sequence (old/ref log-probs, advantage, weight). */
export interface TokenTargets {
  oldLogp: number[];
  refLogp: number[] | null;
  advantage: number;
  /** Aggregation weight of each response token (see aggregationWeights). */
  weights: number[];
}

export interface MicroBatchStats {
  loss: number;
  pg: number;
  entropy: number;
  kl: number;
  clipFrac: number;
}

/**
 * Forward + backward of the GRPO loss over some sequences; gradients accumulate in the
 * parameters' .grad. Returns the weighted loss parts (they add up across micro-batches).
 */
export function accumulatePolicyGradient(model: CausalLM, seqs: readonly Sequence[], targets: readonly TokenTargets[],
  temperature: number, coef: LossCoefficients, opts: { checkpointing?: boolean } = {}): MicroBatchStats {
  return tidy(() => {
    const p = pack(seqs, model.device);
    const dev = model.device;
    const flatOf = (f: (t: TokenTargets) => number[]) => tensor(targets.flatMap(f), [p.targets.size(0)], { device: dev });
    const oldLogp = flatOf((t) => t.oldLogp);
    const refLogp = coef.klCoef !== 0 ? flatOf((t) => t.refLogp ?? t.oldLogp) : null;
    const advantages = flatOf((t) => new Array<number>(t.weights.length).fill(t.advantage));
    const weights = flatOf((t) => t.weights);

    // Trunk forward with a graph, or checkpointed: blocks run without a graph and are recomputed
    // one at a time in backward (then the trunk's output y is a leaf and the rest is manual).
    const [b, l] = p.ids.shape as [number, number];
    let trunkOut: Tensor; // normed hidden [b, l, h]
    let backwardThroughBlocks: (() => void) | null = null;
    if (opts.checkpointing) {
      const ctx = model.attentionContext(b, l);
      const x0 = model.embed(p.ids);
      const seq = new CheckpointedSequence(Array.from({ length: model.config.numLayers }, (_, i) => (x: Tensor) => model.block(i, x, ctx)));
      const y = seq.forward(x0);
      trunkOut = model.finalNorm(y);
      backwardThroughBlocks = () => {
        const dx = seq.backward(y.grad!);
        backward([x0], [dx]);
        dx.dispose();
        y.dispose();
      };
    } else {
      trunkOut = model.hiddenStates(p.ids);
    }
    const picked = trunkOut.reshape(-1, trunkOut.size(-1)).indexSelect(0, p.rows);
    const detached = picked.detach().requiresGrad_(true);
    const sums = { loss: 0, pg: 0, entropy: 0, kl: 0, clipFrac: 0 };
    const n = detached.size(0);
    for (let s = 0; s < n; s += HEAD_CHUNK) {
      tidy(() => {
        const m = Math.min(HEAD_CHUNK, n - s);
        const { logp, entropy } = tokenLogprobsAndEntropy(model.logits(detached.narrow(0, s, m)), p.targets.narrow(0, s, m), temperature);
        const out = grpoLoss({
          logp, entropy,
          oldLogp: oldLogp.narrow(0, s, m),
          refLogp: refLogp ? refLogp.narrow(0, s, m) : null,
          advantages: advantages.narrow(0, s, m),
          weights: weights.narrow(0, s, m),
        }, coef);
        out.loss.backward();
        sums.loss += out.loss.item();
        sums.pg += out.pg.item();
        sums.entropy += out.entropy.item();
        sums.kl += out.kl ? out.kl.item() : 0;
        sums.clipFrac += out.clipFrac.item();
      });
    }
    const dPicked = detached.grad;
    if (dPicked) {
      backward([picked], [dPicked]);
      backwardThroughBlocks?.();
    }
    return sums;
  });
}
