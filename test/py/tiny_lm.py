"""A tiny random-init Qwen2 (q/k/v biases set non-zero so tests check them) or Llama (Llama-3 RoPE
scaling) built with transformers, norms drawn from [0.5, 1.5]; shared by the model oracles
(model_ref.py, long_context_ref.py). Saves it in HF layout and returns it in fp32, eval mode."""
import torch
import transformers


def build_tiny_lm(arch, seed, out_dir, hidden_size, max_position_embeddings, qwen_rope_theta, llama_original_max):
    torch.manual_seed(seed)
    common = dict(
        vocab_size=256, hidden_size=hidden_size, intermediate_size=2 * hidden_size, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=max_position_embeddings,
        rms_norm_eps=1e-6, initializer_range=0.2, bos_token_id=1, eos_token_id=2,
    )
    if arch == "qwen2":
        cfg = transformers.Qwen2Config(**common, rope_theta=qwen_rope_theta, tie_word_embeddings=True)
        model = transformers.Qwen2ForCausalLM(cfg)
        with torch.no_grad():
            for layer in model.model.layers:
                for proj in (layer.self_attn.q_proj, layer.self_attn.k_proj, layer.self_attn.v_proj):
                    proj.bias.normal_(0, 0.2)
    else:
        cfg = transformers.LlamaConfig(
            **common, tie_word_embeddings=False,
            rope_parameters=dict(rope_type="llama3", rope_theta=500000.0, factor=8.0, low_freq_factor=1.0,
                                 high_freq_factor=4.0, original_max_position_embeddings=llama_original_max),
        )
        model = transformers.LlamaForCausalLM(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
    model = model.float().eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    return model
