"""Reference for one whole GRPO training step, written from the definitions with PyTorch and
transformers (not from our code): the policy and the KL reference are the saved HF folders loaded by
transformers' Qwen2ForCausalLM, the optimizer is torch.optim.AdamW, gradient clipping is
torch.nn.utils.clip_grad_norm_. Every sequence runs unpadded, one at a time, in float32 on CPU.

The step (verl's ray_trainer + dp_actor.update_policy, GRPO):
  advantages  A_i = (r_i - mean_g) / (std_g + 1e-6), unbiased std (compute_grpo_outcome_advantage);
  old log-probs: the policy before the step, no grad; reference log-probs: the reference model;
  for each of ppo_epochs epochs, for each mini-batch of mini_groups whole groups (in group order;
  'verl-fork': the paper's fork's mini-batches and weights, from fork_weights_ref.py):
    loss = agg( max(-A r, -A clip(r, 1-eps_low, 1+eps_high)) ) - ent_coef agg(H) + kl_coef agg(k3(ref, logp)),
    r = exp(logp - old), log-probs and entropy on logits / temperature,
    agg over the mini-batch's response tokens (token-mean, seq-mean-token-mean, seq-mean-token-sum-norm),
    without the responses cut at max_len when overlong_filter is on (DAPO);
    backward, clip_grad_norm_(grad_clip), AdamW step.

usage: python3 trainer_step_ref.py IN.json -> JSON {updates: [{grad: {name: [...]}, loss, pg, clipfrac, gradnorm}],
                                                      final: {name: [...]}, advantages, replayed}
IN: {policy_dir, ref_dir|null, adapter_dir? (LoRA: the initial PEFT adapter; the reference is then the base), seqs: [{prompt: [...], response: [...]}], rewards, groups, coef,
     replay: optional [{name: [...]}] per update: gradients to feed torch.optim.AdamW from the initial weights}
"""
import json
import os
import sys

import torch
import transformers

spec = json.load(open(sys.argv[1]))
c = spec["coef"]
torch.manual_seed(0)


def load(d):
    m = transformers.AutoModelForCausalLM.from_pretrained(d, torch_dtype=torch.float32, attn_implementation="eager")
    return m.float().eval()  # eval: no dropout (Qwen2 has none at 0.0 anyway)


policy = load(spec["policy_dir"])
reference = load(spec["ref_dir"]) if spec["ref_dir"] else None
# LoRA (optional adapter_dir: the initial adapter as PEFT loads it): only the adapters train, and
# the KL reference is the same model under disable_adapter().
lora_dir = spec.get("adapter_dir")
if lora_dir:
    from peft import PeftModel
    policy = PeftModel.from_pretrained(policy, lora_dir, is_trainable=True).eval()


def our_name(n):
    """PEFT's parameter name as ours (no `base_model.model.` prefix, no adapter name)."""
    return n.replace("base_model.model.", "", 1).replace(".default.weight", ".weight") if lora_dir else n
seqs = spec["seqs"]
B = len(seqs)
rewards = torch.tensor(spec["rewards"], dtype=torch.float64)
groups = spec["groups"]
T = c["temperature"]


def logp_entropy(model, s):
    """Log-prob of each response token and the entropy of its position, on logits / T."""
    ids = torch.tensor([s["prompt"] + s["response"]], dtype=torch.long)
    logits = model(ids).logits[0].float() / T
    P = len(s["prompt"])
    rows = logits[P - 1 : P - 1 + len(s["response"])]
    lsm = torch.log_softmax(rows, -1)
    tgt = torch.tensor(s["response"], dtype=torch.long)
    logp = lsm.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
    ent = torch.logsumexp(rows, -1) - (torch.softmax(rows, -1) * rows).sum(-1)
    return logp, ent


# verl compute_grpo_outcome_advantage (float64 here; the result is cast to float32 below).
adv = torch.zeros(B, dtype=torch.float64)
for g in sorted(set(groups)):
    idx = [i for i in range(B) if groups[i] == g]
    r = rewards[idx]
    mean, std = (torch.tensor(0.0), torch.tensor(1.0)) if len(idx) == 1 else (r.mean(), r.std())
    adv[idx] = (r - mean) / (std + 1e-6) if c["norm_std"] else r - mean

with torch.no_grad():
    old = [logp_entropy(policy, s)[0] for s in seqs]
    ref = [logp_entropy(reference, s)[0] for s in seqs] if reference is not None else None
    if lora_dir and c["kl_coef"] != 0:
        with policy.disable_adapter():
            ref = [logp_entropy(policy, s)[0] for s in seqs]

