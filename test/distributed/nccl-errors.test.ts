// How a failed or hung NCCL collective ends a run (no GPU needed for the logic): the rank's
// environment asks PyTorch's watchdog to end the process (TORCH_NCCL_ASYNC_ERROR_HANDLING=3, a
// user's own value kept), and the launcher's one line says what a SIGABRT means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ncclEnvironment } from '../../src/distributed/process-group.js';
import { describe as describeExit } from '../../src/distributed/launch.js';

test('the watchdog ends a rank on a failed or timed-out collective unless the user chose otherwise', () => {
  assert.deepEqual(ncclEnvironment({}), { TORCH_NCCL_ASYNC_ERROR_HANDLING: '3' });
  assert.deepEqual(ncclEnvironment({ TORCH_NCCL_ASYNC_ERROR_HANDLING: '1' }), {});
  assert.deepEqual(ncclEnvironment({ NCCL_ASYNC_ERROR_HANDLING: '0' }), {});
  assert.equal('TORCH_NCCL_BLOCKING_WAIT' in ncclEnvironment({}), false);
});

test("the launcher's line for a rank ended by the watchdog names the cause; other endings are unchanged", () => {
  const line = describeExit({ code: null, signal: 'SIGABRT' });
  assert.match(line, /^was killed by SIGABRT \(with NCCL: a collective failed or timed out/);
  assert.equal(line.split('\n').length, 1);
  assert.equal(describeExit({ code: 3, signal: null }), 'exited with code 3');
  assert.equal(describeExit({ code: null, signal: 'SIGKILL' }), 'was killed by SIGKILL');
});
