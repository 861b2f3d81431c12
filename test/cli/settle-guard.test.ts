// The rlvr command's guard: a command whose promise never settles (the event loop emptied under
// it) exits non-zero with one line instead of 0 (src/cli/settle-guard.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const script = fileURLToPath(new URL('./fixtures/unsettled.js', import.meta.url));

test('a command promise left pending when the event loop empties: exit 1 and one line', () => {
  const r = spawnSync(process.execPath, [script, 'pending'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^rlvr: internal error: the command stopped before finishing/);
});

test('a command that settles keeps its exit code and prints nothing extra', () => {
  const r = spawnSync(process.execPath, [script, 'resolves'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'settled');
  assert.equal(r.stderr, '');
});
