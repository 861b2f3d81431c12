"""Reference oracle for test/model/long-context.test.ts and the bf16 forward test: builds a tiny
random-init Qwen2 (default RoPE) or Llama (Llama-3 RoPE scaling) with max_position_embeddings
8192 with transformers, saves it in HF layout, and reports

  - fp32 logits of one LONG sequence (`n` tokens, past position 4096) at the positions `at`;
  - greedy generation of `new` tokens from its first `prompt` tokens (the decode crosses 4096);
  - bf16 logits (from_pretrained(dtype=bfloat16)) of the short rows `short`.

usage: python3 long_context_ref.py SPEC.json  ->  JSON {ids, logits, greedy, bf16}
SPEC: {arch, dir, seed, n, at: [...], prompt, new, short: [[...]]}
"""
import json
import sys

import torch
import transformers

spec = json.load(open(sys.argv[1]))
torch.manual_seed(spec["seed"])
common = dict(
    vocab_size=256, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
    num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192,
    rms_norm_eps=1e-6, initializer_range=0.2, bos_token_id=1, eos_token_id=2,
)
if spec["arch"] == "qwen2":
    cfg = transformers.Qwen2Config(**common, rope_theta=1000000.0, tie_word_embeddings=True)
    model = transformers.Qwen2ForCausalLM(cfg)
    with torch.no_grad():
        for layer in model.model.layers:
            for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                proj.bias.normal_(0, 0.2)
else:
    cfg = transformers.LlamaConfig(
        **common, tie_word_embeddings=False,
        rope_parameters=dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
                             high_freq_factor=4.0, original_max_position_embeddings=1024),
    )
    model = transformers.LlamaForCausalLM(cfg)
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("norm.weight"):
            p.uniform_(0.5, 1.5)
model = model.float().eval()
model.save_pretrained(spec["dir"], safe_serialization=True)

g = torch.Generator().manual_seed(spec["seed"])
ids = torch.randint(3, 256, (1, spec["n"]), generator=g)
with torch.no_grad():
    logits = model(ids).logits[0, spec["at"]]
    out = model.generate(ids[:, : spec["prompt"]], do_sample=False, max_new_tokens=spec["new"],
                         min_new_tokens=spec["new"], eos_token_id=None, pad_token_id=0)
    # Loaded in bf16 as a bf16 run loads it. (model.to(torch.bfloat16) would also round the
    # rotary inv_freq buffer to bf16, which from_pretrained keeps in float32: on the Qwen2 model
    # that moves logits by up to 0.055, 3 bf16 ulps.)
    bmodel = transformers.AutoModelForCausalLM.from_pretrained(spec["dir"], dtype=torch.bfloat16).eval()
    bf16 = bmodel(torch.tensor(spec["short"])).logits.float()
print(json.dumps({
    "ids": ids[0].tolist(),
    "logits": logits.flatten().tolist(),
    "greedy": out[0, spec["prompt"]:].tolist(),
    "bf16": bf16.flatten().tolist(),
}))
