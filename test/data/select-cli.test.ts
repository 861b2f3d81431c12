import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot, sharedData } from '../helpers/paths.js';

const historyFile = path.join(sharedData, 'selection', 'acc_step_500.json');
const main = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

function rlvr(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', cwd: repoRoot });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Row {
  rank: number;
  index: number;
  variance: number;
  meanAcc: number;
}

function lastJson(stdout: string): Row[] {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Row[];
}

test('rlvr select --method variance prints the ranking table and JSON', () => {
  const r = rlvr('select', '--history', historyFile, '--method', 'variance', '--top', '13', '--json');
  assert.equal(r.code, 0, r.stderr);
  const rows = lastJson(r.stdout);
  assert.equal(rows.length, 13);
  assert.equal(rows[0]!.index, 124);
  assert.equal(rows[1]!.index, 267);
  assert.equal(rows[12]!.index, 682);
  assert.deepEqual(
    rows.map((x) => x.rank),
    Array.from({ length: 13 }, (_, i) => i + 1),
  );
  assert.ok(rows[0]!.meanAcc > 0 && rows[0]!.meanAcc < 1);
  // The table: a header and one line per example.
  assert.match(r.stdout, /rank\s+index\s+variance\s+mean acc/);
  assert.match(r.stdout, /\n\s+1\s+124\s+0\.165450\s+0\.4410\n/);
});

test('rlvr select defaults to variance, top 10, and prints no JSON without --json', () => {
  const r = rlvr('select', '--history', historyFile);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 12, 'title + header + 10 rows');
  assert.doesNotMatch(r.stdout, /\[\{/);
});

test('rlvr select --top beyond the set gives every example; π1209 = 789', () => {
  const r = rlvr('select', '--history', historyFile, '--top', '5000', '--json');
  assert.equal(r.code, 0, r.stderr);
  const rows = lastJson(r.stdout);
  assert.equal(rows.length, 1209);
  assert.equal(rows[1208]!.index, 789);
});

test('rlvr select --method random is reproducible per seed', () => {
  const a = rlvr('select', '--history', historyFile, '--method', 'random', '--top', '8', '--seed', '3', '--json');
  const b = rlvr('select', '--history', historyFile, '--method', 'random', '--top', '8', '--seed', '3', '--json');
  const c = rlvr('select', '--history', historyFile, '--method', 'random', '--top', '8', '--seed', '4', '--json');
  assert.equal(a.code, 0, a.stderr);
  assert.deepEqual(lastJson(a.stdout), lastJson(b.stdout));
  assert.notDeepEqual(
    lastJson(a.stdout).map((x) => x.index),
    lastJson(c.stdout).map((x) => x.index),
  );
  assert.equal(new Set(lastJson(a.stdout).map((x) => x.index)).size, 8);
});

test('rlvr select: user errors are one line and exit 2', () => {
  const missing = path.join(os.tmpdir(), 'rlvr-no-such-history.json');
  const r = rlvr('select', '--history', missing);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), `rlvr: no such file: ${missing}`);

  const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-cli-')), 'bad.json');
  fs.writeFileSync(bad, '{"3": "oops"}');
  const s = rlvr('select', '--history', bad);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /bad\.json: key "3": expected a list of accuracies/);

  assert.equal(rlvr('select').code, 2);
  assert.match(rlvr('select', '--history', historyFile, '--method', 'best').stderr, /--method must be 'variance' or 'random'/);
  assert.match(rlvr('select', '--history', historyFile, '--top', 'x').stderr, /--top must be a number/);
  assert.match(rlvr('select', '--history', historyFile, '--top', '0').stderr, /--top must be a positive integer/);
});
