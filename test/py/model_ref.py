"""Reference oracle for the causal LM tests: builds a tiny random-init Qwen2 or Llama with
transformers, saves it in HF layout, and reports its fp32 logits and greedy generation.

usage: python3 model_ref.py SPEC.json  ->  prints JSON {logits, shape, greedy}
SPEC: {arch: "qwen2"|"llama", dir, seed, ids: [[...]], prompt: [...], max_new_tokens,
       batch?: [[...], ...]}: with `batch`, also greedy `generate` of those prompts as ONE batch,
       left-padded with 0 and an attention mask (transformers derives the position ids from it),
       max_new_tokens each -> `batch_greedy`.
"""
import json
import sys

import torch

from tiny_lm import build_tiny_lm

spec = json.load(open(sys.argv[1]))
model = build_tiny_lm(spec["arch"], spec["seed"], spec["dir"], hidden_size=64, max_position_embeddings=512, qwen_rope_theta=10000.0, llama_original_max=64)

with torch.no_grad():
    ids = torch.tensor(spec["ids"], dtype=torch.long)
    logits = model(ids).logits
    prompt = torch.tensor([spec["prompt"]], dtype=torch.long)
    out = model.generate(prompt, do_sample=False, max_new_tokens=spec["max_new_tokens"],
                         min_new_tokens=spec["max_new_tokens"], eos_token_id=None, pad_token_id=0)
    batch_greedy = None
    if spec.get("batch"):
        width = max(len(p) for p in spec["batch"])
        padded = torch.tensor([[0] * (width - len(p)) + p for p in spec["batch"]], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in spec["batch"]], dtype=torch.long)
        bout = model.generate(padded, attention_mask=mask, do_sample=False, max_new_tokens=spec["max_new_tokens"],
                              min_new_tokens=spec["max_new_tokens"], eos_token_id=None, pad_token_id=0)
        batch_greedy = bout[:, width:].tolist()
print(json.dumps({
    "shape": list(logits.shape),
    "logits": logits.flatten().tolist(),
    "greedy": out[0, prompt.shape[1]:].tolist(),
    "batch_greedy": batch_greedy,
}))
