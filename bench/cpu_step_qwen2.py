"""Builds the small random Qwen2 of bench/cpu-step.ts once: a Hugging Face folder both sides load.

Qwen2 architecture (attention q/k/v biases), 4 layers, hidden 256, 4 heads / 2 KV heads, MLP 768,
float32 weights from torch.manual_seed(0) (transformers' own initialisation), and the tokenizer and
chat template of the model folder given with --tokenizer (SmolLM2's: vocab 49152).

  python bench/cpu_step_qwen2.py --tokenizer DIR --out DIR
"""

import argparse
import os
import shutil

import torch
from transformers import Qwen2Config, Qwen2ForCausalLM


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tokenizer", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    tmp = a.out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    config = Qwen2Config(
        vocab_size=49152,
        hidden_size=256,
        intermediate_size=768,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        rope_theta=10000.0,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config).to(torch.float32)
    model.save_pretrained(tmp)
    for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "generation_config.json"):
        src = os.path.join(a.tokenizer, f)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(tmp, f))
    shutil.rmtree(a.out, ignore_errors=True)
    os.rename(tmp, a.out)
    print(a.out)


if __name__ == "__main__":
    main()
