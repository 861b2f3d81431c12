// The memory tables of docs/distributed.md, printed by our own planner (src/memory-plan/plan.ts), not by
// hand: Qwen2.5-Math-1.5B and -7B under the paper's GRPO settings, per GPU, at 1/2/4/8
// data-parallel ranks, without and with ZeRO-1, on an 80 GB and a 141 GB (H200) device.
//
//   npm run build && node dist/bench/plan-dist.js [--json]
// Needs no GPU and no weights (the published config.json shapes are written below).
import { parseModelConfig, type ModelConfig } from '../src/model/config.js';
import { PAPER_GRPO_CONFIG } from '../src/rl/config.js';
import { fmt, planRun, type MemoryPlan } from '../src/memory-plan/plan.js';

/** Qwen/Qwen2.5-Math-1.5B config.json (the fields that matter, as published). */
const QWEN25_MATH_15B = {
  architectures: ['Qwen2ForCausalLM'],
  hidden_size: 1536,
  intermediate_size: 8960,
  max_position_embeddings: 4096,
  model_type: 'qwen2',
  num_attention_heads: 12,
  num_hidden_layers: 28,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 151936,
  bos_token_id: 151643,
  eos_token_id: 151643,
};
/** Qwen/Qwen2.5-Math-7B config.json (the fields that matter, as published): untied LM head. */
const QWEN25_MATH_7B = {
  architectures: ['Qwen2ForCausalLM'],
  hidden_size: 3584,
  intermediate_size: 18944,
  max_position_embeddings: 4096,
  model_type: 'qwen2',
  num_attention_heads: 28,
  num_hidden_layers: 28,
  num_key_value_heads: 4,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  vocab_size: 152064,
  bos_token_id: 151643,
  eos_token_id: 151643,
};

export const MODELS: Record<string, ModelConfig> = {
  'Qwen2.5-Math-1.5B': parseModelConfig(QWEN25_MATH_15B),
  'Qwen2.5-Math-7B': parseModelConfig(QWEN25_MATH_7B),
};

export interface Row {
  model: string;
  deviceGB: number;
  worldSize: number;
  zeroStage: number;
  plan: MemoryPlan;
}

/** Every (model, device, world size, zeroStage) combination, planned as `rlvr plan` would (CUDA, bf16 compute). */
export function planTable(deviceGBs = [80, 141], worlds = [1, 2, 4, 8]): Row[] {
  const rows: Row[] = [];
  for (const [name, model] of Object.entries(MODELS)) {
    for (const deviceGB of deviceGBs) {
      for (const zeroStage of [0, 1]) {
        for (const worldSize of worlds) {
          const plan = planRun(model, { ...PAPER_GRPO_CONFIG, zeroStage }, 'cuda', deviceGB * 1e9, 'bfloat16', { worldSize });
          rows.push({ model: name, deviceGB, worldSize, zeroStage, plan });
        }
      }
    }
  }
  return rows;
}

const gb = (b: number) => (b / 1e9).toFixed(1);

/** One markdown table per model and device. */
export function markdown(rows: Row[]): string {
  const out: string[] = [];
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.model} on ${r.deviceGB} GB`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const [title, rs] of groups) {
    const p0 = rs[0]!.plan;
    out.push(`**${title}** (${(p0.parameters / 1e9).toFixed(3)}B parameters; GB = 10^9 bytes, per GPU)`, '');
    out.push(
      '| GPUs | ZeRO | weights fp32 | grads fp32 | AdamW | bf16 cast | reference | KV budget (waves) | micro-batch tokens | activations | rollout peak | update peak | fits |',
    );
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const { worldSize, zeroStage, plan: p } of rs) {
      const waves = Number.isFinite(p.kv.worstCaseWaves) ? String(p.kv.worstCaseWaves) : '—';
      const mbt = `${p.training.microBatchTokens}${p.training.activationCheckpointing ? ' (ckpt)' : ''}`;
      out.push(
        `| ${worldSize} | ${zeroStage} | ${gb(p.weights)} | ${gb(p.gradients)} | ${gb(p.optimizer)} | ${gb(p.castCopy)} | ${gb(p.reference)} | ${gb(p.kv.budget)} (${waves}) | ${mbt} | ${gb(p.training.activations)} | ${gb(p.rolloutPeak)} | ${gb(p.updatePeak)} | ${p.fits ? 'yes' : 'no'} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = planTable();
  if (process.argv.includes('--json')) {
    console.log(
      JSON.stringify(
        rows.map(({ plan, ...r }) => ({
          ...r,
          fits: plan.fits,
          problems: plan.problems,
          rolloutPeak: plan.rolloutPeak,
          updatePeak: plan.updatePeak,
          optimizer: plan.optimizer,
          kvBudget: plan.kv.budget,
          microBatchTokens: plan.training.microBatchTokens,
          activationCheckpointing: plan.training.activationCheckpointing,
        })),
        null,
        2,
      ),
    );
  } else {
    console.log(markdown(rows));
    for (const r of rows)
      if (!r.plan.fits) console.log(`${r.model}, ${r.deviceGB} GB, ${r.worldSize} GPU(s), ZeRO ${r.zeroStage}: ${r.plan.problems.join('; ')}`);
    console.log(`(margin per GPU: ${fmt(rows[0]!.plan.margin)} at 80 GB)`);
  }
}
