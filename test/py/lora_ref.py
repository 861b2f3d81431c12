"""Reference oracle for LoRA (test/model/lora.test.ts): the real PEFT library on our adapter folder.

usage: python3 lora_ref.py SPEC.json  ->  prints JSON
SPEC: {base_dir, adapter_dir, prompt: [...], max_new_tokens, ids: [[...]], weights: [[...]]}
  - base = transformers AutoModelForCausalLM (float32) from base_dir;
    model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=True) (our checkpoint as PEFT loads it)
  - greedy: model.generate(prompt), exactly max_new_tokens, no EOS stop
  - logits / base_logits: model(ids) with adapters on, and under model.disable_adapter() (the KL reference)
  - grad: d/d(lora params) of sum(weights * log_softmax(logits)[t, ids[t+1]]), under our names
    (PEFT's key without `base_model.model.` and the adapter name `.default`)
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

spec = json.load(open(sys.argv[1]))
torch.manual_seed(0)
base = AutoModelForCausalLM.from_pretrained(spec["base_dir"], torch_dtype=torch.float32)
model = PeftModel.from_pretrained(base, spec["adapter_dir"], is_trainable=True)
model.eval()  # dropout off (the adapter's dropout is 0 anyway)

with torch.no_grad():
    prompt = torch.tensor([spec["prompt"]], dtype=torch.long)
    out = model.generate(input_ids=prompt, do_sample=False, max_new_tokens=spec["max_new_tokens"],
                         min_new_tokens=spec["max_new_tokens"], eos_token_id=None, pad_token_id=0)
    greedy = out[0, len(spec["prompt"]):].tolist()
    ids = torch.tensor(spec["ids"], dtype=torch.long)
    with model.disable_adapter():
        base_logits = model(input_ids=ids).logits

ids = torch.tensor(spec["ids"], dtype=torch.long)
w = torch.tensor(spec["weights"], dtype=torch.float32)
logits = model(input_ids=ids).logits
logp = torch.log_softmax(logits[:, :-1], dim=-1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
loss = (logp * w).sum()
loss.backward()
grad = {}
n_lora = 0
for name, p in model.named_parameters():
    if "lora_" not in name:
        assert p.grad is None, f"base parameter {name} got a gradient"
        continue
    n_lora += 1
    ours = name.replace("base_model.model.", "", 1).replace(".default.weight", ".weight")
    grad[ours] = p.grad.flatten().tolist()

print(json.dumps({
    "greedy": greedy,
    "logits": logits.detach().flatten().tolist(),
    "base_logits": base_logits.flatten().tolist(),
    "grad": grad,
    "n_lora": n_lora,
}))
