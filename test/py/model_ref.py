"""Reference oracle for the causal LM tests: builds a tiny random-init Qwen2 or Llama with
transformers, saves it in HF layout, and reports its fp32 logits and greedy generation.

usage: python3 model_ref.py SPEC.json  ->  prints JSON {logits, shape, greedy}
SPEC: {arch: "qwen2"|"llama", dir, seed, ids: [[...]], prompt: [...], max_new_tokens,
       batch?: [[...], ...]}: with `batch`, also greedy `generate` of those prompts as ONE batch,
       left-padded with 0 and an attention mask (transformers derives the position ids from it),
       max_new_tokens each -> `batch_greedy`.
"""
import json
import sys

import torch
import transformers

spec = json.load(open(sys.argv[1]))
torch.manual_seed(spec["seed"])
common = dict(
    vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
    num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
    rms_norm_eps=1e-6, initializer_range=0.2, bos_token_id=1, eos_token_id=2,
)
if spec["arch"] == "qwen2":
    cfg = transformers.Qwen2Config(**common, rope_theta=10000.0, tie_word_embeddings=True)
    model = transformers.Qwen2ForCausalLM(cfg)
    # Qwen2 always has q/k/v biases; give them non-zero values so the test checks them.
    with torch.no_grad():
        for layer in model.model.layers:
            for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                proj.bias.normal_(0, 0.2)
else:
    cfg = transformers.LlamaConfig(
        **common, tie_word_embeddings=False,
        rope_parameters=dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
                             high_freq_factor=4.0, original_max_position_embeddings=64),
    )
    model = transformers.LlamaForCausalLM(cfg)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("layernorm.weight") or name.endswith("norm.weight"):
            p.uniform_(0.5, 1.5)
model = model.float().eval()
model.save_pretrained(spec["dir"], safe_serialization=True)

with torch.no_grad():
    ids = torch.tensor(spec["ids"], dtype=torch.long)
    logits = model(ids).logits
    prompt = torch.tensor([spec["prompt"]], dtype=torch.long)
    out = model.generate(prompt, do_sample=False, max_new_tokens=spec["max_new_tokens"],
                         min_new_tokens=spec["max_new_tokens"], eos_token_id=None, pad_token_id=0)
    batch_greedy = None
    if spec.get("batch"):
        width = max(len(p) for p in spec["batch"])
        padded = torch.tensor([[0] * (width - len(p)) + p for p in spec["batch"]], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in spec["batch"]], dtype=torch.long)
        bout = model.generate(padded, attention_mask=mask, do_sample=False, max_new_tokens=spec["max_new_tokens"],
                              min_new_tokens=spec["max_new_tokens"], eos_token_id=None, pad_token_id=0)
        batch_greedy = bout[:, width:].tolist()
print(json.dumps({
    "shape": list(logits.shape),
    "logits": logits.flatten().tolist(),
    "greedy": out[0, prompt.shape[1]:].tolist(),
    "batch_greedy": batch_greedy,
}))
