# Reference side of `npm run bench:rollout`: transformers' generate() on the same model folder,
# same prompt ids, same sampling settings, same thread count. Prints one JSON line.
#   python3 bench/rollout_ref.py --model DIR --prompt 1,2,3 --rows 32 --new 128 --temperature 0.6 --threads 1
#   python3 bench/rollout_ref.py --make-random DIR   (writes a random SmolLM2-135M-shaped Llama folder)
import argparse, json, time
import torch

p = argparse.ArgumentParser()
p.add_argument('--model')
p.add_argument('--make-random')
p.add_argument('--prompt', default='')
p.add_argument('--rows', type=int, default=32)
p.add_argument('--new', type=int, default=128)
p.add_argument('--temperature', type=float, default=0.6)
p.add_argument('--threads', type=int, default=1)
p.add_argument('--seed', type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)

from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

if a.make_random:
    cfg = LlamaConfig(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                      num_key_value_heads=3, head_dim=64, vocab_size=49152, tie_word_embeddings=True, rms_norm_eps=1e-5,
                      rope_theta=100000.0, max_position_embeddings=8192, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(0)
    LlamaForCausalLM(cfg).save_pretrained(a.make_random)
    print(json.dumps({'saved': a.make_random}))
    raise SystemExit(0)

model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
ids = torch.tensor([[int(x) for x in a.prompt.split(',')]])
torch.manual_seed(a.seed)
kw = dict(do_sample=True, temperature=a.temperature, top_p=1.0, top_k=0, max_new_tokens=a.new, min_new_tokens=a.new,
          num_return_sequences=a.rows, pad_token_id=0, attention_mask=torch.ones_like(ids))
with torch.inference_mode():
    model.generate(ids, do_sample=True, max_new_tokens=2, num_return_sequences=2, pad_token_id=0, attention_mask=torch.ones_like(ids))  # warm-up
    t0 = time.perf_counter()
    c0 = time.process_time()
    out = model.generate(ids, **kw)
    dt = time.perf_counter() - t0
    dc = time.process_time() - c0
new = out.shape[1] - ids.shape[1]
print(json.dumps({'seconds': dt, 'rows': out.shape[0], 'new_tokens': new, 'tok_s': out.shape[0] * new / dt, 'cpu_seconds': dc, 'tok_s_cpu': out.shape[0] * new / dc,
                  'torch': torch.__version__, 'threads': torch.get_num_threads()}))
