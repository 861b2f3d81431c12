"""Reference PPO/DAPO/GSPO/RLOO pieces written from their definitions (verl's padded [B, T] + mask form).

usage: python3 algos_ref.py IN.json -> JSON: for a spec object, one entry per requested piece; for a list of specs, a list.
Every tensor is float32 on CPU.
"""
import json
import sys

import torch

def run(spec):
    B, T = spec["B"], spec["T"]
    mask = torch.tensor(spec["mask"], dtype=torch.float32).reshape(B, T)
    out = {}


    def masked_mean(x, m):
        return (x * m).sum() / m.sum()


    if "gae" in spec:
        g = spec["gae"]
        # token-level rewards (score on the last valid token, KL penalty on every token), values zero past the end
        rewards = torch.tensor(g["token_rewards"], dtype=torch.float32).reshape(B, T) * mask
        values = torch.tensor(g["values"], dtype=torch.float32).reshape(B, T) * mask
        gamma, lam = g["gamma"], g["lam"]
        last = torch.zeros(B)
        rev = []
        for t in reversed(range(T)):
            nxt = values[:, t + 1] if t < T - 1 else torch.zeros(B)
            delta = rewards[:, t] + gamma * nxt - values[:, t]
            last = delta + gamma * lam * last
            rev.append(last)
        adv = torch.stack(rev[::-1], dim=1)
        returns = adv + values
        mean = masked_mean(adv, mask)
        var = masked_mean((adv - mean) ** 2, mask) * mask.sum() / (mask.sum() - 1)
        whitened = (adv - mean) * torch.rsqrt(var + 1e-8)
        out["gae"] = {"advantages": whitened.flatten().tolist(), "returns": returns.flatten().tolist()}

    if "value" in spec:
        v = spec["value"]
        vpreds = torch.tensor(v["vpreds"], dtype=torch.float32).reshape(B, T).requires_grad_(True)
        old = torch.tensor(v["old"], dtype=torch.float32).reshape(B, T)
        ret = torch.tensor(v["returns"], dtype=torch.float32).reshape(B, T)
        c = v["clip"]
        vclip = torch.max(torch.min(vpreds, old + c), old - c)
        l1 = (vpreds - ret) ** 2
        l2 = (vclip - ret) ** 2
        loss = 0.5 * masked_mean(torch.max(l1, l2), mask)
        loss.backward()
        out["value"] = {"loss": loss.item(), "grad": vpreds.grad.flatten().tolist(), "clipfrac": masked_mean((l2 > l1).float(), mask).item()}

    if "rloo" in spec:
        r = torch.tensor(spec["rloo"]["rewards"], dtype=torch.float32)
        groups = spec["rloo"]["groups"]
        adv = torch.zeros_like(r)
        for gid in set(groups):
            idx = [i for i, x in enumerate(groups) if x == gid]
            n = len(idx)
            for i in idx:
                others = [r[j] for j in idx if j != i]
                adv[i] = r[i] - torch.stack(others).mean() if n > 1 else r[i]
        out["rloo"] = adv.tolist()

    if "policy" in spec:
        p = spec["policy"]
        V = p["V"]
        logits = torch.tensor(p["logits"], dtype=torch.float32).reshape(B, T, V).requires_grad_(True)
        targets = torch.tensor(p["targets"], dtype=torch.long).reshape(B, T)
        old = torch.tensor(p["old_logp"], dtype=torch.float32).reshape(B, T)
        A = torch.tensor(p["advantages"], dtype=torch.float32).reshape(B, T)
        lo, hi = p["clip_low"], p["clip_high"]
        logp = torch.log_softmax(logits / p["temperature"], -1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        if p["mode"] == "gspo":
            # GSPO (arXiv 2507.18071, eq. 7): s_i = exp(mean_t(logp - old)) per sequence, clipped per sequence;
            # J = mean_i min(s_i A_i, clip(s_i) A_i). The sequence-level objective itself, not verl's token trick.
            lens = mask.sum(1)
            s = torch.exp(((logp - old) * mask).sum(1) / lens)
            Ai = A[:, 0]
            obj = torch.min(s * Ai, torch.clamp(s, 1 - lo, 1 + hi) * Ai)
            loss = -obj.mean()
            clipfrac = ((-Ai * torch.clamp(s, 1 - lo, 1 + hi)) > (-Ai * s)).float().mean()
        else:
            # DAPO (arXiv 2503.14476, eq. 8): token-level loss, ratio clipped to [1 - eps_low, 1 + eps_high],
            # normalised by the total number of tokens of the batch.
            ratio = torch.exp(logp - old)
            l1 = -A * ratio
            l2 = -A * torch.clamp(ratio, 1 - lo, 1 + hi)
            loss = masked_mean(torch.max(l1, l2), mask)
            clipfrac = masked_mean((l2 > l1).float(), mask)
        loss.backward()
        out["policy"] = {"loss": loss.item(), "grad": logits.grad.flatten().tolist(), "clipfrac": clipfrac.item()}

    if "overlong" in spec:
        o = spec["overlong"]
        res = []
        for L in o["lengths"]:
            Lmax, Lc = o["max"], o["buffer"]
            # DAPO eq. 13
            if L <= Lmax - Lc:
                res.append(0.0)
            elif L <= Lmax:
                res.append(((Lmax - Lc) - L) / Lc)
            else:
                res.append(-1.0)
        out["overlong"] = res


    return out


specs = json.load(open(sys.argv[1]))
print(json.dumps([run(x) for x in specs] if isinstance(specs, list) else run(specs)))
