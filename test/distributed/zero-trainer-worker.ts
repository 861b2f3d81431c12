// One process of test/distributed/zero-trainer.test.ts: GRPO steps on a tiny model through the library
// API, joining the process group the torchrun variables describe (none: one process); `resume`
// continues the run in OUT instead of starting it.
//   node zero-trainer-worker.js new|resume MODEL DATA OUT GRPO_JSON
import { DataParallel } from '../../src/distributed/data-parallel.js';
import { fromEnv } from '../../src/distributed/process-group.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';
import type { RewardFunction } from '../../src/tasks/reward.js';

const [mode, model, data, out, grpoJson] = process.argv.slice(2) as [string, string, string, string, string];
// Reward variance from the sampled tokens (a random model boxes no answers), so the policy gradient moves weights.
const parity: RewardFunction = (batch) => batch.map((r) => (r.completionIds.reduce((a, b) => a + b, 0) % 3 === 0 ? 1 : 0));
const group = fromEnv({ timeoutMs: 60_000 });
const grpo = JSON.parse(grpoJson) as Record<string, unknown>;
const opts = { rewards: [{ name: 'parity', fn: parity }], dataParallel: new DataParallel(group), log: group.rank === 0 ? undefined : () => {} };
try {
  const trainer =
    mode === 'resume' ? await GRPOTrainer.resume(out, { ...opts, grpo }) : await GRPOTrainer.fromPretrained(model, { ...opts, data, out, threads: 1, grpo });
  await trainer.train();
  await trainer.close();
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 2;
} finally {
  group.close();
}
