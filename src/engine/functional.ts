// Neural-network functions (torch.nn.functional equivalents) on ATen kernels.
import { call, type Tensor } from './tensor.js';

export function embedding(weight: Tensor, ids: Tensor): Tensor {
  return call('aten::embedding', weight, ids);
}

/** x @ w.T (+ b), w of shape [out, in] as in nn.Linear. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return call('aten::linear', x, weight, bias);
}

/**
 * RMS norm as Hugging Face's Qwen2/Llama RMSNorm computes it: normalise in float32, cast back
 * to the input dtype, then scale by the weight (this order matters for bf16 parity).
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const dtype = x.dtype;
  if (dtype === 'float32') {
    const n = call('aten::rms_norm', x, [x.size(-1)], null, eps);
    try {
      return n.mul(weight);
    } finally {
      n.dispose();
    }
  }
  const x32 = x.float();
  const n = call('aten::rms_norm', x32, [x.size(-1)], null, eps);
  const back = n.to({ dtype });
  try {
    return back.mul(weight);
  } finally {
    x32.dispose();
    n.dispose();
    back.dispose();
  }
}

export function silu(x: Tensor): Tensor {
  return call('aten::silu', x);
}
export function relu(x: Tensor): Tensor {
  return call('aten::relu', x);
}
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return call('aten::gelu', x, approximate);
}
export function softmax(x: Tensor, dim: number): Tensor {
  return x.softmax(dim);
}
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return x.logSoftmax(dim);
}

export interface AttentionOptions {
  /** Boolean (true = attend) or additive float mask, broadcastable to [B, H, Lq, Lk]. */
  mask?: Tensor | null;
  /** Causal mask aligned to the top-left (query i sees keys <= i); not combinable with mask. */
  causal?: boolean;
  /** Defaults to 1/sqrt(head_dim). */
  scale?: number;
  /** Let k/v have fewer heads than q (grouped-query attention). */
  enableGqa?: boolean;
  dropout?: number;
}

/**
 * softmax(q k^T * scale + mask) v on [B, H, L, D] tensors through ATen's SDPA, which picks the
 * flash / memory-efficient / cuDNN kernel on CUDA and a fused CPU kernel otherwise.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  return call(
    'aten::scaled_dot_product_attention',
    q,
    k,
    v,
    opts.mask ?? null,
    opts.dropout ?? 0,
    opts.causal ?? false,
    opts.scale ?? null,
    opts.enableGqa ?? false,
  );
}

const REDUCTION = { none: 0, mean: 1, sum: 2 } as const;

/** Cross entropy of logits [N, C] (or [N, C, ...]) against class ids [N]. */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  opts: { reduction?: 'none' | 'mean' | 'sum'; ignoreIndex?: number; labelSmoothing?: number } = {},
): Tensor {
  return call('aten::cross_entropy_loss', logits, target, null, REDUCTION[opts.reduction ?? 'mean'], opts.ignoreIndex ?? -100, opts.labelSmoothing ?? 0);
}

export function mseLoss(x: Tensor, y: Tensor, reduction: 'none' | 'mean' | 'sum' = 'mean'): Tensor {
  return call('aten::mse_loss', x, y, REDUCTION[reduction]);
}

export function dropout(x: Tensor, p: number, train: boolean): Tensor {
  return call('aten::dropout', x, p, train);
}
