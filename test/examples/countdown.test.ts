// examples/countdown-reward.ts: the countdown task's rewards as the example uses them are right, and the example runs as a user
// would run it (two rewards logged per step).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { countdownExamples, countdownReward, formatReward } from '../../examples/countdown-reward.js';
import { evaluateExpression } from '../../src/tasks/countdown/expression.js';
import type { RewardInput } from '../../src/tasks/reward.js';
import { repoRoot } from '../helpers/paths.js';

const ex = countdownExamples()[0]!; // numbers 3, 5, 2; target 16
const item = (completion: string): RewardInput => ({ prompt: '', completion, completionIds: [], truncated: false, example: ex, step: 1 });

test('countdown reward: the expression must use the given numbers at most once and hit the target', async () => {
  assert.deepEqual(evaluateExpression('(3 + 5) * 2'), { value: 16, numbers: [3, 5, 2] });
  assert.equal(evaluateExpression('3 +'), null);
  assert.equal(evaluateExpression('2 ** 4'), null);
  const completions = [
    'so <answer>(3+5)*2</answer>', // 16 with 3, 5, 2
    '<answer>(5+3)*2</answer> then <answer>3*5</answer>', // the last answer counts: 15
    '<answer>8*2</answer>', // 8 is not given
    '<answer>(3+5)*2*1</answer>', // 1 is not given
    '<answer>(5+5)+3*2</answer>', // 5 used twice
    '(3+5)*2', // no answer tags
  ];
  assert.deepEqual(await countdownReward(completions.map(item)), [1, 0, 0, 0, 0, 0]);
  assert.deepEqual(await formatReward(completions.map(item)), [1, 1, 1, 1, 1, 0]);
});

test('the example trains with its two rewards, each logged per step', { timeout: 120_000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-countdown-'));
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist/examples/countdown-reward.js'), '--out', out, '--steps', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /step 2: reward [\d.]+ \| countdown [\d.]+ \| format [\d.]+/);
  const lines = fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { rewardsByName: Record<string, number> });
  assert.equal(lines.length, 2);
  assert.deepEqual(Object.keys(lines[1]!.rewardsByName).sort(), ['countdown', 'format']);
  fs.rmSync(out, { recursive: true, force: true });
});
