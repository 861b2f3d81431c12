"""Reference oracle for the Qwen3 and Gemma 3 family tests: builds a random-init
Qwen3ForCausalLM / Gemma3ForCausalLM with transformers from the given config, with every norm
weight perturbed (so q/k norms and Gemma's 1 + w are checked), saves it in HF layout (fp32), and
reports its fp32 logits (as raw little-endian float32 in spec.logits_out: the vocabularies are
150k-260k wide, too big for JSON), its greedy generation of `prompt` and, with `batch`, greedy
`generate` of those prompts as ONE left-padded batch (pad 0, attention mask).

usage: python3 family_ref.py SPEC.json -> prints JSON {shape, greedy, batch_greedy, seconds}
SPEC: {family: "qwen3"|"gemma3", config: {...}, seed, dir, ids, prompt, max_new_tokens, batch?, logits_out}
       python3 family_ref.py --reload DIR SPEC.json -> loads the folder WE saved with AutoModelForCausalLM
       and prints the max |logit diff| against spec.logits_out (our config.json and weights round-trip).
"""
import json
import sys
import time

import torch
import transformers

t0 = time.time()
if sys.argv[1] == "--reload":
    spec = json.load(open(sys.argv[3]))
    m = transformers.AutoModelForCausalLM.from_pretrained(sys.argv[2], dtype=torch.float32).eval()
    with torch.no_grad():
        got = m(torch.tensor(spec["ids"], dtype=torch.long)).logits
    want = torch.from_numpy(__import__("numpy").fromfile(spec["logits_out"], dtype="<f4")).reshape(got.shape)
    print(json.dumps({"max_diff": (got - want).abs().max().item(), "class": type(m).__name__}))
    sys.exit(0)
spec = json.load(open(sys.argv[1]))
torch.manual_seed(spec["seed"])
if spec["family"] == "qwen3":
    cfg = transformers.Qwen3Config(**spec["config"])
    model = transformers.Qwen3ForCausalLM(cfg)
else:
    cfg = transformers.Gemma3TextConfig(**spec["config"])
    model = transformers.Gemma3ForCausalLM(cfg)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("norm.weight"):
            if spec["family"] == "gemma3":
                p.normal_(0, 0.3)  # Gemma scales by (1 + w); HF initialises w at 0
            else:
                p.uniform_(0.5, 1.5)
model = model.float().eval()
model.save_pretrained(spec["dir"], safe_serialization=True)

with torch.no_grad():
    ids = torch.tensor(spec["ids"], dtype=torch.long)
    logits = model(ids).logits
    logits.contiguous().numpy().astype("<f4").tofile(spec["logits_out"])
    prompt = torch.tensor([spec["prompt"]], dtype=torch.long)
    n = spec["max_new_tokens"]
    out = model.generate(prompt, do_sample=False, max_new_tokens=n, min_new_tokens=n, eos_token_id=None, pad_token_id=0)
    batch_greedy = None
    if spec.get("batch"):
        width = max(len(p) for p in spec["batch"])
        padded = torch.tensor([[0] * (width - len(p)) + p for p in spec["batch"]], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in spec["batch"]], dtype=torch.long)
        bout = model.generate(padded, attention_mask=mask, do_sample=False, max_new_tokens=n, min_new_tokens=n,
                              eos_token_id=None, pad_token_id=0)
        batch_greedy = bout[:, width:].tolist()
print(json.dumps({
    "shape": list(logits.shape),
    "greedy": out[0, prompt.shape[1]:].tolist(),
    "batch_greedy": batch_greedy,
    "seconds": time.time() - t0,
}))