params = [p for _, p in policy.named_parameters() if p.requires_grad]
names = [our_name(n) for n, p in policy.named_parameters() if p.requires_grad]
opt = torch.optim.AdamW(params, lr=c["lr"], betas=tuple(c["betas"]), eps=c["eps"], weight_decay=c["weight_decay"])

# DAPO's overlong filter: a response that did not end with a stop token (cut at max_len) has no loss
# and is left out of the token / sequence counts.
keep = [not c["overlong_filter"] or seqs[i]["response"][-1] in c["stop_ids"] for i in range(B)]
fork = None
if c["aggregation"] == "verl-fork":
    # The paper's fork: mini-batches and per-token weights from its rank / micro-batch layout
    # (fork_weights_ref.py, written from the fork's definitions).
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fork_weights_ref import reference as fork_reference
    fork = fork_reference({
        "seq_lens": [len(s["prompt"]) + len(s["response"]) for s in seqs], "resp_lens": [len(s["response"]) for s in seqs],
        "ranks": c["fork_ranks"], "max_tokens": c["fork_max_tokens"], "mini_per_rank": c["mini_groups"] * c["group_size"] // c["fork_ranks"],
    })
    minis = [[i for i in range(B) if fork["mini"][i] == m] for m in sorted(set(fork["mini"]))]
else:
    ordered_groups = sorted(set(groups))
    minis = []
    for g0 in range(0, len(ordered_groups), c["mini_groups"]):
        gs = set(ordered_groups[g0 : g0 + c["mini_groups"]])
        minis.append([i for i in range(B) if groups[i] in gs])

updates = []
for epoch in range(c["ppo_epochs"]):
    for members in minis:
        opt.zero_grad()
        lens = [len(seqs[i]["response"]) for i in members]
        total_tokens = sum(l for l, i in zip(lens, members) if keep[i])
        n_kept = sum(1 for i in members if keep[i])
        loss = torch.zeros(())
        pg_sum = torch.zeros(())
        clip_sum = torch.zeros(())
        for k, i in enumerate(members):
            logp, ent = logp_entropy(policy, seqs[i])
            A = adv[i].float()
            ratio = torch.exp(logp - old[i])
            pg1 = -A * ratio
            pg2 = -A * torch.clamp(ratio, 1 - c["clip_low"], 1 + c["clip_high"])
            pg_tok = torch.maximum(pg1, pg2)
            tok = pg_tok if c["pg"] else 0 * pg_tok
            tok = tok - c["ent_coef"] * ent
            if ref is not None and c["kl_coef"] != 0:
                d = ref[i] - logp
                tok = tok + c["kl_coef"] * torch.clamp(torch.exp(d) - d - 1, min=-10, max=10)
            mode = c["aggregation"]
            if fork is not None:
                w = fork["weight"][i]
            elif not keep[i]:
                w = 0.0
            elif mode == "token-mean":
                w = 1.0 / total_tokens
            elif mode == "seq-mean-token-mean":
                w = 1.0 / (n_kept * lens[k])
            else:  # seq-mean-token-sum-norm
                w = 1.0 / (n_kept * c["max_len"])
            loss = loss + (tok * w).sum()
            pg_sum = pg_sum + (pg_tok * w).sum().detach()
            clip_sum = clip_sum + ((pg2 > pg1).float() * w).sum()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, c["grad_clip"] if c["grad_clip"] > 0 else float("inf"))
        updates.append({
            "grad": {n: p.grad.flatten().tolist() for n, p in zip(names, params)},
            "loss": loss.item(), "pg": pg_sum.item(), "clipfrac": clip_sum.item(), "gradnorm": norm.item(),
        })
        opt.step()

# Replay: torch.optim.AdamW from the initial weights, fed the gradients the caller recorded
# (isolates the optimizer: its result must equal the caller's weights to float32 rounding).
replayed = None
if spec.get("replay"):
    fresh = load(spec["policy_dir"])
    if lora_dir:
        fresh = PeftModel.from_pretrained(fresh, lora_dir, is_trainable=True)
    fparams = {our_name(n): p for n, p in fresh.named_parameters() if p.requires_grad}
    ps = [fparams[n] for n in names]
    ropt = torch.optim.AdamW(ps, lr=c["lr"], betas=tuple(c["betas"]), eps=c["eps"], weight_decay=c["weight_decay"])
    for grads in spec["replay"]:
        for n, p in zip(names, ps):
            p.grad = torch.tensor(grads[n], dtype=torch.float32).reshape(p.shape)
        ropt.step()
    replayed = {n: p.detach().flatten().tolist() for n, p in zip(names, ps)}

print(json.dumps({
    "replayed": replayed,
    "updates": updates,
    "final": {n: p.detach().flatten().tolist() for n, p in zip(names, params)},
    "advantages": adv.tolist(),
}))
