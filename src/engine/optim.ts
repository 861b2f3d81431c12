// Optimizers and gradient clipping, on ATen's fused / foreach kernels (the same ones
// torch.optim uses), so an update is a handful of kernel launches whatever the model size.
import { noGrad } from './autograd.js';
import { callRaw, Tensor, wrap } from './tensor.js';
import { tidy } from './scope.js';
import { full, zerosLike } from './creation.js';

export interface AdamWOptions {
  /** Learning rate. Default 1e-3 (PyTorch); the 1-shot RLVR paper uses 1e-6. */
  lr?: number;
  /** Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay. Default 0.01 (PyTorch's AdamW default; also the paper's). */
  weightDecay?: number;
  /** Use the single fused kernel (default true); false uses the per-tensor reference update. */
  fused?: boolean;
}

/** AdamW (Loshchilov & Hutter), numerically the same as torch.optim.AdamW. */
export class AdamW {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly fused: boolean;
  readonly params: Tensor[];
  readonly expAvg: Tensor[];
  readonly expAvgSq: Tensor[];
  /** Per-parameter step counts as float32 scalars, as the fused kernel wants them. */
  readonly steps: Tensor[];

  constructor(params: Tensor[], opts: AdamWOptions = {}) {
    this.params = params;
    this.lr = opts.lr ?? 1e-3;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.fused = opts.fused ?? true;
    this.expAvg = params.map((p) => noGrad(() => zerosLike(p)).keep());
    this.expAvgSq = params.map((p) => noGrad(() => zerosLike(p)).keep());
    this.steps = params.map((p) => full([], 0, { dtype: 'float32', device: p.device }).keep());
  }

  /** One update with the gradients in each parameter's .grad (parameters without one are skipped). */
  step(): void {
    tidy(() =>
      noGrad(() => {
        const idx: number[] = [];
        const grads: Tensor[] = [];
        this.params.forEach((p, i) => {
          const g = p.grad;
          if (g) {
            idx.push(i);
            grads.push(g);
          }
        });
        if (idx.length === 0) return;
        const pick = <T>(xs: T[]) => idx.map((i) => xs[i]!);
        const [beta1, beta2] = this.betas;
        if (this.fused) {
          // As torch.optim does: the kernel reads the step counts but does not advance them.
          callRaw('aten::_foreach_add_.Scalar', pick(this.steps), 1);
          callRaw(
            'aten::_fused_adamw_',
            pick(this.params),
            grads,
            pick(this.expAvg),
            pick(this.expAvgSq),
            [],
            pick(this.steps),
            this.lr,
            beta1,
            beta2,
            this.weightDecay,
            this.eps,
            false,
            false,
            null,
            null,
          );
          return;
        }
        for (let j = 0; j < idx.length; j++) this.referenceUpdate(idx[j]!, grads[j]!);
      }),
    );
  }

  /** torch.optim.AdamW's single-tensor algorithm, op by op (the fallback and the test oracle). */
  private referenceUpdate(i: number, g: Tensor): void {
    const p = this.params[i]!;
    const m = this.expAvg[i]!;
    const v = this.expAvgSq[i]!;
    const [beta1, beta2] = this.betas;
    this.steps[i]!.add_(1);
    const step = this.steps[i]!.item();
    p.mul_(1 - this.lr * this.weightDecay);
    m.mul_(beta1).add_(g, 1 - beta1);
    v.mul_(beta2).add_(g.mul(g), 1 - beta2);
    const bc1 = 1 - beta1 ** step;
    const bc2 = 1 - beta2 ** step;
    const denom = v.sqrt().div(Math.sqrt(bc2)).add(this.eps);
    p.add_(m.div(denom), -this.lr / bc1);
  }

  /** Clears gradients (set to none, the cheap way). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** The optimizer state, for checkpoints: exp_avg, exp_avg_sq and step per parameter. */
  state(): { expAvg: Tensor[]; expAvgSq: Tensor[]; steps: Tensor[] } {
    return { expAvg: this.expAvg, expAvgSq: this.expAvgSq, steps: this.steps };
  }

  loadState(s: { expAvg: Tensor[]; expAvgSq: Tensor[]; steps: Tensor[] }): void {
    noGrad(() => {
      s.expAvg.forEach((t, i) => this.expAvg[i]!.copy_(t));
      s.expAvgSq.forEach((t, i) => this.expAvgSq[i]!.copy_(t));
      s.steps.forEach((t, i) => this.steps[i]!.copy_(t));
    });
  }

  dispose(): void {
    for (const t of [...this.expAvg, ...this.expAvgSq, ...this.steps]) t.dispose();
  }
}

/**
 * Scales gradients so that their global L2 norm is at most maxNorm, like
 * torch.nn.utils.clip_grad_norm_ (coefficient maxNorm / (norm + 1e-6), clamped to 1).
 * Returns the total norm before clipping; maxNorm = Infinity only measures it.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return tidy(() => clipGradNormTensor(params, maxNorm).item());
}

/** clipGradNorm without reading the norm back: a 0-dim device tensor (no host sync). */
export function clipGradNormTensor(params: Tensor[], maxNorm: number): Tensor {
  return tidy(() =>
    noGrad(() => {
      const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
      if (grads.length === 0) return full([], 0, { dtype: 'float32', device: params[0]?.device ?? 'cpu' });
      const norms = (callRaw('aten::_foreach_norm.Scalar', grads, 2) as number[]).map(wrap);
      const total = callRaw('aten::stack', norms, 0) as number;
      const totalNorm = wrap(callRaw('aten::linalg_vector_norm', wrap(total), 2) as number);
      if (maxNorm === Infinity) return totalNorm; // measure only
      const coef = totalNorm.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
      callRaw('aten::_foreach_mul_.Tensor', grads, coef);
      return totalNorm;
    }),
  );
}
