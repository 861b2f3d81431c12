"""Reference oracle for the tokenizer tests.

Usage: tokenizer_parity.py TOKENIZER_JSON IN_JSON OUT_JSON
IN_JSON:  {"strings": [...], "add_special_tokens": bool, "decode_ids": [[...], ...]}
OUT_JSON: {"ids": [[...]], "decoded": [...],          # decode(encode(s)), specials kept
           "decoded_ids": [...], "decoded_ids_skip": [...]}  # decode of decode_ids
"""
import json
import sys

from tokenizers import Tokenizer

tok_path, in_path, out_path = sys.argv[1:4]
tok = Tokenizer.from_file(tok_path)
with open(in_path, encoding="utf-8") as f:
    req = json.load(f)

encs = tok.encode_batch(req["strings"], add_special_tokens=req.get("add_special_tokens", True))
ids = [e.ids for e in encs]
decoded = tok.decode_batch(ids, skip_special_tokens=False)
extra = req.get("decode_ids", [])
out = {
    "ids": ids,
    "decoded": decoded,
    "decoded_ids": tok.decode_batch(extra, skip_special_tokens=False),
    "decoded_ids_skip": tok.decode_batch(extra, skip_special_tokens=True),
}
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(out, f, ensure_ascii=True)
