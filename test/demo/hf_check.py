# Oracle for test/demo/demo.test.ts: loads the demo's base-model folder with transformers
# (tokenizer.json + chat template + config.json + model.safetensors) and prints, per question
# on stdin (one per line), the prompt ids and the greedy continuation as JSON.
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

model_dir = sys.argv[1]
max_new = int(sys.argv[2])
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
model.eval()
stop = tok.convert_tokens_to_ids("<|im_end|>")
for q in sys.stdin.read().splitlines():
    prompt = tok.apply_chat_template([{"role": "user", "content": q}], tokenize=False, add_generation_prompt=True)
    ids = tok(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=max_new, do_sample=False, eos_token_id=stop, pad_token_id=stop)
    new = out[0, ids.shape[1]:].tolist()
    print(json.dumps({"prompt": prompt, "promptIds": ids[0].tolist(), "tokens": new}))
