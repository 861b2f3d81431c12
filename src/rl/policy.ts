// Per-token log-probs of responses under a model, and the GRPO gradient of a micro-batch.
//
// Sequences are prompt + response, right-padded into [b, L] micro-batches that fit a token
// budget. Only response positions are scored, and the LM head runs on a few hundred rows at a
// time: the full fp32 [tokens × vocab] logits never exist at once, neither in the forward
// pass nor, thanks to the detach-and-backward-per-chunk trick, in backward.
import {
  CheckpointedSequence,
  autocast,
  backward,
  cat,
  noGrad,
  stack,
  tensor,
  tidy,
  withoutAutocast,
  zeros,
  type DType,
  type Tensor,
} from '../engine/index.js';
import type { CausalLM } from '../model/transformer.js';
import { policyLossOf } from '../algorithms/registry.js';
import { sequenceLogRatios } from '../algorithms/gspo-loss.js';
import { HEAD_CHUNK } from '../memory-plan/memory.js';
import { grpoLoss, tokenLogprobsAndEntropy, type LossCoefficients } from './losses.js';

export interface Sequence {
  promptIds: number[];
  responseIds: number[];
}

/**
 * Groups sequence indices into micro-batches whose padded size (count × longest) fits maxTokens.
 * Sequences are taken longest first, so each micro-batch holds sequences of similar length and
 * padding stays small (a typical GRPO length mix pads < 10% instead of ~2× in sample order);
 * the longest micro-batch comes first, so a budget that is too large fails at once, not late.
 * The order of sequences does not change the gradient: the loss is a sum of per-token terms
 * whose weights are fixed beforehand (aggregationWeights).
 */
