// The run file's `lora` section and its flags (src/run/run-config.ts), and the adapter dropout's
// one rule (src/model/lora.ts): it acts only where gradients are recorded (the update), so
// rollouts, old and reference log-probs never see it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { manualSeed, noGrad, tensor, tidy } from '../../src/engine/index.js';
import { LORA_TARGETS, LoraAdapters, loraSettings } from '../../src/model/lora.js';
import { CausalLM } from '../../src/model/transformer.js';
import { UserError } from '../../src/errors.js';
import { RunConfigBuilder } from '../../src/run/run-config.js';
import { toyModelConfig } from '../helpers/toy-task.js';

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    return (e as Error).message;
  }
  return assert.fail('expected an error');
}

describe('LoRA settings', () => {
  test('--lora-rank alone: alpha left to the default (32), dropout 0, every linear layer; absent: no lora section', () => {
    const b = RunConfigBuilder.fromObject({ model: '/m', data: '/d' }, 'flags');
    b.set(['lora', 'rank'], '8', '--lora-rank');
    const { run } = b.buildWithGRPO();
    assert.deepEqual(run.lora, { rank: 8, dropout: 0, targetModules: [...LORA_TARGETS] });
    assert.deepEqual(loraSettings(run.lora!), { rank: 8, alpha: 32, dropout: 0, targetModules: [...LORA_TARGETS] });
    assert.equal(RunConfigBuilder.fromObject({ model: '/m', data: '/d' }, 'flags').buildWithGRPO().run.lora, undefined);
  });

  test('--lora-targets q_proj:v_proj, --lora-alpha, --lora-dropout; bad values are one line naming the flag', () => {
    const b = RunConfigBuilder.fromObject({ model: '/m', data: '/d' }, 'flags');
    b.set(['lora', 'rank'], '4', '--lora-rank');
    b.set(['lora', 'alpha'], '16', '--lora-alpha');
    b.set(['lora', 'dropout'], '0.05', '--lora-dropout');
    b.set(['lora', 'targetModules'], 'q_proj:v_proj', '--lora-targets');
    assert.deepEqual(b.buildWithGRPO().run.lora, { rank: 4, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] });
    const bad = RunConfigBuilder.fromObject({ model: '/m', data: '/d' }, 'flags');
    bad.set(['lora', 'rank'], '0', '--lora-rank');
    assert.match(
      message(() => bad.build()),
      /--lora-rank/,
    );
    const badT = RunConfigBuilder.fromObject({ model: '/m', data: '/d', lora: { rank: 2, targetModules: ['qkv'] } }, 'run.json');
    assert.match(
      message(() => badT.build()),
      /lora\.targetModules/,
    );
    const noRank = RunConfigBuilder.fromObject({ model: '/m', data: '/d' }, 'flags');
    noRank.set(['lora', 'alpha'], '16', '--lora-alpha');
    assert.match(
      message(() => noRank.build()),
      /lora\.rank/,
    );
  });

  test('dropout acts only with gradients on: forwards under noGrad equal dropout 0; with gradients they differ', () => {
    manualSeed(1);
    const m = CausalLM.randomInit(toyModelConfig());
    LoraAdapters.attach(m, loraSettings({ rank: 4, dropout: 0.5 }), { seed: 2 });
    noGrad(() => {
      for (const [n, p] of m.lora!.params) if (n.includes('lora_B')) p.copy_(tidy(() => p.add(0.5)));
    });
    const ids = () => tensor([1, 2, 3, 4, 5], [1, 5], { dtype: 'int64' });
    const off = tidy(() => noGrad(() => m.forward(ids()).toNumbers()));
    const again = tidy(() => noGrad(() => m.forward(ids()).toNumbers()));
    assert.deepEqual(off, again, 'no dropout without gradients (rollouts, old and reference log-probs)');
    m.lora!.requiresGrad_(true);
    const on = tidy(() => m.forward(ids()).detach().toNumbers());
    assert.ok(
      on.some((v, i) => Math.abs(v - off[i]!) > 1e-4),
      'dropout in the update forward',
    );
    m.dispose();
  });
});
