"""REINFORCE++ advantages as verl computes them (verl/trainer/ppo/core_algos.py), in its padded [B, T] + mask form.

usage: python3 reinforce_pp_ref.py IN.json -> JSON {"advantages": [B*T], "returns": [B*T]}
IN: {B, T, mask [B*T], scores [B], old [B*T], ref [B*T], beta, gamma}

Written from verl: ray_trainer.apply_kl_penalty (kl_penalty 'kl': kld = old_log_prob - ref_log_prob;
token_level_rewards = token_level_scores - beta * kld, the score on the last response token),
core_algos.compute_reinforce_plus_plus_outcome_advantage (running return reset past EOS by the mask,
then masked_whiten), verl_F.masked_whiten (shift_mean: (x - mean) * rsqrt(unbiased masked var + 1e-8)).
float64 on CPU.
"""
import json
import sys

import torch


def masked_mean(x, mask):
    return (x * mask).sum() / mask.sum()


def masked_var(x, mask, unbiased=True):
    mean = masked_mean(x, mask)
    var = masked_mean((x - mean) ** 2, mask)
    if unbiased:
        n = mask.sum()
        if n == 0 or n == 1:
            raise ValueError("masked_var needs at least 2 tokens")
        var = var * (n / (n - 1))
    return var


def masked_whiten(values, mask, shift_mean=True):
    mean, var = masked_mean(values, mask), masked_var(values, mask)
    whitened = (values - mean) * torch.rsqrt(var + 1e-8)
    if not shift_mean:
        whitened += mean
    return whitened


def compute_reinforce_plus_plus_outcome_advantage(token_level_rewards, response_mask, gamma):
    with torch.no_grad():
        returns = torch.zeros_like(token_level_rewards)
        running_return = 0
        for t in reversed(range(token_level_rewards.shape[1])):
            running_return = token_level_rewards[:, t] + gamma * running_return
            returns[:, t] = running_return
            # Reset after EOS
            running_return = running_return * response_mask[:, t]
        advantages = masked_whiten(returns, response_mask)
        advantages = advantages * response_mask
    return advantages, returns


def main():
    spec = json.load(open(sys.argv[1]))
    B, T = spec["B"], spec["T"]
    f64 = torch.float64
    mask = torch.tensor(spec["mask"], dtype=f64).reshape(B, T)
    lengths = mask.sum(-1).long()
    scores = torch.zeros(B, T, dtype=f64)
    scores[torch.arange(B), lengths - 1] = torch.tensor(spec["scores"], dtype=f64)
    kld = (torch.tensor(spec["old"], dtype=f64) - torch.tensor(spec["ref"], dtype=f64)).reshape(B, T) * mask
    token_level_rewards = scores - spec["beta"] * kld
    adv, ret = compute_reinforce_plus_plus_outcome_advantage(token_level_rewards, mask, spec["gamma"])
    print(json.dumps({"advantages": adv.flatten().tolist(), "returns": ret.flatten().tolist()}))


main()
