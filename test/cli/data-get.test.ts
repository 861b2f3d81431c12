// `rlvr data get`: the paper's data and the benchmarks by download (a local HTTP server stands in
// for GitHub), from a local mirror (--from), every file's sha256 checked; a tampered file and an
// unreachable source are one line each. The mirror is ../shared/data (those sources' copies).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DATA_FILES } from '../../src/data/sources.js';
import { repoRoot, sharedData } from '../helpers/paths.js';

const cli = path.join(repoRoot, 'dist/src/cli/main.js');
const mirror = sharedData;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-data-get-'));

function rlvr(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('--from a local mirror: every file copied with its digest checked; a second get finds them', async () => {
  const out = path.join(tmp, 'from-mirror');
  const r = await rlvr(['data', 'get', '--from', mirror, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${DATA_FILES.length} files \\(${DATA_FILES.length} copied, 0 already there\\), every sha256 checked`));
  for (const f of DATA_FILES) assert.deepEqual(fs.readFileSync(path.join(out, f.path)), fs.readFileSync(path.join(mirror, f.path)), f.path);
  const again = await rlvr(['data', 'get', '--from', mirror, '--out', out]);
  assert.match(again.stdout, new RegExp(`\\(0 copied, ${DATA_FILES.length} already there\\)`));
});

test("a file that is not the paper's: one line naming it, nothing written", async () => {
  const bad = path.join(tmp, 'tampered');
  fs.cpSync(mirror, bad, { recursive: true });
  const f = path.join(bad, 'train/pi1_r128.parquet');
  fs.chmodSync(f, 0o644);
  const bytes = fs.readFileSync(f);
  bytes[100] = bytes[100]! ^ 1;
  fs.writeFileSync(f, bytes);
  const out = path.join(tmp, 'from-tampered');
  const r = await rlvr(['data', 'get', '--from', bad, '--out', out]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr.trim().split('\n').at(-1)!,
    /^rlvr: data get: train\/pi1_r128\.parquet from .*tampered\/train\/pi1_r128\.parquet has sha256 [0-9a-f]{16}…, expected 75a7a6eec9da7ce6… {1,2}\(6732 of 6732 bytes\): not the file the paper used; nothing written$/,
  );
  assert.ok(!fs.existsSync(path.join(out, 'train/pi1_r128.parquet')));
});

test('download: from the source over HTTP (a local server here), digests checked; unreachable: one line, exit 1', async () => {
  const server = http.createServer((req, res) => {
    const f = DATA_FILES.find((x) => req.url === `/${x.upstream}`);
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(fs.readFileSync(path.join(mirror, f.path)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const out = path.join(tmp, 'downloaded');
    const r = await rlvr(['data', 'get', '--out', out], { RLVR_DATA_URL: `http://127.0.0.1:${port}` });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\(16 downloaded, 0 already there\)/);
    assert.equal(fs.readFileSync(path.join(out, 'selection/acc_step_500.json')).length, 904326);
  } finally {
    server.close();
  }
  const off = await rlvr(['data', 'get', '--out', path.join(tmp, 'offline')], { RLVR_DATA_URL: `http://127.0.0.1:${port}` });
  assert.equal(off.status, 1, off.stderr);
  assert.match(
    off.stderr,
    new RegExp(
      `^rlvr: data get: cannot reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): offline\\? Copy the files from a mirror with rlvr data get --from DIR\\n$`,
    ),
  );
});
