// VerifierPool.close() while a worker's 'ready' message is still unread: the process must wait for
// the worker's exit. Before the fix the late 'ready' unref'd the terminating worker, the event loop
// emptied and the process ended inside `await pool.close()` (exit 13 here; in the CLI, whose
// command is not a top-level await, exit 0 with the rest of the command never run: an ablation
// stopped after 2 of 3 runs).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

test('pool: close() with an unread ready message waits for the worker to exit', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-pool-close-'));
  try {
    const script = fileURLToPath(new URL('./fixtures/close-while-loading.js', import.meta.url));
    const r = spawnSync(process.execPath, [script], {
      encoding: 'utf8',
      env: { ...process.env, RLVR_TEST_READY_FILE: path.join(tmp, 'ready') },
      timeout: 30_000,
    });
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), 'closed');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
