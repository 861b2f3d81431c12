"""PyTorch side of `npm run bench:engine` (bench/engine.ts runs this; it mirrors the TS loops exactly).

  python3 bench/engine_ref.py --device cpu --threads 2 --iters 200000 --steps 300 --reps 5

Tiny-op loop: a, b of shape [16]; per iteration `((a + b) * a - b).exp()` (4 ops; temporaries
freed by refcount, as the TS side frees them with a tidy scope). MLP step: Linear(256, 512) ->
ReLU -> Linear(512, 256), batch 64, MSE loss, backward, AdamW(fused=True), zero_grad().
Prints one JSON line: best-of-reps microseconds per op and milliseconds per step.
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--iters", type=int, default=200_000)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dev = args.device
    cuda = dev.startswith("cuda")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    g = torch.Generator(device=dev).manual_seed(0)
    a = torch.randn(16, device=dev, generator=g)
    b = torch.randn(16, device=dev, generator=g)
    ops_per_iter = 4

    def tiny(n):
        for _ in range(n):
            ((a + b) * a - b).exp()

    per_rep = args.iters // args.reps
    tiny(min(per_rep, 20_000))  # warm-up
    sync()
    tiny_us = []
    for _ in range(args.reps):
        t = time.perf_counter()
        tiny(per_rep)
        sync()
        tiny_us.append((time.perf_counter() - t) / (per_rep * ops_per_iter) * 1e6)

    w1 = (torch.randn(512, 256, device=dev, generator=g) * 0.05).requires_grad_()
    b1 = torch.zeros(512, device=dev).requires_grad_()
    w2 = (torch.randn(256, 512, device=dev, generator=g) * 0.05).requires_grad_()
    b2 = torch.zeros(256, device=dev).requires_grad_()
    params = [w1, b1, w2, b2]
    opt = torch.optim.AdamW(params, lr=1e-3, fused=True)
    x = torch.randn(64, 256, device=dev, generator=g)
    y = torch.randn(64, 256, device=dev, generator=g)

    def train(n):
        for _ in range(n):
            loss = F.mse_loss(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y)
            loss.backward()
            opt.step()
            opt.zero_grad()

    steps_per_rep = max(1, args.steps // args.reps)
    train(max(5, steps_per_rep // 5))  # warm-up
    sync()
    mlp_ms = []
    for _ in range(args.reps):
        t = time.perf_counter()
        train(steps_per_rep)
        sync()
        mlp_ms.append((time.perf_counter() - t) / steps_per_rep * 1e3)

    print(json.dumps({
        "torch": torch.__version__, "device": dev, "threads": torch.get_num_threads(),
        "tiny_op_us": min(tiny_us), "tiny_op_us_reps": tiny_us,
        "mlp_step_ms": min(mlp_ms), "mlp_step_ms_reps": mlp_ms,
    }))


if __name__ == "__main__":
    main()
