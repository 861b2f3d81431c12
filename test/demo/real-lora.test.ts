// The real-model demo's LoRA configurations (`rlvr demo --model M --lora-ranks 0,2`, src/demo/real.ts):
// bad options are one line each (exit 2); --quick with full fine-tuning and a LoRA rank runs end to
// end on a tiny random model, both configurations from the one base evaluation and selection, the
// LoRA run at 10x the lr with rank · Σ(in + out) trainable parameters, each run with its step time
// and peak RSS; a second process reuses the base and selection (--base-from) and
// scripts/demo-real-merge.mjs merges the two. (The real comparison on SmolLM2 is a benchmark: bench/results/demo-real-lora.json.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CliError } from '../../src/cli/args.js';
import { loraOptions } from '../../src/cli/demo-real.js';
import type { RealDemoResult } from '../../src/demo/real.js';
import { parseModelConfig } from '../../src/model/config.js';
import { LORA_TARGETS, targetShape } from '../../src/model/lora-targets.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

describe('real-model demo with LoRA configurations', () => {
  let dir = '';
  let model = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-real-lora-'));
    model = path.join(dir, 'model');
    buildTinyQwenModel(model, 3);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('bad LoRA options: one clear line each; through the CLI, exit 2', () => {
    const cases: [Parameters<typeof loraOptions>, RegExp][] = [
      [[undefined, '0,x', undefined, undefined], /^--lora-ranks must be a number, got 'x'$/],
      [[undefined, '0,-1', undefined, undefined], /^--lora-ranks must be an integer >= 0, got -1$/],
      [[undefined, '8,8', undefined, undefined], /^--lora-ranks: a rank is listed twice \(8,8\)$/],
      [['0', undefined, undefined, undefined], /^--lora-rank must be an integer >= 1, got 0$/],
      [['1', '1,8', undefined, undefined], /^give --lora-rank or --lora-ranks, not both$/],
      [[undefined, undefined, '16', undefined], /^--lora-alpha and --lora-lr need --lora-rank or --lora-ranks$/],
      [['4', undefined, '0', undefined], /^--lora-alpha must be > 0, got 0$/],
      [['4', undefined, undefined, '0'], /^--lora-lr must be > 0, got 0$/],
    ];
    for (const [args, re] of cases)
      assert.throws(
        () => loraOptions(...args),
        (e: Error) => e instanceof CliError && re.test(e.message),
        args.join(' '),
      );
    assert.deepEqual(loraOptions(undefined, '0, 1,64', undefined, '3e-4'), { loraRanks: [0, 1, 64], loraLr: 3e-4 });
    assert.deepEqual(loraOptions('8', undefined, '16', undefined), { loraRanks: [8], loraAlpha: 16 });
    assert.deepEqual(loraOptions(undefined, undefined, undefined, undefined), {});
    const r = spawnSync(process.execPath, [main, 'demo', '--model', model, '--quick', '--lora-ranks', '8,8'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim(), 'rlvr: --lora-ranks: a rank is listed twice (8,8)');
  });

  test('--quick --lora-ranks 0,2: one base and selection, a full and a LoRA run per seed, lr, parameters, step time, peak RSS', () => {
    const out = path.join(dir, 'out');
    const results = path.join(dir, 'r.json');
    const r = spawnSync(
      process.execPath,
      [main, 'demo', '--model', model, '--quick', '--seeds', '0', '--gsm8k', '0', '--lr', '1e-5', '--lora-ranks', '0,2', '--out', out, '--results', results],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(fs.readFileSync(results, 'utf8')) as RealDemoResult;
    assert.deepEqual(
      s.runs.map((x) => [x.rank, x.seed, x.lr]),
      [
        [0, 0, 1e-5],
        [2, 0, 1e-4],
      ],
    );
    const cfg = parseModelConfig(JSON.parse(fs.readFileSync(path.join(model, 'config.json'), 'utf8')));
    const perRank = cfg.numLayers * LORA_TARGETS.reduce((a, t) => a + targetShape(cfg, t).reduce((x, y) => x + y, 0), 0);
    const [full, lora] = s.runs as [NonNullable<RealDemoResult['runs'][0]>, NonNullable<RealDemoResult['runs'][0]>];
    assert.equal(lora.trainableParams, 2 * perRank);
    assert.equal(lora.alpha, 32);
    assert.ok(full.trainableParams! > 100 * lora.trainableParams!, `full ${full.trainableParams}`);
    for (const x of s.runs) {
      assert.ok(x.secondsPerStep!.wall > 0 && x.secondsPerStep!.cpu > 0);
      assert.ok(x.memory!.peakKiB > 0);
      if (x.memory!.scope === 'run') assert.ok(x.memory!.peakKiB >= x.memory!.startKiB!);
      assert.equal(x.paired!['arithmetic']!.n, 5);
    }
    // each configuration has its own run folder and evaluation records; the LoRA checkpoint is a PEFT adapter
    for (const f of ['base.jsonl', 'after-seed-0.jsonl', 'after-r2-seed-0.jsonl']) assert.ok(fs.existsSync(path.join(out, f)), f);
    assert.ok(fs.existsSync(path.join(out, 'r2-seed-0', 'checkpoints', 'step-000002', 'adapter_config.json')));
    assert.deepEqual(Object.keys(s.configs!), ['full', 'lora-r2']);
    assert.deepEqual(s.configs!['lora-r2']!.seeds, [0]);
    assert.equal(s.configs!['lora-r2']!.peakRssKiB, lora.memory!.peakKiB);
    assert.deepEqual(s.spread, s.configs!['full']!.spread); // spread: the first configuration's
    assert.match(r.stdout, /\nlora-r2 0\s+\d+\.\d% \[/);
    assert.match(r.stdout, /lora-r2: lr 0\.0001, \d+ trainable parameters/);

    // Another seed in another process from the same base and selection (--base-from), then the two merged.
    const other = spawnSync(
      process.execPath,
      [
        main,
        'demo',
        '--model',
        model,
        '--quick',
        '--gsm8k',
        '0',
        '--lr',
        '1e-5',
        '--seeds',
        '1',
        '--lora-ranks',
        '2',
        '--base-from',
        results,
        '--out',
        path.join(dir, 'out2'),
        '--results',
        path.join(dir, 'r2.json'),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    assert.equal(other.status, 0, other.stderr);
    const s2 = JSON.parse(fs.readFileSync(path.join(dir, 'r2.json'), 'utf8')) as RealDemoResult;
    assert.equal(s2.baseFrom, results);
    assert.deepEqual([s2.base, s2.selected, s2.seconds.base.cpu], [s.base, s.selected, 0]);
    assert.ok(!fs.existsSync(path.join(dir, 'out2', 'base.jsonl')));
    const merged = path.join(dir, 'merged.json');
    const m = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'demo-real-merge.mjs'), merged, results, path.join(dir, 'r2.json')], {
      encoding: 'utf8',
    });
    assert.equal(m.status, 0, m.stderr);
    const md = JSON.parse(fs.readFileSync(merged, 'utf8')) as RealDemoResult & { parts: unknown[] };
    assert.deepEqual(
      md.runs.map((x) => [x.rank, x.seed]),
      [
        [0, 0],
        [2, 0],
        [2, 1],
      ],
    );
    assert.deepEqual(md.configs!['lora-r2']!.seeds, [0, 1]);
    // LoRA − full only where full fine-tuning ran with that seed; the numbers are the paired test's of the two outcome strings
    const vs = md.configs!['lora-r2']!.vsFull!['arithmetic']!;
    assert.deepEqual(
      vs.map((x) => x.seed),
      [0],
    );
    const bits = (x: string) => [...x].map((c) => c === '1');
    const f0 = bits(full.after['arithmetic']!.outcomes!),
      l0 = bits(lora.after['arithmetic']!.outcomes!);
    assert.equal(vs[0]!.mcnemar.onlyB, l0.filter((x, i) => x && !f0[i]).length);
    assert.ok(Math.abs(vs[0]!.diff - (l0.filter(Boolean).length - f0.filter(Boolean).length) / 5) < 1e-12);
    assert.equal(md.parts.length, 2);
    // The same part twice: a (rank, seed) in two parts is refused.
    const twice = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'demo-real-merge.mjs'), merged, results, results], { encoding: 'utf8' });
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /ran in more than one part: full seed 0, lora-r2 seed 0/);
    // --base-from with other settings: one line, exit 2
    const bad = spawnSync(process.execPath, [main, 'demo', '--model', model, '--quick', '--gsm8k', '0', '--held-out', '3', '--base-from', results], {
      encoding: 'utf8',
    });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(
      bad.stderr.trim(),
      /^rlvr: --base-from .*r\.json was made with other settings \(heldOutPerKind\): its base evaluation and selection do not apply$/,
    );
  });
});
