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

test('rlvr verify refuses a flag as an option value with one line (exit 2)', () => {
  const r = spawnSync(process.execPath, [main, 'verify', '--gold', '--response', '5'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /--gold needs a value, got the option --response/);
  // The explicit form still passes a value that starts with --.
  const ok = spawnSync(process.execPath, [main, 'verify', '--gold=--5', '--response', 'x'], { encoding: 'utf8' });
  assert.notEqual(ok.status, 2, ok.stderr);
});

test('rlvr verify-cases --mode paper scores the paper reward (paper.ts) on a labelled file', async () => {
  const { verifyPaper } = await import('../../src/tasks/math/paper/paper.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'vcp-'));
  const file = path.join(dir, 'c.jsonl');
  const rows = [
    { gold: '12.8', pred: '\\frac{64}{5}', equal: true },
    { gold: '12.8', response: 'so \\boxed{12.7}', equal: false },
    { gold: '\\sqrt{17}', pred: '4.123105625617661', equal: true }, // the paper's sympy grader says no
    { gold: '5', response: 'the answer is 5', equal: true }, // no box: no answer for the paper's grader
  ];
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = spawnSync(process.execPath, [main, 'verify-cases', file, '--mode', 'paper', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^mode paper: 4 cases/);
  const summary = JSON.parse(lines[lines.length - 1]!) as { accuracy: number; fp: number; fn: number };
  // The expected verdicts are paper.ts's own, computed here the way the CLI feeds it.
  const verdicts = rows.map((x) => verifyPaper(x.gold, x.pred !== undefined ? `\\boxed{${x.pred}}` : x.response!).correct);
  const fn = rows.filter((x, i) => x.equal && !verdicts[i]).length;
  const fp = rows.filter((x, i) => !x.equal && verdicts[i]).length;
  assert.deepEqual([summary.fp, summary.fn], [fp, fn]);
  assert.ok(fn >= 2, 'the paper grader rejects the float and the unboxed answer');
  const bad = spawnSync(process.execPath, [main, 'verify-cases', file, '--mode', 'nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
});
