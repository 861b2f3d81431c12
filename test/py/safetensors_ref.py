"""Reference oracle for the safetensors tests (uses the official `safetensors` + torch).

Usage:
  safetensors_ref.py write FILE   writes a checkpoint with torch tensors of several dtypes
                                  (incl. NaN/inf/-0/subnormals) and prints their bytes as JSON
  safetensors_ref.py read PATH... reads files with safe_open and prints tensors' bytes as JSON
Printed JSON: {"metadata": {...}, "tensors": {name: {"dtype": "F32", "shape": [...], "hex": "..."}}}
"""
import json
import sys

import torch
from safetensors import safe_open
from safetensors.torch import save_file

DTYPE_NAMES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def describe(t):
    raw = t.contiguous().reshape(-1).view(torch.uint8) if t.numel() else torch.empty(0, dtype=torch.uint8)
    return {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "hex": bytes(raw.numpy().tobytes()).hex()}


def make_tensors():
    g = torch.Generator().manual_seed(0)
    special = torch.tensor([float("nan"), float("inf"), -float("inf"), -0.0, 1e-40, 65504.0, 3.0e38])
    base = torch.randn(3, 5, 7, generator=g)
    return {
        "model.embed_tokens.weight": torch.randn(11, 6, generator=g),
        "f32_special": special.clone(),
        "f16": (base * 100).to(torch.float16),
        "bf16": torch.cat([base.reshape(-1), special]).to(torch.bfloat16),
        "i64": torch.tensor([[0, -1, 2**62, -(2**63)], [5, 6, 7, 8]], dtype=torch.int64),
        "i32": torch.arange(-6, 6, dtype=torch.int32).reshape(3, 4),
        "u8": torch.arange(0, 256, dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 4),
    }


mode = sys.argv[1]
if mode == "write":
    tensors = make_tensors()
    save_file(tensors, sys.argv[2], metadata={"format": "pt", "source": "python"})
    print(json.dumps({"metadata": {"format": "pt", "source": "python"}, "tensors": {k: describe(v) for k, v in tensors.items()}}))
elif mode == "read":
    out = {"metadata": {}, "tensors": {}}
    for path in sys.argv[2:]:
        with safe_open(path, framework="pt") as f:
            out["metadata"].update(f.metadata() or {})
            for k in f.keys():
                out["tensors"][k] = describe(f.get_tensor(k))
    print(json.dumps(out))
else:
    raise SystemExit(f"unknown mode {mode}")
