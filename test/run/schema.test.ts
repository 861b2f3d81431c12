// The one configuration schema: paper defaults, ranges, unknown keys with "did you mean",
// the same validation for the run file, --set and the library API, file-relative paths.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { UserError, didYouMean } from '../../src/errors.js';
import { RunConfigBuilder, coerceFlag, describeConfig } from '../../src/run/run-config.js';
import { GRPO_KEYS, PAPER_GRPO_CONFIG, PRESETS, grpoConfig, validateConfig, type GRPOConfig } from '../../src/rl/config.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-schema-'));
function runFile(obj: unknown, name = 'run.json'): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, JSON.stringify(obj));
  return f;
}
function buildError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return (e as Error).message;
  }
  assert.fail('expected an error');
}

describe('GRPO config schema', () => {
  test("defaults are the paper's values (Wang et al. 2025, Appendix; verl)", () => {
    // Written out from the paper, not read back from the schema.
    const paper = {
      trainBatchSize: 128,
      groupSize: 8,
      temperature: 0.6,
      maxPromptLength: 1024,
      maxResponseLength: 3072,
      lr: 1e-6,
      weightDecay: 0.01,
      gradClip: 1.0,
      miniBatchSize: 128,
      ppoEpochs: 1,
      clipRatio: 0.2,
      klCoef: 0.001,
      entropyCoef: 0.001,
      lossAggregation: 'token-mean',
      normalizeAdvantageByStd: true,
      policyGradient: true,
      topP: 1.0,
      steps: 2000,
    };
    for (const [k, v] of Object.entries(paper)) assert.deepEqual(PAPER_GRPO_CONFIG[k as keyof GRPOConfig], v, k);
    assert.deepEqual(PAPER_GRPO_CONFIG.betas, [0.9, 0.999]);
  });

  test('a partial config is enough; presets are partial overrides under the same validation', () => {
    const c = grpoConfig({ lr: 2e-6 }, 'dr-grpo');
    assert.equal(c.lr, 2e-6);
    assert.equal(c.normalizeAdvantageByStd, false);
    assert.equal(c.groupSize, 8);
    assert.ok(Object.keys(PRESETS).length >= 7);
    for (const name of Object.keys(PRESETS)) assert.doesNotThrow(() => grpoConfig({}, name), name);
    assert.match(
      buildError(() => grpoConfig({}, 'dr_grpo')),
      /unknown preset 'dr_grpo'/,
    );
  });

  test('the library API rejects what the CLI rejects, in one line', () => {
    assert.match(
      buildError(() => grpoConfig({ lr: -1 })),
      /lr: must be > 0, got -1/,
    );
    assert.match(
      buildError(() => grpoConfig({ groupSize: 1 })),
      /groupSize: must be >= 2/,
    );
    assert.match(
      buildError(() => grpoConfig({ stesp: 3 } as never)),
      /stesp: unknown setting \(did you mean 'steps'\?\)/,
    );
    assert.match(
      buildError(() => validateConfig({ ...PAPER_GRPO_CONFIG, steps: 1.5 })),
      /steps: expected an integer, got 1.5/,
    );
    assert.match(
      buildError(() => validateConfig({ ...PAPER_GRPO_CONFIG, lr: Number.NaN })),
      /lr: expected a number/,
    );
    assert.match(
      buildError(() => validateConfig({ ...PAPER_GRPO_CONFIG, trainBatchSize: 6, miniBatchSize: 4 })),
      /miniBatchSize: must divide trainBatchSize 6/,
    );
    assert.equal(grpoConfig({ gradClip: 0 }).gradClip, 0, 'gradClip 0 (= off) is valid');
  });

  test("did you mean: typos, snake_case and other trainers' names", () => {
    const keys = GRPO_KEYS as string[];
    assert.equal(didYouMean('stesp', keys), 'steps');
    assert.equal(didYouMean('kl_coef', keys), 'klCoef');
    assert.equal(didYouMean('learning_rate', keys), 'lr');
    assert.equal(didYouMean('max_prompt_length', keys), 'maxPromptLength');
    assert.equal(didYouMean('zebra', keys), null);
  });
});