export function microBatches(seqs: readonly Sequence[], maxTokens: number): number[][] {
  const len = (i: number) => seqs[i]!.promptIds.length + seqs[i]!.responseIds.length;
  const order = [...seqs.keys()].sort((a, b) => len(b) - len(a) || a - b);
  const out: number[][] = [];
  let cur: number[] = [];
  let longest = 0; // the first member's length: the order is descending
  for (const i of order) {
    if (cur.length > 0 && (cur.length + 1) * longest > maxTokens) {
      out.push(cur);
      cur = [];
    }
    if (cur.length === 0) longest = len(i);
    cur.push(i);
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Padded and real tokens of a micro-batching (padding fraction = 1 − real / padded). */
export function paddingOf(seqs: readonly Sequence[], batches: readonly number[][]): { padded: number; real: number } {
  let padded = 0;
  let real = 0;
  for (const mb of batches) {
    const lens = mb.map((i) => seqs[i]!.promptIds.length + seqs[i]!.responseIds.length);
    padded += mb.length * Math.max(...lens);
    real += lens.reduce((a, b) => a + b, 0);
  }
  return { padded, real };
}

export interface Packed {
  ids: Tensor; // [b, L] int64
  /** Flat row (j·L + t − 1) of the hidden state that predicts each response token. */
  rows: Tensor; // [N] int64
  targets: Tensor; // [N] int64
  lengths: number[]; // response length per sequence
}

export function pack(seqs: readonly Sequence[], device: string): Packed {
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

export function splitPerSequence(values: number[], lengths: number[]): number[][] {
  const out: number[][] = [];
  let k = 0;
  for (const len of lengths) {
    out.push(values.slice(k, k + len));
    k += len;
  }
  return out;
}

/** How the forward passes run: matmuls in computeDtype under autocast (null/float32: as the weights are). */
export interface ComputeOptions {
  computeDtype?: DType | null;
  /** Rows of the LM head evaluated together (default HEAD_CHUNK): bounds the logits to headChunk × vocab. */
  headChunk?: number;
}

/**
 * Log-prob and entropy of every response token (on logits / temperature), without gradients.
 * One device-to-host read per micro-batch.
 */
export function responseLogprobs(
  model: CausalLM,
  seqs: readonly Sequence[],
  temperature: number,
  maxTokens: number,
  opts: ComputeOptions = {},
): { logp: number[][]; entropy: number[][] } {
  const logp: number[][] = new Array(seqs.length);
  const entropy: number[][] = new Array(seqs.length);
  const chunk = opts.headChunk ?? HEAD_CHUNK;
  for (const mb of microBatches(seqs, maxTokens)) {
    const part = mb.map((i) => seqs[i]!);
    const [values, lengths] = noGrad(() =>
      tidy(() =>
        autocast(model.device, opts.computeDtype ?? null, () => {
          const p = pack(part, model.device);
          const hidden = model.hiddenStates(p.ids);
          const flat = hidden.reshape(-1, hidden.size(-1)).indexSelect(0, p.rows);
          const outs: Tensor[] = [];
          for (let s = 0; s < flat.size(0); s += chunk) {
            const n = Math.min(chunk, flat.size(0) - s);
            outs.push(
              tidy(() => {
                const out = tokenLogprobsAndEntropy(model.logits(flat.narrow(0, s, n)), p.targets.narrow(0, s, n), temperature);
                return stack([out.logp, out.entropy], 0); // [2, n]
              }),
            );
          }
          return [cat(outs, 1).toNumbers(), p.lengths] as const; // [2, N] read once
        }),
      ),
    );
    const total = values.length / 2;
    const lpSeq = splitPerSequence(values.slice(0, total), lengths);
    const entSeq = splitPerSequence(values.slice(total), lengths);
    mb.forEach((i, j) => {
      logp[i] = lpSeq[j]!;
      entropy[i] = entSeq[j]!;
    });
  }
  return { logp, entropy };
}

/** Per-token inputs of the loss for one sequence (old/ref log-probs, advantage, weight). */
export interface TokenTargets {
  /** null: the old policy is the current one (an exactly on-policy update): its log-probs detached. */
  oldLogp: number[] | null;
  refLogp: number[] | null;
  /** The sequence's advantage, or one per token (GAE). */
  advantage: number | number[];
  /** Aggregation weight of each response token (see aggregationWeights). */
  weights: number[];
}

/** Order of the loss parts in the stats tensor accumulatePolicyGradient returns. */
export const STAT_NAMES = ['loss', 'pg', 'entropy', 'kl', 'clipFrac'] as const;
export type MicroBatchStats = Record<(typeof STAT_NAMES)[number], number>;

/**
 * Forward + backward of the GRPO loss over some sequences; gradients accumulate in the
 * parameters' .grad. Returns the weighted loss parts as a device tensor [5] in STAT_NAMES order
 * (they add up across micro-batches): reading it is left to the caller, once per update, so the
 * device never waits for the host inside a step.
 *
 * With computeDtype bf16 the forward runs under autocast and backward outside it; the float32
 * parameters receive float32 gradients through the casts. An enclosing autocast region (the
 * trainer opens one per update) lets every micro-batch reuse one bf16 cast of the weights.
 */
export function accumulatePolicyGradient(
  model: CausalLM,
  seqs: readonly Sequence[],
  targets: readonly TokenTargets[],
  temperature: number,
  coef: LossCoefficients,
  opts: { checkpointing?: boolean } & ComputeOptions = {},
): Tensor {
  const dev = model.device;
  const cast = <T>(fn: () => T): T => autocast(dev, opts.computeDtype ?? null, fn);
  const plain = <T>(fn: () => T): T => withoutAutocast(dev, fn);
  const chunk = opts.headChunk ?? HEAD_CHUNK;
  return tidy(() => {
    const p = pack(seqs, dev);
    const flatOf = (f: (t: TokenTargets) => number[]) => tensor(targets.flatMap(f), [p.targets.size(0)], { device: dev });
    // On-policy (every oldLogp null): the old log-probs are each chunk's own logp, detached, so
    // the ratio is exactly 1 with the gradient of the recomputed case (TRL, num_iterations 1).
    const current = targets.length > 0 && targets.every((t) => t.oldLogp === null);
    if (!current && targets.some((t) => t.oldLogp === null)) throw new Error('accumulatePolicyGradient: old log-probs given for some sequences only');
    const oldLogp = current ? null : flatOf((t) => t.oldLogp!);
    // The KL falls back to the old policy where no reference is given (on-policy: logp detached).
    const refOf = (t: TokenTargets) => t.refLogp ?? t.oldLogp;
    const refFromCurrent = current && targets.every((t) => t.refLogp === null);
    if (coef.klCoef !== 0 && current && !refFromCurrent && targets.some((t) => t.refLogp === null))
      throw new Error('accumulatePolicyGradient: reference log-probs given for some sequences only');
    const refLogp = coef.klCoef !== 0 && !refFromCurrent ? flatOf((t) => refOf(t)!) : null;
    const advantages = flatOf((t) => (typeof t.advantage === 'number' ? new Array<number>(t.weights.length).fill(t.advantage) : t.advantage));
    const weights = flatOf((t) => t.weights);

    // Trunk forward with a graph, or checkpointed: blocks run without a graph and are recomputed
    // one at a time in backward (then the trunk's output y is a leaf and the rest is manual).
    const [b, l] = p.ids.shape as [number, number];
    let trunkOut: Tensor; // normed hidden [b, l, h]
    let backwardThroughBlocks: (() => void) | null = null;
    if (opts.checkpointing) {
      const ctx = model.attentionContext(b, l);
      const x0 = cast(() => model.embed(p.ids));
      const seq = new CheckpointedSequence(Array.from({ length: model.config.numLayers }, (_, i) => (x: Tensor) => cast(() => model.block(i, x, ctx))));
      const y = seq.forward(x0);
      trunkOut = cast(() => model.finalNorm(y));
      backwardThroughBlocks = () => {
        const dx = seq.backward(y.grad!);
        backward([x0], [dx]);
        dx.dispose();
        y.dispose();
      };
    } else {
      trunkOut = cast(() => model.hiddenStates(p.ids));
    }
    const picked = trunkOut.reshape(-1, trunkOut.size(-1)).indexSelect(0, p.rows);
    const detached = picked.detach().requiresGrad_(true);
    let sums: Tensor | null = null; // [5] on the device
    const n = detached.size(0);
    // A sequence-level ratio (GSPO): a no-grad pass over the head gives each sequence's mean log-ratio.
    // On-policy it is 0 (logp − logp): no head pass.
    const seqLogRatio = policyLossOf(coef.policyLoss ?? 'vanilla').needs.sequenceLogRatio
      ? oldLogp
        ? sequenceLogRatioTensor(model, detached, p, oldLogp, temperature, cast, chunk)
        : zeros([n], { device: dev })
      : null;
    for (let s = 0; s < n; s += chunk) {
      const part = tidy(() => {
        const m = Math.min(chunk, n - s);
        const { logp, entropy } = tokenLogprobsAndEntropy(
          cast(() => model.logits(detached.narrow(0, s, m))),
          p.targets.narrow(0, s, m),
          temperature,
        );
        const out = grpoLoss(
          {
            logp,
            entropy,
            oldLogp: oldLogp ? oldLogp.narrow(0, s, m) : logp.detach(),
            refLogp: refLogp ? refLogp.narrow(0, s, m) : coef.klCoef !== 0 ? logp.detach() : null,
            advantages: advantages.narrow(0, s, m),
            weights: weights.narrow(0, s, m),
            seqLogRatio: seqLogRatio ? seqLogRatio.narrow(0, s, m) : undefined,
          },
          coef,
        );
        plain(() => out.loss.backward());
        return stack([out.loss, out.pg, out.entropy, out.kl ?? zeros([], { device: dev }), out.clipFrac], 0).detach();
      });
      sums = sums ? sums.add(part) : part;
    }
    const dPicked = detached.grad;
    if (dPicked) {
      plain(() => {
        backward([picked], [dPicked]);
        backwardThroughBlocks?.();
      });
    }
    return sums ?? zeros([STAT_NAMES.length], { device: dev });
  });
}

/** For every response token, the mean (logp − oldLogp) of its sequence under the current weights, detached ([N]). */
function sequenceLogRatioTensor(
  model: CausalLM,
  hidden: Tensor,
  p: Packed,
  oldLogp: Tensor,
  temperature: number,
  cast: <T>(fn: () => T) => T,
  chunk: number,
): Tensor {
  return noGrad(() => {
    const n = hidden.size(0);
    const lps: number[] = [];
    for (let s = 0; s < n; s += chunk) {
      tidy(() => {
        const m = Math.min(chunk, n - s);
        lps.push(
          ...tokenLogprobsAndEntropy(
            cast(() => model.logits(hidden.narrow(0, s, m))),
            p.targets.narrow(0, s, m),
            temperature,
          ).logp.toNumbers(),
        );
      });
    }
    const ratios = sequenceLogRatios(splitPerSequence(lps, p.lengths), splitPerSequence(oldLogp.toNumbers(), p.lengths));
    return tensor(ratios.flat(), [n], { device: model.device });
  });
}
