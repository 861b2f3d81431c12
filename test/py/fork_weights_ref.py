"""Reference for the paper's loss weighting (its verl 0.2 fork, dynamic batch size), written from
the fork's definitions: balance the rollout batch over ranks (largest differencing, equal sizes),
split each rank's part into mini-batches, each mini-batch into token-budget micro-batches
(count = max over ranks of ceil(tokens / budget), largest differencing, any sizes), and take per
micro-batch the masked token mean scaled by len(micro) / mini-batch size; gradients are averaged
over ranks. The per-token weights are read off with autograd: d loss / d (per-token loss).

usage: python3 fork_weights_ref.py < [{seq_lens, resp_lens, ranks, max_tokens, mini_per_rank}, ...]
   -> JSON [{weight: [per sequence], mini: [...], rank: [...]}, ...]
"""
import heapq
import json
import math
import sys

import torch


class Part:
    def __init__(self):
        self.total = 0
        self.members = []  # (index, length) in the order added

    def key(self):
        return (self.total, len(self.members), self.members)

    def __lt__(self, other):
        return self.key() < other.key()


class Candidate:
    """k parts, kept largest first; the heap pops the widest spread first."""

    def __init__(self, k, entries):
        self.parts = [Part() for _ in range(k)]
        for p, (idx, length) in zip(self.parts, entries):
            p.members.append((idx, length))
            p.total += length
        self.parts.sort(reverse=True)

    def spread(self):
        return self.parts[0].total - self.parts[-1].total

    def __lt__(self, other):
        if self.spread() != other.spread():
            return self.spread() > other.spread()
        return other.parts[0] < self.parts[0]

    def absorb(self, other):
        k = len(self.parts)
        for i in range(k):
            src = other.parts[k - 1 - i]
            self.parts[i].members.extend(src.members)
            self.parts[i].total += src.total
        self.parts.sort(reverse=True)


def differencing(lengths, k, equal):
    order = sorted((length, i) for i, length in enumerate(lengths))
    heap = []
    if equal:
        for o in range(0, len(order), k):
            heapq.heappush(heap, Candidate(k, [(i, l) for l, i in order[o:o + k]]))
    else:
        for l, i in order:
            heapq.heappush(heap, Candidate(k, [(i, l)]))
    while len(heap) > 1:
        a = heapq.heappop(heap)
        b = heapq.heappop(heap)
        a.absorb(b)
        heapq.heappush(heap, a)
    return [sorted(i for i, _ in p.members) for p in heap[0].parts]


def reference(spec):
    seq, resp = spec["seq_lens"], spec["resp_lens"]
    R, budget, mini = spec["ranks"], spec["max_tokens"], spec["mini_per_rank"]
    n = len(seq)
    ranks = differencing(seq, R, True)
    # one scalar "per-token loss" per token; the weights are the gradient of the total loss
    ell = [torch.zeros(resp[i], dtype=torch.float64, requires_grad=True) for i in range(n)]
    mini_of, rank_of = [None] * n, [None] * n
    total = torch.zeros((), dtype=torch.float64)
    per_rank = n // R
    for m in range(per_rank // mini):
        chunks = [part[m * mini:(m + 1) * mini] for part in ranks]
        count = max(math.ceil(sum(seq[i] for i in c) / budget) for c in chunks)
        for r, c in enumerate(chunks):
            rank_loss = torch.zeros((), dtype=torch.float64)
            for micro in differencing([seq[i] for i in c], count, False):
                ids = [c[j] for j in micro]
                vals = torch.cat([ell[i] for i in ids])
                masked_mean = vals.sum() / vals.numel()
                rank_loss = rank_loss + masked_mean * (len(ids) / mini)
                for i in ids:
                    mini_of[i], rank_of[i] = m, r
            total = total + rank_loss / R  # gradient all-reduce: mean over ranks
    total.backward()
    weights = []
    for i in range(n):
        g = ell[i].grad
        assert torch.allclose(g, g[0].expand_as(g)), "weights differ within a sequence"
        weights.append(g[0].item())
    return {"weight": weights, "mini": mini_of, "rank": rank_of}


# stdin: a list of cases; stdout: a list of results (one Python start for all of them)
if __name__ == "__main__":  # (trainer_step_ref.py imports reference())
    json.dump([reference(spec) for spec in json.load(sys.stdin)], sys.stdout)