describe('run config: file, flags and --set through one schema', () => {
  test('flags and --set are coerced by the target field type, then validated like the file', () => {
    assert.equal(coerceFlag(['grpo', 'lr'], '1e-6'), 1e-6);
    assert.equal(coerceFlag(['grpo', 'policyGradient'], 'false'), false);
    assert.deepEqual(coerceFlag(['grpo', 'betas'], '0.9:0.99'), [0.9, 0.99]);
    assert.equal(coerceFlag(['grpo', 'lr'], 'abc'), 'abc', 'left for the schema to report');
    // 'auto' | boolean and 'auto' | number settings.
    assert.equal(coerceFlag(['grpo', 'activationCheckpointing'], 'true'), true);
    assert.equal(coerceFlag(['grpo', 'activationCheckpointing'], 'auto'), 'auto');
    assert.equal(coerceFlag(['grpo', 'kvBudgetBytes'], '1e9'), 1e9);
    const b = RunConfigBuilder.fromObject({ model: '/m', data: '/d' }, 'flags');
    b.applySets('lr=2e-6,betas=0.9:0.99,lossAggregation=seq-mean-token-mean,validation.batchSize=4');
    b.set(['validation', 'data'], '/v', '--val-data');
    const { run, grpo } = b.buildWithGRPO();
    assert.equal(grpo.lr, 2e-6);
    assert.deepEqual(grpo.betas, [0.9, 0.99]);
    assert.equal(run.validation?.batchSize, 4);
    assert.equal(grpo.klCoef, 0.001);
  });

  test('errors name their source: the flag, or the file and key', () => {
    const bad = RunConfigBuilder.fromObject({ model: '/m', data: '/d' }, 'flags');
    bad.applySets('lr=abc');
    assert.match(
      buildError(() => bad.build()),
      /^--set lr: expected a number, got "abc"$/,
    );
    const f = runFile({ model: 'm', data: 'd', grpo: { stesp: 2 }, steps: 2, threads: '2' });
    const msg = buildError(() => RunConfigBuilder.fromFile(f).build());
    assert.match(msg, /run\.json: grpo\.stesp: unknown setting \(did you mean 'steps'\?\)/);
    assert.match(msg, /run\.json: steps: unknown setting \(did you mean 'grpo\.steps'\?\)/);
    assert.match(msg, /run\.json: threads: expected a number, got "2"/);
  });

  test('relative paths are resolved against the file that names them; _comment keys are ignored', () => {
    fs.mkdirSync(path.join(tmp, 'sub'), { recursive: true });
    const f = runFile({ _comment: 'hi', model: '../models/x', data: 'd.jsonl', out: 'runs/a', validation: { data: '/abs/v.jsonl' } }, 'sub/run.json');
    const rc = RunConfigBuilder.fromFile(f).build();
    assert.equal(rc.model, path.join(tmp, 'models/x'));
    assert.equal(rc.data, path.join(tmp, 'sub/d.jsonl'));
    assert.equal(rc.out, path.join(tmp, 'sub/runs/a'));
    assert.equal(rc.validation?.data, '/abs/v.jsonl');
  });

  test('every shipped example run file is valid', () => {
    const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '../../../examples');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 1);
    for (const f of files) assert.doesNotThrow(() => RunConfigBuilder.fromFile(path.join(dir, f)).buildWithGRPO(), f);
    const { grpo } = RunConfigBuilder.fromFile(path.join(dir, 'pi1-qwen2.5-math-1.5b.json')).buildWithGRPO();
    assert.equal(grpo.steps, 2000);
  });

  test('--help-config documents every GRPO field with its default or source', () => {
    const text = describeConfig();
    for (const k of GRPO_KEYS) assert.match(text, new RegExp(`grpo\\.${k} .*(Paper|Default)`), k);
  });
});
