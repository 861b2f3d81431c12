"""torch.optim.AdamW in float32 fed recorded gradients: the reference for a float32 master-weight update.

usage: python3 adamw_replay.py IN.json -> JSON {final: [[...] per parameter]}
IN: {params: [[...] per parameter (flat float32 values)], grads: [[[...] per parameter] per step],
     lr, betas, eps, weight_decay}
AdamW is elementwise, so flat parameters give the same update as shaped ones.
"""
import json
import sys

import torch

spec = json.load(open(sys.argv[1]))
params = [torch.tensor(p, dtype=torch.float32, requires_grad=True) for p in spec["params"]]
opt = torch.optim.AdamW(params, lr=spec["lr"], betas=tuple(spec["betas"]), eps=spec["eps"], weight_decay=spec["weight_decay"])
for grads in spec["grads"]:
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g, dtype=torch.float32)
    opt.step()
print(json.dumps({"final": [p.detach().tolist() for p in params]}))
