"""Reference oracle for the real-model test: transformers on a real HF folder (fp32, CPU).

Usage: real_model_ref.py MODEL_DIR < {"ids": [[...]], "prompt": [...], "max_new_tokens": N,
                                      "strings": [...], "chats": [{"messages": [...], "add_generation_prompt": bool}]}
Writes {"logits": [...flat], "shape": [...], "greedy": [...], "ids": [[...]], "chats": [...]} to stdout.
"""
import json
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer

torch.manual_seed(0)
torch.set_num_threads(1)
model_dir = sys.argv[1]
req = json.load(sys.stdin)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
with torch.no_grad():
    logits = model(torch.tensor(req["ids"])).logits
    prompt = torch.tensor([req["prompt"]])
    out = model.generate(prompt, max_new_tokens=req["max_new_tokens"], do_sample=False,
                         eos_token_id=None, pad_token_id=0, attention_mask=torch.ones_like(prompt))
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
hf = AutoTokenizer.from_pretrained(model_dir)
json.dump({
    "shape": list(logits.shape),
    "logits": logits.flatten().tolist(),
    "greedy": out[0, prompt.shape[1]:].tolist(),
    "ids": [e.ids for e in tok.encode_batch(req["strings"], add_special_tokens=False)],
    "chats": [hf.apply_chat_template(c["messages"], tokenize=False, add_generation_prompt=c["add_generation_prompt"])
              for c in req["chats"]],
}, sys.stdout)
