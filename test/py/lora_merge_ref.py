"""Reference for `rlvr merge` (test/cli/lora.test.ts): PEFT's merge_and_unload of our adapter folder
on the base, against the folder rlvr merge wrote.

usage: python3 lora_merge_ref.py BASE_DIR ADAPTER_DIR MERGED_DIR -> {max_diff, max_delta}
  max_diff:  max |ours - PEFT merged| over every tensor
  max_delta: max |PEFT merged - base| (that the adapters changed something)
"""
import json
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

base_dir, adapter_dir, merged_dir = sys.argv[1:4]
base = AutoModelForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32)
before = {k: v.clone() for k, v in base.state_dict().items()}
peft_merged = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload().state_dict()
ours = AutoModelForCausalLM.from_pretrained(merged_dir, torch_dtype=torch.float32).state_dict()
assert set(ours) == set(peft_merged), (set(ours) ^ set(peft_merged))
max_diff = max((ours[k] - peft_merged[k]).abs().max().item() for k in ours)
max_delta = max((peft_merged[k] - before[k]).abs().max().item() for k in peft_merged)
print(json.dumps({"max_diff": max_diff, "max_delta": max_delta}))
