"""Reference GRPO loss written from the definitions (verl's formulas, padded [B, T] + mask).

usage: python3 grpo_loss_ref.py IN.json -> JSON {loss, grad (flat [B,T,V]), advantages}
"""
import json
import sys

import torch

spec = json.load(open(sys.argv[1]))
B, T, V = spec["B"], spec["T"], spec["V"]
logits = torch.tensor(spec["logits"], dtype=torch.float32).reshape(B, T, V).requires_grad_(True)
targets = torch.tensor(spec["targets"], dtype=torch.long).reshape(B, T)
mask = torch.tensor(spec["mask"], dtype=torch.float32).reshape(B, T)
old = torch.tensor(spec["old_logp"], dtype=torch.float32).reshape(B, T)
ref = torch.tensor(spec["ref_logp"], dtype=torch.float32).reshape(B, T)
rewards = torch.tensor(spec["rewards"], dtype=torch.float32)
group = torch.tensor(spec["groups"], dtype=torch.long)
c = spec["coef"]

# verl compute_grpo_outcome_advantage
adv = torch.zeros(B)
for g in group.unique():
    idx = (group == g).nonzero().flatten()
    r = rewards[idx]
    if len(idx) == 1:
        mean, std = torch.tensor(0.0), torch.tensor(1.0)
    else:
        mean, std = r.mean(), r.std()
    adv[idx] = (r - mean) / (std + 1e-6) if c["norm_std"] else r - mean
A = adv.unsqueeze(1).expand(B, T)

def agg(x):
    mode = c["aggregation"]
    if mode == "token-mean":
        return (x * mask).sum() / mask.sum()
    if mode == "seq-mean-token-mean":
        return ((x * mask).sum(1) / mask.sum(1)).mean()
    return ((x * mask).sum(1) / c["max_len"]).mean()

scaled = logits / c["temperature"]
logp = torch.log_softmax(scaled, -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
entropy = torch.logsumexp(scaled, -1) - (torch.softmax(scaled, -1) * scaled).sum(-1)
ratio = torch.exp(logp - old)
pg1 = -A * ratio
pg2 = -A * torch.clamp(ratio, 1 - c["clip"], 1 + c["clip"])
pg = agg(torch.maximum(pg1, pg2))
ent = agg(entropy)
kl = ref - logp
kld = torch.clamp(torch.exp(kl) - kl - 1, min=-10, max=10)
loss = (pg if c["pg"] else 0 * pg) - c["ent_coef"] * ent + c["kl_coef"] * agg(kld)
loss.backward()
print(json.dumps({"loss": loss.item(), "grad": logits.grad.flatten().tolist(), "advantages": adv.tolist(),
                  "clipfrac": agg((pg2 > pg1).float()).item()}))
