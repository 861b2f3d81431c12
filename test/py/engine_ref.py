"""PyTorch reference oracle for the engine parity tests (test/engine/*.test.ts, via test/engine/parity.ts).

Usage: engine_ref.py DIR

DIR/manifest.json: {"device": "cpu", "inputs": {name: {"dtype", "shape", "file"}},
                    "cases": [{"name", "py", "bind": {alias: input_name}}]}
Input files hold raw little-endian element bytes (bf16/f16 as their 16-bit patterns), so both sides
start from identical bits. Each case's `py` is a Python expression, or statements that assign `out`,
evaluated with: torch, F (torch.nn.functional), math, dev (the device string), gen(seed) (a fresh
torch.Generator on dev seeded with manual_seed), with_grads(inputs, fn), and every input it names
(a fresh clone on dev; `bind` adds aliases). A result may be a tensor, a number, a string, None or
a list/tuple of those. Writes DIR/outputs.json {case: result description | {"error": msg}} and
DIR/out_*.bin. One failing case does not stop the others.
"""
import json
import math
import os
import re
import sys

import torch
import torch.nn.functional as F

DIR = sys.argv[1]
manifest = json.load(open(os.path.join(DIR, "manifest.json")))
dev = manifest["device"]

DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16, "float16": torch.float16,
    "int64": torch.int64, "int32": torch.int32, "int16": torch.int16, "int8": torch.int8,
    "uint8": torch.uint8, "bool": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}


def load(spec):
    dtype = DTYPES[spec["dtype"]]
    data = open(os.path.join(DIR, spec["file"]), "rb").read()
    if len(data) == 0:
        return torch.empty(spec["shape"], dtype=dtype)
    return torch.frombuffer(bytearray(data), dtype=dtype).reshape(spec["shape"]).clone()


inputs = {name: load(spec).to(dev) for name, spec in manifest["inputs"].items()}
counter = [0]


def save(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [save(v) for v in value]
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        counter[0] += 1
        file = f"out_{counter[0]}.bin"
        raw = t.reshape(-1).view(torch.uint8) if t.numel() else torch.empty(0, dtype=torch.uint8)
        with open(os.path.join(DIR, file), "wb") as f:
            f.write(raw.numpy().tobytes())
        return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "file": file}
    if isinstance(value, bool):
        return {"number": 1 if value else 0}
    if isinstance(value, (int, float)):
        return {"number": value}
    if isinstance(value, str):
        return {"text": value}
    raise TypeError(f"cannot save a {type(value).__name__}")


def gen(seed):
    return torch.Generator(device=dev).manual_seed(seed)


def with_grads(tensors, fn):
    leaves = [t.detach().requires_grad_(True) for t in tensors]
    y = fn(*leaves)
    y.backward()
    return [y.detach()] + [l.grad for l in leaves]


def error_of(fn):
    """The message of the exception fn raises (as the engine should carry it), or None."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return str(e)
    return None


outputs = {}
for case in manifest["cases"]:
    code = case["py"]
    ns = {"torch": torch, "F": F, "math": math, "dev": dev, "gen": gen, "with_grads": with_grads, "error_of": error_of}
    idents = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", code))
    for name, t in inputs.items():
        if name in idents:
            ns[name] = t.clone()
    for alias, name in case["bind"].items():
        if alias in idents:
            ns[alias] = inputs[name].clone()
    try:
        try:
            compiled = compile(code, case["name"], "eval")
            out = eval(compiled, ns)  # noqa: S307 - test-authored reference code
        except SyntaxError:
            exec(compile(code, case["name"], "exec"), ns)  # noqa: S102
            out = ns["out"]
        outputs[case["name"]] = save(out)
    except Exception as e:  # noqa: BLE001
        outputs[case["name"]] = {"error": f"{type(e).__name__}: {e}"}

with open(os.path.join(DIR, "outputs.json"), "w") as f:
    json.dump(outputs, f)
