"""Reference oracle for test/model/gemma3-real.test.ts: transformers' Gemma3ForCausalLM (fp32, CPU)
on the converted Gemma 3 270M folder.

Usage: gemma3_real_ref.py MODEL_DIR OUT_DIR < {"ids": [[...]], "prompt": [...], "max_new_tokens": N,
                                               "long": [...], "long_positions": [...], "long_new_tokens": M,
                                               "strings": [...], "chats": [{"messages": [...], "add_generation_prompt": bool}]}
Writes OUT_DIR/logits.f32 (the batch's logits, [B, T, V] little-endian float32), OUT_DIR/long.f32
(the long prompt's logits at long_positions, [P, V]), and to stdout
{"shape", "long_shape", "greedy", "long_greedy", "ids", "chats", "model_class"}. Logits go through
files: 2 x 16 x 262,144 floats are too many for JSON.
"""
import json
import os
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer

torch.manual_seed(0)
torch.set_num_threads(1)
model_dir, out_dir = sys.argv[1:3]
req = json.load(sys.stdin)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()


def greedy(ids, n):
    prompt = torch.tensor([ids])
    out = model.generate(prompt, max_new_tokens=n, do_sample=False, eos_token_id=None, pad_token_id=0,
                         attention_mask=torch.ones_like(prompt))
    return out[0, prompt.shape[1]:].tolist()


with torch.no_grad():
    logits = model(torch.tensor(req["ids"])).logits
    logits.contiguous().numpy().astype("<f4").tofile(os.path.join(out_dir, "logits.f32"))
    long_logits = model(torch.tensor([req["long"]])).logits[0, req["long_positions"]]
    long_logits.contiguous().numpy().astype("<f4").tofile(os.path.join(out_dir, "long.f32"))
    result_greedy = greedy(req["prompt"], req["max_new_tokens"])
    long_greedy = greedy(req["long"], req["long_new_tokens"])
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
hf = AutoTokenizer.from_pretrained(model_dir)
json.dump({
    "model_class": type(model).__name__,
    "shape": list(logits.shape),
    "long_shape": list(long_logits.shape),
    "greedy": result_greedy,
    "long_greedy": long_greedy,
    "ids": [e.ids for e in tok.encode_batch(req["strings"], add_special_tokens=False)],
    "chats": [hf.apply_chat_template(c["messages"], tokenize=False, add_generation_prompt=c["add_generation_prompt"])
              for c in req["chats"]],
}, sys.stdout)
