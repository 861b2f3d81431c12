// Autograd: gradient modes, backward/grad over several tensors, activation checkpointing.
import { native } from './native.js';
import { tidy } from './scope.js';
import { Tensor, wrap } from './tensor.js';

/** Runs fn with gradient recording off (like `with torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const prev = native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs fn with gradient recording on (inside a noGrad region). */
export function enableGrad<T>(fn: () => T): T {
  const prev = native.setGradEnabled(true);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/**
 * Runs fn in inference mode (like `with torch.inference_mode()`): cheaper than noGrad, but
 * tensors made here can never join an autograd graph later. Use for generation.
 */
export function inferenceMode<T>(fn: () => T): T {
  native.enterInference();
  try {
    return fn();
  } finally {
    native.exitInference();
  }
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** Accumulates d(sum_i <tensors_i, grads_i>)/d(leaves) into the leaves' .grad. */
export function backward(tensors: Tensor[], grads: (Tensor | null)[] | null = null, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  native.backward(
    tensors.map((t) => t.id),
    grads ? grads.map((g) => g?.id ?? null) : null,
    opts.retainGraph ?? false,
    opts.createGraph ?? false,
  );
}

/** Gradients of outputs w.r.t. inputs, returned instead of accumulated (torch.autograd.grad). */
export function grad(
  outputs: Tensor[],
  inputs: Tensor[],
  gradOutputs: (Tensor | null)[] | null = null,
  opts: { retainGraph?: boolean; createGraph?: boolean; allowUnused?: boolean } = {},
): (Tensor | null)[] {
  const ids = native.autogradGrad(
    outputs.map((t) => t.id),
    inputs.map((t) => t.id),
    gradOutputs ? gradOutputs.map((g) => g?.id ?? null) : null,
    opts.retainGraph ?? false,
    opts.createGraph ?? false,
    opts.allowUnused ?? false,
  );
  return ids.map((id) => (id === null ? null : wrap(id)));
}

/**
 * Activation checkpointing for a chain of blocks x -> b1 -> b2 -> ... -> y.
 *
 * forward() runs the blocks without recording a graph and keeps only each block's input;
 * backward(dy) walks the blocks in reverse, recomputes one block with the graph on, and
 * backpropagates through it alone. Memory: one block's activations instead of all of them,
 * for one extra forward. Parameter gradients accumulate in the parameters' .grad as usual.
 */
export class CheckpointedSequence {
  private inputs: Tensor[] = [];

  constructor(private readonly blocks: ((x: Tensor) => Tensor)[]) {}

  /**
   * Returns y detached with requires_grad, so a loss on it can be backpropagated to y. y belongs
   * to the caller's scope like any op result; the blocks' inputs are kept until backward().
   */
  forward(x: Tensor): Tensor {
    this.release();
    let h = x.detach().keep();
    noGrad(() => {
      for (const block of this.blocks) {
        this.inputs.push(h);
        h = tidy(() => block(h)).keep();
      }
    });
    const y = h.detach();
    h.dispose();
    return y.requiresGrad_(true);
  }

  /** Backpropagates dy (the gradient w.r.t. forward()'s output) through every block; returns dx. */
  backward(dy: Tensor): Tensor {
    let g = dy;
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const input = this.inputs[i]!;
      const next = tidy(() => {
        const xi = input.detach().requiresGrad_(true);
        const yi = this.blocks[i]!(xi);
        backward([yi], [g]);
        return xi.grad!;
      });
      if (g !== dy) g.dispose();
      g = next.keep();
    }
    this.release();
    if (g === dy) return g;
    // dx joins the caller's scope (a kept tensor would outlive every tidy and leak per step).
    const dx = g.detach();
    g.dispose();
    return dx;
  }

  private release(): void {
    for (const t of this.inputs) t.dispose();
    this.inputs = [];
  }
}
