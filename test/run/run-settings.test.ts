// Run settings, validated in one place (src/run/run-settings.ts): the task key, old run files
// without it, and ONE resume merge: `rlvr train --resume --set` and GRPOTrainer.resume(runDir,
// { grpo }) must give the same settings and record the same changes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { RunConfigBuilder } from '../../src/run/run-config.js';
import { RUN_CONFIG_FILE, resumeSettings, resumeWithOptions, settle, validateRunOptions } from '../../src/run/run-settings.js';
import { getTask, TASK_NAMES } from '../../src/tasks/registry.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-settings-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function oneLine(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!(e as Error).message.includes('\n'), 'one line');
    return (e as Error).message;
  }
  assert.fail('expected an error');
}

/** A run folder with the run_config.json that a new run writes. */
function runFolder(name: string, extra: Record<string, unknown> = {}): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const s = validateRunOptions('/models/m', { data: '/data/train.jsonl', out: dir, grpo: { steps: 3 }, ...extra });
  fs.writeFileSync(path.join(dir, RUN_CONFIG_FILE), JSON.stringify({ ...s.run, grpo: s.grpo }, null, 2));
  return dir;
}

test('task: math by default, from the registry; an unknown one is one line listing the known tasks', () => {
  assert.ok(TASK_NAMES.includes('math'));
  assert.equal(getTask('math').name, 'math');
  assert.equal(validateRunOptions('/m', { data: '/d.jsonl' }).run.task, 'math');
  assert.equal(validateRunOptions('/m', { data: '/d.jsonl', task: 'math' }).run.task, 'math');
  assert.match(
    oneLine(() => validateRunOptions('/m', { data: '/d.jsonl', task: 'nope' })),
    /^GRPOTrainer\.fromPretrained: task: must be one of .*math.*, got "nope"$/,
  );
  const b = RunConfigBuilder.fromObject({ model: '/m', data: '/d' }, 'flags');
  b.set(['task'], 'nope', '--task');
  assert.match(
    oneLine(() => settle(b)),
    /^--task: must be one of .*math.*, got "nope"$/,
  );
  assert.match(
    oneLine(() => getTask('nope')),
    /^unknown task 'nope'; known tasks: .*math/,
  );
});

test('a run_config.json written before the task key loads, as math', () => {
  const dir = runFolder('old');
  const file = path.join(dir, RUN_CONFIG_FILE);
  const rc = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete rc.task;
  fs.writeFileSync(file, JSON.stringify(rc));
  assert.equal(resumeSettings(dir, () => {}).run.task, 'math');
});

test('one resume merge: --set on the CLI and grpo in the library give the same settings and changes', () => {
  const dir = runFolder('merge');
  const cli = resumeSettings(dir, (b) => b.applySets('steps=5,lr=2e-6'));
  const lib = resumeWithOptions(dir, { grpo: { steps: 5, lr: 2e-6 } });
  assert.deepEqual(lib.grpo, cli.grpo);
  assert.deepEqual(lib.run, cli.run);
  assert.deepEqual(cli.changes, { 'grpo.steps': [3, 5], 'grpo.lr': [1e-6, 2e-6] });
  assert.deepEqual(lib.changes, cli.changes);
  assert.equal(cli.runDir, dir);
  // Nothing given: nothing changes.
  assert.deepEqual(resumeWithOptions(dir, {}).changes, {});
});

test('resume: a setting that defines the run cannot change; bad values name their source', () => {
  const dir = runFolder('fixed');
  assert.match(
    oneLine(() => resumeSettings(dir, (b) => b.set(['model'], '/other', '--model'), { fixed: [{ path: ['model'], name: '--model' }] })),
    /^--model cannot change when resuming \(the run was started with .*\/models\/m.*\); start a new run with another --out$/,
  );
  assert.match(
    oneLine(() => resumeWithOptions(dir, { grpo: { lr: -1 } })),
    /^GRPOTrainer\.resume: grpo\.lr: must be > 0, got -1$/,
  );
  assert.match(
    oneLine(() => resumeSettings(path.join(tmp, 'none'), () => {})),
    /has no run_config\.json/,
  );
});
