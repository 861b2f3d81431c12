import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';

const main = path.join(repoRoot, 'dist/src/cli/main.js');

test('rlvr verify prints a JSON verdict and exits 0/1', () => {
  const ok = spawnSync(process.execPath, [main, 'verify', '--gold', '12.8', '--response', 'so \\boxed{12.80}'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout.trim()).reward, 1);
  const bad = spawnSync(process.execPath, [main, 'verify', '--gold', '12.8', '--response', '12.8'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(JSON.parse(bad.stdout.trim()).reason, 'no_answer');
  const err = spawnSync(process.execPath, [main, 'verify', '--gold', '1'], { encoding: 'utf8' });
  assert.equal(err.status, 2);
});

test('rlvr verify-cases --json ends with the summary line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vc-'));
  const file = path.join(dir, 'c.jsonl');
  writeFileSync(
    file,
    [
      { gold: '12.8', pred: '\\frac{64}{5}', equal: true },
      { gold: '12.8', response: 'so \\boxed{12.7}', equal: false },
      { gold: '2', pred: '3', equal: true },
    ]
      .map((x) => JSON.stringify(x))
      .join('\n'),
  );
  const r = spawnSync(process.execPath, [main, 'verify-cases', file, '--mode', 'reward', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(last.n, 3);
  assert.equal(last.fn, 1);
  assert.equal(last.fp, 0);
  assert.ok(Math.abs(last.accuracy - 0.6667) < 1e-3);
  for (const k of ['p50_ms', 'p99_ms']) assert.equal(typeof last[k], 'number');
});
