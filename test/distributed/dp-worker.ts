// One process of test/distributed/data-parallel.test.ts: a few GRPO steps on a tiny model through the
// library API, joining the process group the torchrun variables describe (none: one process).
// A deterministic reward of the sampled tokens gives the groups reward variance (a random model
// boxes no answers), so the policy gradient, not only the entropy and weight decay, moves weights.
import { DataParallel } from '../../src/distributed/data-parallel.js';
import { fromEnv } from '../../src/distributed/process-group.js';
import { GRPOTrainer } from '../../src/rl/trainer.js';
import type { RewardFunction } from '../../src/tasks/reward.js';

const [model, data, out, grpoJson, libJson] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const parity: RewardFunction = (batch) => batch.map((r) => (r.completionIds.reduce((a, b) => a + b, 0) % 3 === 0 ? 1 : 0));
const group = fromEnv({ timeoutMs: 60_000 });
const trainer = await GRPOTrainer.fromPretrained(model, {
  data,
  out,
  threads: 1,
  rewards: [{ name: 'parity', fn: parity }],
  grpo: JSON.parse(grpoJson) as Record<string, unknown>,
  dataParallel: new DataParallel(group),
  log: group.rank === 0 ? undefined : () => {},
  // More library options (e.g. { lora: { rank } }), as JSON.
  ...(libJson ? (JSON.parse(libJson) as Record<string, unknown>) : {}),
});
await trainer.train();
await trainer.close();
group.close();
