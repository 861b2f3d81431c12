"""transformers' sampling filters as the oracle of test/sampling/filters.test.ts.

stdin: JSON {"cases": [{"logits": [[float32 values; null = -inf]], "temperature": t, "topK": k, "topP": p}]}
stdout: JSON [{"kept": [[0|1]], "probs": [[float]]}]: per case, which tokens the processors leave
finite and softmax of the processed scores, as `generate(do_sample=True)` builds them
(generation/utils.py `_get_logits_processor`: TemperatureLogitsWarper if t != 1, TopKLogitsWarper
if k != 0, TopPLogitsWarper if p < 1, in that order; min_tokens_to_keep 1).
"""
import json
import sys

import torch
from transformers.generation.logits_process import (
    LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper)

out = []
for case in json.load(sys.stdin)["cases"]:
    rows = [[float("-inf") if v is None else v for v in row] for row in case["logits"]]
    scores = torch.tensor(rows, dtype=torch.float32)
    procs = LogitsProcessorList()
    if case["temperature"] != 1.0:
        procs.append(TemperatureLogitsWarper(case["temperature"]))
    if case["topK"] != 0:
        procs.append(TopKLogitsWarper(top_k=case["topK"], min_tokens_to_keep=1))
    if case["topP"] < 1.0:
        procs.append(TopPLogitsWarper(top_p=case["topP"], min_tokens_to_keep=1))
    input_ids = torch.zeros((scores.shape[0], 1), dtype=torch.long)
    processed = procs(input_ids, scores)
    out.append({
        "kept": torch.isfinite(processed).int().tolist(),
        "probs": processed.softmax(-1).tolist(),
    })
json.dump(out, sys.stdout)
