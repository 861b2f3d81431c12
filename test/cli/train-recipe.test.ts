// The real-model recipe (docs/REAL-MODEL.md) is one `rlvr train` command: this test takes it from that page
// (the recipe:real-model block), points it at a tiny random model and one step, and runs it; and
// `--reward-module FILE` trains on a user's reward, refused in one line when it is not a reward.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');

/** Shell words of a command line: single and double quotes, backslash-newline continuations. */
function shellWords(text: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  const s = text.replace(/\\\n/g, ' ');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const j = s.indexOf("'", i + 1);
      cur = (cur ?? '') + s.slice(i + 1, j);
      i = j;
    } else if (c === '"') {
      const j = s.indexOf('"', i + 1);
      cur = (cur ?? '') + s.slice(i + 1, j);
      i = j;
    } else if (/\s/.test(c)) {
      if (cur !== null) words.push(cur);
      cur = null;
    } else cur = (cur ?? '') + c;
  }
  if (cur !== null) words.push(cur);
  return words;
}

function recipe(): string[] {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs/REAL-MODEL.md'), 'utf8');
  const block = /<!-- recipe:real-model -->\n```sh\n([\s\S]*?)```\n<!-- \/recipe:real-model -->/.exec(doc);
  assert.ok(block, 'docs/REAL-MODEL.md has the recipe:real-model block');
  const words = shellWords(block[1]!);
  assert.deepEqual(words.slice(0, 2), ['rlvr', 'train'], 'the recipe is one rlvr train command');
  return words.slice(1);
}

function withValue(args: string[], flag: string, f: (v: string) => string): string[] {
  const i = args.indexOf(flag);
  assert.ok(i >= 0, `the recipe has ${flag}`);
  return [...args.slice(0, i + 1), f(args[i + 1]!), ...args.slice(i + 2)];
}

describe('rlvr train: the real-model recipe (docs/REAL-MODEL.md), --reward any, --reward-module', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-recipe-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 5);

  test('the docs recipe runs as written on a tiny model (one step, 8 tokens)', () => {
    let args = recipe();
    assert.ok(args.includes('--reward') && args[args.indexOf('--reward') + 1] === 'any');
    args = withValue(args, '--model', () => modelDir);
    args = withValue(args, '--out', () => path.join(tmp, 'run'));
    args = withValue(args, '--set', (v) => v.replace(/steps=\d+/, 'steps=1').replace(/maxResponseLength=\d+/, 'maxResponseLength=8'));
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: repoRoot });
    assert.equal(r.status, 0, r.stderr);
    const cfg = JSON.parse(fs.readFileSync(path.join(tmp, 'run', 'run_config.json'), 'utf8'));
    assert.equal(cfg.grpo.reward, 'any');
    assert.equal(cfg.grpo.overlong, 'zero');
    assert.equal(cfg.grpo.lr, 1e-5);
    assert.equal(cfg.promptSuffix, ' Give the final answer in the form \\boxed{N}.');
    assert.equal(
      fs
        .readFileSync(path.join(tmp, 'run', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n').length,
      1,
    );
  });

  const data = path.join(tmp, 'one.jsonl');
  fs.writeFileSync(data, JSON.stringify({ problem: 'What is 1+1?', answer: '2' }) + '\n');
  const base = [
    'train',
    '--model',
    modelDir,
    '--data',
    data,
    '--threads',
    '1',
    '--set',
    'trainBatchSize=1,groupSize=4,maxResponseLength=4,klCoef=0,steps=1,saveEvery=0,validateEvery=0',
  ];

  test('--reward-module: a user reward (weighted list) drives training and is logged by name', () => {
    const mod = path.join(tmp, 'reward.mjs');
    // Pays 1 to every other completion: a group with reward variance whatever the tiny model writes.
    fs.writeFileSync(mod, 'export default [{ name: "alternate", fn: (batch) => batch.map((_, i) => i % 2), weight: 1 }];\n');
    const r = spawnSync(process.execPath, [cli, ...base, '--out', path.join(tmp, 'mod'), '--reward-module', mod, '--val-data', data], {
      encoding: 'utf8',
      cwd: repoRoot,
    });
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(
      fs
        .readFileSync(path.join(tmp, 'mod', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')[0]!,
    );
    assert.equal(m.rewardMean, 0.5);
    assert.deepEqual(Object.keys(m.rewardsByName ?? {}), ['alternate']);
    assert.equal(m.zeroVarianceGroupFrac, 0);
    // Validation kept the verifier and wrote its per-problem outcomes (for paired tests).
    const val = fs
      .readFileSync(path.join(tmp, 'mod', 'validation.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(val.at(-1), { step: 1, n: 1, outcomes: '0' });
  });

  test('--reward-module refuses what is not a reward, in one line', () => {
    const cases: [string, RegExp][] = [
      ['export default 3;\n', /the export is a number, not a reward function/],
      ['export const other = () => [];\n', /export the reward as default or as 'rewards'/],
      ['export default [{ name: "a", fn: () => [] }, { name: "a", fn: () => [] }];\n', /the name 'a' is used twice/],
      ['export default [{ name: "a" }];\n', /'a' has no function/],
      ['this is not javascript\n', /cannot load it/],
    ];
    cases.forEach(([text, re], i) => {
      const f = path.join(tmp, `bad${i}.mjs`);
      fs.writeFileSync(f, text);
      const r = spawnSync(process.execPath, [cli, ...base, '--out', path.join(tmp, `bad${i}`), '--reward-module', f], { encoding: 'utf8', cwd: repoRoot });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('rlvr:')).length,
        1,
        r.stderr,
      );
      assert.match(r.stderr, re);
    });
    const missing = spawnSync(process.execPath, [cli, ...base, '--reward-module', path.join(tmp, 'nope.mjs')], { encoding: 'utf8', cwd: repoRoot });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--reward-module: no such file/);
  });
});
