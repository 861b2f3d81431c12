// Device memory of a GRPO run, by arithmetic on the model's config.json (no weights needed).
//
// Every number is bytes. The model follows what this package does (src/rl/trainer.ts,
// src/rl/policy.ts, src/model/transformer.ts), not a generic rule of thumb:
//   - float32 master weights, float32 gradients, AdamW exp_avg + exp_avg_sq in float32;
//   - with bf16 compute, autocast caches one bf16 cast of the weights per region (rollouts,
//     each update), and the frozen reference model is stored in bf16;
//   - training activations are what autograd saves, counted per token per layer below;
//   - the LM head runs HEAD_CHUNK rows at a time, so logits never exist for all tokens;
//   - KV cache: keys and values of every layer for every live token, in the compute dtype.
import type { ModelConfig } from '../model/config.js';
import { parameterShapes } from '../model/transformer.js';

/** Rows of the LM head evaluated together in training and log-prob passes (src/rl/policy.ts). */
export const HEAD_CHUNK = 512;

export function parameterCount(cfg: ModelConfig): number {
  let n = 0;
  for (const shape of parameterShapes(cfg).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

/** Bytes of keys + values per token (all layers). Qwen2.5-Math-1.5B in bf16: 2·28·2·128·2 = 28,672. */
export function kvBytesPerToken(cfg: ModelConfig, computeBytes: number): number {
  return 2 * cfg.numLayers * cfg.numKvHeads * cfg.headDim * computeBytes;
}

/**
 * Bytes autograd keeps per token per decoder layer between forward and backward (no
 * checkpointing), c = bytes of the compute dtype (2 for bf16 under autocast, 4 for float32):
 *   input RMSNorm:  x (4h, float32 residual) + normed x (4h) + rstd (4)
 *                   + the q/k/v linears' inputs: three bf16 casts (3·c·h), or the shared float32 input (4h)
 *   attention:      SDPA's q, k, v (c·q + 2·c·kv; rotary saves only cos/sin) + its output (c·q)
 *                   + logsumexp (4 per head) + the o_proj input (a contiguous copy, c·q)
 *   post RMSNorm:   x1 (4h) + normed (4h) + rstd (4) + the gate/up inputs (2·c·h, or 4h)
 *   MLP:            gate out, silu out, up out, their product (4·c·m)
 * (q = heads·headDim, kv = kvHeads·headDim, m = intermediate size.) Residual adds, the bias
 * adds and the rotary multiplications save nothing that is not already counted.
 */
export function activationBytesPerTokenLayer(cfg: ModelConfig, computeBytes: number): number {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const m = cfg.intermediateSize;
  const c = computeBytes;
  const cast = c < 4;
  const inputNorm = 4 * h + 4 * h + 4 + (cast ? 3 * c * h : 4 * h);
  const attention = c * q + 2 * c * kv + c * q + 4 * cfg.numHeads + c * q;
  const postNorm = 4 * h + 4 * h + 4 + (cast ? 2 * c * h : 4 * h);
  const mlp = 4 * c * m;
  return inputNorm + attention + postNorm + mlp;
}

/**
 * Activation bytes of one training micro-batch of `tokens` (padded) tokens:
 *   without checkpointing: layers × per-layer + 16h per token outside the blocks (final norm input
 *     and output, the picked hidden rows and their gradient);
 *   with checkpointing: each block's float32 input (4h per layer) + one block's activations while
 *     it is recomputed + its input gradient and largest intermediate gradient (4h + 4m), + 16h.
 */
export function activationBytes(cfg: ModelConfig, tokens: number, computeBytes: number, checkpointing: boolean): number {
  const perLayer = activationBytesPerTokenLayer(cfg, computeBytes);
  const h = cfg.hiddenSize;
  const outside = 16 * h;
  const perToken = checkpointing ? cfg.numLayers * 4 * h + perLayer + 4 * h + 4 * cfg.intermediateSize + outside : cfg.numLayers * perLayer + outside;
  return tokens * perToken;
}

/**
 * Transient bytes of one LM-head chunk in training: HEAD_CHUNK rows × vocab × 32 bytes (the
 * low-precision logits, their float32 copy, logits/T, log-softmax, exp and the product kept for
 * the entropy's backward, and the gradients of the same size in backward).
 */
export function headWorkspaceBytes(cfg: ModelConfig): number {
  return HEAD_CHUNK * cfg.vocabSize * 32;
}

/** Transient bytes of sampling the next token for `rows` rows: float32 logits and 3 temporaries [rows, vocab]. */
export function samplingWorkspaceBytes(cfg: ModelConfig, rows: number): number {
  return rows * cfg.vocabSize * 4 * 4;
}
