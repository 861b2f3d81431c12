"""One GRPO step of TRL's GRPOTrainer (transformers generation, no vLLM) on CPU, timed by phase.

The counterpart of our step in bench/cpu-step.ts (run by it, one fresh process per run). Prints one
JSON line: seconds per phase and peak RSS. Configuration: 1 thread, float32, `prompts` conversational
prompts x 8 generations, max_completion_length = --tokens (with --exact also min_new_tokens, so EOS
cannot end a completion early), temperature 0.6, top_p 1, top_k 0, beta (KL) 0.001 (a reference
model, or with --lora the base with the adapter disabled), one optimizer step per batch
(per_device_train_batch_size = all completions, gradient_accumulation_steps 1, steps_per_generation 1,
num_iterations 1: TRL then computes no old log-probs), fp32 AdamW (adamw_torch), constant lr,
weight decay 0.01, grad clip 1.0, entropy_coef 0.001 (as ours), loss_type dapo (token mean, as ours),
gradient checkpointing as GRPOConfig's default (on; --gradient-checkpointing 0 turns it off).

Phases (trl 1.16.0 GRPOTrainer; the methods are wrapped on the instance):
  step        on_step_begin -> on_step_end callbacks: the whole optimizer step (generation, rewards,
              reference log-probs, forward+backward, grad clip, AdamW)
  generation  GRPOTrainer._generate: chat template + tokenisation, model.generate, decoding
  logprobs    GRPOTrainer._get_per_token_logps_and_entropies called inside
              _generate_and_score_completions (no grad): reference log-probs (old log-probs too,
              when TRL needs them; with this configuration it does not)
  update      step - GRPOTrainer._prepare_inputs (which generates, scores and computes the
              reference log-probs): compute_loss forward + backward, grad clip, optimizer step
  peak RSS    resource.getrusage(RUSAGE_SELF).ru_maxrss (KiB on Linux); VmHWM also recorded
"""

import argparse
import json
import os
import resource
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)

from datasets import Dataset  # noqa: E402
from transformers import TrainerCallback  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402
import trl  # noqa: E402


def vm_hwm_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--prompts", required=True, help="JSON file: a list of message lists")
    p.add_argument("--tokens", type=int, default=128)
    p.add_argument("--bf16", type=int, default=0, help="1: bf16 autocast with float32 weights (GRPOConfig's default bf16=True); 0: float32")
    p.add_argument("--exact", type=int, default=1, help="1: exactly --tokens new tokens (min_new_tokens)")
    p.add_argument("--lora", type=int, default=0, help="LoRA rank (0 = full fine-tuning)")
    p.add_argument("--lora-alpha", type=float, default=32)
    p.add_argument("--lr", type=float, default=1e-6)
    p.add_argument("--group", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--gradient-checkpointing", type=int, default=1, help="TRL's GRPOConfig default: 1")
    a = p.parse_args()

    with open(a.prompts) as f:
        prompts = json.load(f)
    n = len(prompts) * a.group
    dataset = Dataset.from_list([{"prompt": m} for m in prompts])

    def reward(completions, completion_ids, **kwargs):
        # Cheap and independent of the text: the rewards' cost is not what is measured.
        return [float(ids[0] % 2) if len(ids) else 0.0 for ids in completion_ids]

    out_dir = tempfile.mkdtemp(prefix="cpu-step-trl-")
    args = GRPOConfig(
        output_dir=out_dir,
        use_cpu=True,
        bf16=bool(a.bf16),
        fp16=False,
        seed=a.seed,
        max_steps=1,
        per_device_train_batch_size=n,
        gradient_accumulation_steps=1,
        steps_per_generation=1,
        num_iterations=1,
        num_generations=a.group,
        max_completion_length=a.tokens,
        generation_kwargs={"min_new_tokens": a.tokens} if a.exact else None,
        temperature=0.6,
        top_p=1.0,
        top_k=0,
        beta=0.001,
        entropy_coef=0.001,
        loss_type="dapo",
        learning_rate=a.lr,
        lr_scheduler_type="constant",
        warmup_steps=0,
        weight_decay=0.01,
        max_grad_norm=1.0,
        optim="adamw_torch",
        model_init_kwargs={"dtype": torch.float32},
        shuffle_dataset=False,
        dataloader_num_workers=0,
        save_strategy="no",
        report_to="none",
        logging_steps=1,
        disable_tqdm=True,
        gradient_checkpointing=bool(a.gradient_checkpointing),
    )
    peft_config = None
    if a.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=a.lora, lora_alpha=a.lora_alpha, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")

    t_init = time.perf_counter()
    trainer = GRPOTrainer(model=a.model, reward_funcs=reward, args=args, train_dataset=dataset, peft_config=peft_config)
    init_seconds = time.perf_counter() - t_init

    T = {"generation": 0.0, "logprobs": 0.0, "prepare": 0.0, "step": 0.0}
    calls = {"logprobs": 0}
    state = {"scoring": False, "t0": None}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                T[name] += time.perf_counter() - t

        return wrapper

    orig_score = trainer._generate_and_score_completions

    def score(*args, **kwargs):
        state["scoring"] = True
        try:
            return orig_score(*args, **kwargs)
        finally:
            state["scoring"] = False

    orig_logps = trainer._get_per_token_logps_and_entropies

    def logps(*args, **kwargs):
        if not state["scoring"]:  # the loss's own forward: part of the update
            return orig_logps(*args, **kwargs)
        calls["logprobs"] += 1
        return timed("logprobs", orig_logps)(*args, **kwargs)

    trainer._generate_and_score_completions = score
    trainer._get_per_token_logps_and_entropies = logps
    trainer._generate = timed("generation", trainer._generate)
    trainer._prepare_inputs = timed("prepare", trainer._prepare_inputs)

    lengths = []
    orig_calc = trainer._calculate_rewards

    def calc(inputs, prompts_, completions, completion_ids_list):
        lengths.extend(len(c) for c in completion_ids_list)
        return orig_calc(inputs, prompts_, completions, completion_ids_list)

    trainer._calculate_rewards = calc

    class StepTimer(TrainerCallback):
        def on_step_begin(self, args, state_, control, **kwargs):
            state["t0"] = time.perf_counter()

        def on_step_end(self, args, state_, control, **kwargs):
            T["step"] += time.perf_counter() - state["t0"]

    trainer.add_callback(StepTimer())
    trainer.train()

    ga = trainer.args.gradient_accumulation_steps
    generate_every = trainer.args.steps_per_generation * trainer.num_iterations
    rec = {
        "side": "trl",
        "step": T["step"],
        "generation": T["generation"],
        "logprobs": T["logprobs"],
        "update": T["step"] - T["prepare"],
        "prepareInputs": T["prepare"],
        "logprobCalls": calls["logprobs"],
        "oldLogprobs": ga % generate_every != 0,
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "vmHwmBytes": vm_hwm_bytes(),
        "initSeconds": init_seconds,
        "completions": len(lengths),
        "responseLengthMean": sum(lengths) / max(1, len(lengths)),
        "trainableParameters": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
        "threads": torch.get_num_threads(),
        "gradientCheckpointing": bool(trainer.args.gradient_checkpointing),
        "versions": {"trl": trl.__version__, "torch": torch.__version__, "python": sys.version.split()[0]},
    }
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
