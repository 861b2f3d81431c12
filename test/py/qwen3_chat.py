"""Reference oracle for the Qwen3 chat template: transformers' apply_chat_template on a real Qwen3
tokenizer folder (tokenizer_config.json's template), with the thinking switch, rendered text
and token ids.

usage: qwen3_chat.py TOKENIZER_DIR < {"cases": [{"messages", "add_generation_prompt", "enable_thinking"}]}
-> JSON list of {text, ids}
"""
import json
import sys

from transformers import AutoTokenizer

tok = AutoTokenizer.from_pretrained(sys.argv[1])
out = []
for case in json.load(sys.stdin)["cases"]:
    kw = {} if case.get("enable_thinking") is None else {"enable_thinking": case["enable_thinking"]}
    text = tok.apply_chat_template(case["messages"], tokenize=False, add_generation_prompt=case["add_generation_prompt"], **kw)
    out.append({"text": text, "ids": tok(text, add_special_tokens=False)["input_ids"]})
json.dump(out, sys.stdout, ensure_ascii=True)
