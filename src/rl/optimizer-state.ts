// AdamW state on disk: one safetensors file per optimizer (optimizer.safetensors in every
// checkpoint, critic_optimizer.safetensors for PPO's critic), so a resumed run continues exactly.
// (ZeRO-1 shards write their own files: src/distributed/sharded-adamw.ts.)
import { fromBytes, tidy, type AdamW, type Tensor } from '../engine/index.js';
import { UserError } from '../errors.js';
import { tensorToWrite } from '../model/checkpoint.js';
import { SafetensorsReader, writeSafetensors } from '../model/safetensors.js';

/** AdamW state as exp_avg.i / exp_avg_sq.i / step.i (float32) in one safetensors file. */
export function saveOptimizer(opt: AdamW, file: string): void {
  const st = opt.state();
  const tensors = [
    ...st.expAvg.map((t, i) => ({ name: `exp_avg.${i}`, t })),
    ...st.expAvgSq.map((t, i) => ({ name: `exp_avg_sq.${i}`, t })),
    ...st.steps.map((t, i) => ({ name: `step.${i}`, t })),
  ];
  writeSafetensors(
    file,
    tensors.map(({ name, t }) => tensorToWrite(name, t, 'float32')),
  );
}

/** Loads what saveOptimizer wrote; `problem` (e.g. a ZeRO-1 checkpoint read without sharding) is thrown as a UserError first. */
export function loadOptimizer(opt: AdamW, file: string, problem: string | null = null): void {
  if (problem) throw new UserError(problem);
  const reader = new SafetensorsReader(file);
  try {
    const n = opt.params.length;
    const load = (prefix: string): Tensor[] =>
      Array.from({ length: n }, (_, i) => {
        const info = reader.info(`${prefix}.${i}`);
        return fromBytes(reader.read(info.name), 'float32', info.shape);
      });
    tidy(() => {
      opt.loadState({ expAvg: load('exp_avg'), expAvgSq: load('exp_avg_sq'), steps: load('step') });
    });
  } finally {
    reader.close();
  }
}
