"""Reference oracle for chat templates: transformers' apply_chat_template(tokenize=False).

Usage: tokenizer_chat.py TOKENIZER_DIR < {"cases": [{"template": str|null, "messages": [...],
                                                    "add_generation_prompt": bool}, ...]}
Writes a JSON list of rendered strings to stdout. A null template means the tokenizer's own.
"""
import json
import sys

from transformers import AutoTokenizer

tok = AutoTokenizer.from_pretrained(sys.argv[1])
req = json.load(sys.stdin)
out = []
for case in req["cases"]:
    out.append(
        tok.apply_chat_template(
            case["messages"],
            chat_template=case.get("template"),
            tokenize=False,
            add_generation_prompt=case["add_generation_prompt"],
        )
    )
json.dump(out, sys.stdout, ensure_ascii=True)
