"""Reference oracle for test/model/long-context.test.ts and the bf16 forward test: builds a tiny
random-init Qwen2 (default RoPE) or Llama (Llama-3 RoPE scaling) with max_position_embeddings
8192 with transformers, saves it in HF layout, and reports

  - fp32 logits of one LONG sequence (`n` tokens, past position 4096) at the positions `at`;
  - greedy generation of `new` tokens from its first `prompt` tokens (the decode crosses 4096);
  - bf16 logits (from_pretrained(dtype=bfloat16)) of the short rows `short`.

usage: python3 long_context_ref.py SPEC.json  ->  JSON {ids, logits, greedy, bf16}
SPEC: {arch, dir, seed, n, at: [...], prompt, new, short: [[...]]}
"""
import json
import sys

import torch
import transformers

from tiny_lm import build_tiny_lm

spec = json.load(open(sys.argv[1]))
model = build_tiny_lm(spec["arch"], spec["seed"], spec["dir"], hidden_size=32, max_position_embeddings=8192, qwen_rope_theta=1000000.0, llama_original_max=1024)

g = torch.Generator().manual_seed(spec["seed"])
ids = torch.randint(3, 256, (1, spec["n"]), generator=g)
with torch.no_grad():
    logits = model(ids).logits[0, spec["at"]]
    out = model.generate(ids[:, : spec["prompt"]], do_sample=False, max_new_tokens=spec["new"],
                         min_new_tokens=spec["new"], eos_token_id=None, pad_token_id=0)
    # Loaded in bf16 as a bf16 run loads it. (model.to(torch.bfloat16) would also round the
    # rotary inv_freq buffer to bf16, which from_pretrained keeps in float32: on the Qwen2 model
    # that moves logits by up to 0.055, 3 bf16 ulps.)
    bmodel = transformers.AutoModelForCausalLM.from_pretrained(spec["dir"], dtype=torch.bfloat16).eval()
    bf16 = bmodel(torch.tensor(spec["short"])).logits.float()
print(json.dumps({
    "ids": ids[0].tolist(),
    "logits": logits.flatten().tolist(),
    "greedy": out[0, spec["prompt"]:].tolist(),
    "bf16": bf16.flatten().tolist(),
}))
