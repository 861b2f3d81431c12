// `rlvr generate` says how many threads it runs and how fast it generated (issue 17 item 6).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { defaultThreads } from '../../src/engine/threads.js';
import { buildTinyQwenModel } from '../helpers/tiny-model.js';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');

test('rlvr generate prints its threads (given or the default) and the tokens per second', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-gen-progress-'));
  const modelDir = path.join(tmp, 'model');
  buildTinyQwenModel(modelDir, 4);
  const given = spawnSync(
    process.execPath,
    [cli, 'generate', '--model', modelDir, '--prompt', 'Hello', '--max-tokens', '6', '--n', '2', '--threads', '1', '--device', 'cpu'],
    { encoding: 'utf8' },
  );
  assert.equal(given.status, 0, given.stderr);
  assert.match(given.stderr, /^threads: 1 \(--threads\)$/m);
  assert.match(given.stderr, /generated \d+ tokens in 2 sequences in [\d.]+ s: [\d.]+ tok\/s/);
  const dflt = spawnSync(process.execPath, [cli, 'generate', '--model', modelDir, '--prompt', 'Hello', '--max-tokens', '2', '--device', 'cpu'], {
    encoding: 'utf8',
  });
  assert.equal(dflt.status, 0, dflt.stderr);
  assert.match(dflt.stderr, new RegExp(`threads: ${defaultThreads()} \\(default: half of \\d+ logical CPUs; --threads N to change\\)`));
  fs.rmSync(tmp, { recursive: true, force: true });
});
