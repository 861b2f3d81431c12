// The build's policy for the CUDA parts of a CUDA build (scripts/build-native.mjs), checked on a
// CPU machine with a stand-in PyTorch (a folder with lib/libtorch_cuda.so) and a stand-in compiler
// that fails cuda_graph.cc whenever it is compiled with CUDA: the build must FAIL with one line
// naming the part (not build without it), unless RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1 says to; a
// missing nccl.h fails it too, unless RLVR_BUILD_WITHOUT_NCCL=1. The real compile against the
// CUDA wheel is `npm run check:cuda-build` (not part of npm test: a multi-GB environment).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtWithout } from '../../src/engine/native.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function fakeBuild(env: Record<string, string>, withNccl: boolean): { code: number | null; err: string; calls: string[] } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlvr-cuda-build-'));
  try {
    const torchDir = path.join(dir, 'site-packages/torch');
    mkdirSync(path.join(torchDir, 'lib'), { recursive: true });
    writeFileSync(path.join(torchDir, 'lib/libtorch_cuda.so'), '');
    // The pip-wheel layout of CUDA 13: headers (nccl.h among them) in site-packages/nvidia/cu13/include.
    mkdirSync(path.join(dir, 'site-packages/nvidia/cu13/include'), { recursive: true });
    if (withNccl) writeFileSync(path.join(dir, 'site-packages/nvidia/cu13/include/nccl.h'), '');
    const python = path.join(dir, 'python');
    writeFileSync(python, `#!/bin/sh\nprintf '%s\\n1\\n13.0\\n2.99.0+cu130\\n' '${torchDir}'\n`);
    const calls = path.join(dir, 'calls.txt');
    const cxx = path.join(dir, 'cxx');
    writeFileSync(
      cxx,
      `#!/bin/sh
out=""; prev=""; for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
echo "$*" >> '${calls}'
case "$*" in *cuda_graph.cc*) case "$*" in *-DRLVR_WITH_CUDA\\ *) echo "cuda_graph.cc:58:5: error: no matching function for call to 'register_generator_state'" >&2; echo "compiler noise that must not be shown" >&2; exit 1;; esac;; esac
: > "$out"
`,
    );
    chmodSync(python, 0o755);
    chmodSync(cxx, 0o755);
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/build-native.mjs')], {
      env: {
        ...process.env,
        PYTHON: python,
        CXX: cxx,
        CUDA_HOME: path.join(dir, 'no-toolkit'),
        LIBTORCH: '',
        NCCL_HOME: '',
        RLVR_BUILD_DIR: path.join(dir, 'build'),
        JOBS: '1',
        ...env,
      },
      encoding: 'utf8',
    });
    let lines: string[] = [];
    try {
      lines = readFileSync(calls, 'utf8').trim().split('\n');
    } catch {
      /* no compiler call */
    }
    return { code: r.status, err: r.stderr, calls: lines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a CUDA part that does not compile fails the build with one line naming it', () => {
  const r = fakeBuild({}, true);
  assert.equal(r.code, 1, r.err);
  const last = r.err.trim().split('\n').at(-1)!;
  assert.match(
    last,
    /^build-native: CUDA graphs \(src\/native\/cuda_graph\.cc\) did not compile against libtorch 2\.99\.0\+cu130 \(CUDA 13\.0\): cuda_graph\.cc:58:5: error: no matching function .*RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1 builds the addon without CUDA graphs$/,
  );
  assert.doesNotMatch(r.err, /compiler noise/);
  // The pip wheel's include folder was on the command line, and NCCL was on.
  const graphCall = r.calls.find((c) => c.includes('cuda_graph.cc'))!;
  assert.match(graphCall, /-I\S*site-packages\/nvidia\/cu13\/include /);
  assert.match(graphCall, /-DRLVR_WITH_NCCL/);
});

test('RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1 builds without them (that file only), and says so', () => {
  const r = fakeBuild({ RLVR_BUILD_WITHOUT_CUDA_GRAPHS: '1' }, true);
  assert.equal(r.code, 0, r.err);
  const graphCall = r.calls.find((c) => c.includes('cuda_graph.cc'))!;
  assert.doesNotMatch(graphCall, /-DRLVR_WITH_CUDA /);
  assert.match(graphCall, /-DRLVR_WITHOUT_CUDA_GRAPHS/);
  assert.match(r.calls.find((c) => c.includes('distributed.cc'))!, /-DRLVR_WITH_CUDA .*-DRLVR_WITH_NCCL/);
  assert.match(r.err, /wrote .*rlvr_native\.node without CUDA graphs \(RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1\)/);
});

test('a CUDA libtorch without nccl.h fails the build naming NCCL; RLVR_BUILD_WITHOUT_NCCL=1 builds without it', () => {
  const r = fakeBuild({ RLVR_BUILD_WITHOUT_CUDA_GRAPHS: '1' }, false);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err.trim().split('\n').at(-1)!, /^build-native: NCCL: nccl\.h not found .*RLVR_BUILD_WITHOUT_NCCL=1 to build without NCCL$/);
  assert.equal(r.calls.length, 0);
  const ok = fakeBuild({ RLVR_BUILD_WITHOUT_CUDA_GRAPHS: '1', RLVR_BUILD_WITHOUT_NCCL: '1' }, false);
  assert.equal(ok.code, 0, ok.err);
  const dist = ok.calls.find((c) => c.includes('distributed.cc'))!;
  assert.doesNotMatch(dist, /-DRLVR_WITH_NCCL|-DUSE_C10D_NCCL/);
  assert.match(dist, /-DRLVR_WITHOUT_NCCL/);
});

test('loading an addon built without a CUDA part says so in one line', () => {
  assert.equal(builtWithout({ builtWithoutCudaGraphs: false, builtWithoutNccl: false }), null);
  const line = builtWithout({ builtWithoutCudaGraphs: true, builtWithoutNccl: true })!;
  assert.equal(line.split('\n').length, 1);
  assert.match(line, /without CUDA graphs \(RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1.*and without NCCL \(RLVR_BUILD_WITHOUT_NCCL=1/);
});
