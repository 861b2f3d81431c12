#!/usr/bin/env node
// npm run check:cuda-build: compiles the native addon against a CUDA PyTorch wheel on a machine
// without a GPU, and checks that CUDA graphs and NCCL are in it. Not part of npm test (the wheel
// and its CUDA libraries are ~4 GB).
//
//   1. a virtual environment of its own, created once and kept (never the global Python):
//      ${RLVR_CUDA_VENV:-~/.cache/rlvr/cuda-build-venv}, with pip install torch==${RLVR_CUDA_TORCH:-2.14.1}
//      (the default PyPI wheel of torch 2.14 is the CUDA 13 build; its CUDA headers come in the
//      nvidia-* wheels, site-packages/nvidia/cu13/include) and the two header wheels torch does not
//      pull in but c10d's NCCL header needs: nvidia-cuda-cccl (nv/target), nvidia-cuda-crt
//      (crt/host_config.h), at torch's CUDA version;
//   2. scripts/build-native.mjs against it, into build/cuda-check/ (the CPU build in build/Release,
//      which the tests load, is left alone); a CUDA part that does not compile fails it;
//   3. loads that addon in a child process (no driver needed) and asserts hasCudaGraphs and hasNccl;
//   4. when the global Python's torch is another version (here the 2.13 CPU wheel, whose headers
//      include ATen/cuda and c10d's ProcessGroupNCCL.hpp but whose libraries have no CUDA), the two
//      CUDA parts are compiled -fsyntax-only against its headers (with the CUDA headers of step 1):
//      that checks the version guard of the other torch; it cannot link or load.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const venv = process.env.RLVR_CUDA_VENV ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'rlvr/cuda-build-venv');
const want = process.env.RLVR_CUDA_TORCH ?? '2.14.1';
const python = path.join(venv, 'bin/python');
const outDir = path.join(root, 'build/cuda-check');
const t0 = performance.now();
const secs = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

function fail(message) {
  console.error(`check:cuda-build: FAIL: ${message}`);
  process.exit(1);
}
function torchInfo(py) {
  const r = spawnSync(py, ['-c', 'import torch, os; print(torch.__version__); print(torch.version.cuda or ""); print(os.path.dirname(torch.__file__))'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return null;
  const [version, cuda, dir] = r.stdout.trim().split('\n');
  return { version, cuda, dir };
}

// ---- 1. the environment ----
let info = existsSync(python) ? torchInfo(python) : null;
if (!info || !info.version.startsWith(want) || !info.cuda) {
  console.error(`check:cuda-build: creating ${venv} with torch==${want} (once; kept for later runs)`);
  mkdirSync(path.dirname(venv), { recursive: true });
  if (!existsSync(python)) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', `torch==${want}`], { stdio: 'inherit' });
  info = torchInfo(python);
}
if (!info) fail(`torch does not import in ${venv}`);
if (!info.cuda) fail(`torch ${info.version} in ${venv} has no CUDA (torch.version.cuda is empty)`);
// The CUDA headers torch's wheels leave out and c10d's NCCL header needs: nv/target (CCCL) and
// crt/host_config.h. A machine without a CUDA toolkit needs these two wheels (the build says so
// in its one line); here they are installed into this environment, matching torch's CUDA.
const major = info.cuda.split('.')[0];
const cudaVer = info.cuda.split('.').slice(0, 2).join('.');
const headerWheels =
  major === '12'
    ? [`nvidia-cuda-cccl-cu12==${cudaVer}.*`, `nvidia-cuda-crt-cu12==${cudaVer}.*`]
    : [`nvidia-cuda-cccl==${cudaVer}.*`, `nvidia-cuda-crt==${cudaVer}.*`];
if (!existsSync(path.join(info.dir, '../nvidia/cu13/include/nv/target')) && !existsSync(path.join(info.dir, '../nvidia/cuda_cccl/include/nv/target'))) {
  execFileSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', ...headerWheels], { stdio: 'inherit' });
}
console.error(`check:cuda-build: torch ${info.version} (CUDA ${info.cuda}) in ${venv} [${secs()}]`);

// ---- 2. the build ----
// The pip-wheel layout alone (no CUDA toolkit) unless CUDA_HOME names one.
const cudaHome = process.env.CUDA_HOME ?? path.join(outDir, 'no-cuda-toolkit');
console.error(
  `check:cuda-build: CUDA headers from ${process.env.CUDA_HOME ? `the toolkit at ${cudaHome} and ` : ''}the pip wheels (CUDA_HOME=DIR adds a toolkit)`,
);
const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-native.mjs')], {
  stdio: 'inherit',
  env: { ...process.env, PYTHON: python, RLVR_BUILD_DIR: outDir, LIBTORCH: '', CUDA_HOME: cudaHome },
});
if (build.status !== 0) fail(`the addon did not build against torch ${info.version} (see the line above)`);
console.error(`check:cuda-build: built ${path.relative(root, outDir)}/Release/rlvr_native.node [${secs()}]`);

// ---- 3. load it (a child process: its libtorch is not the one the tests use) ----
const addon = path.join(outDir, 'Release/rlvr_native.node');
const probe = spawnSync(
  process.execPath,
  [
    '-e',
    `
  const a = require(${JSON.stringify(addon)});
  console.log(JSON.stringify({ torchVersion: a.torchVersion, hasCudaGraphs: a.hasCudaGraphs, hasNccl: a.hasNccl,
    builtWithoutCudaGraphs: a.builtWithoutCudaGraphs, builtWithoutNccl: a.builtWithoutNccl, accelerator: a.accelerator() }));`,
  ],
  { encoding: 'utf8' },
);
if (probe.status !== 0) fail(`the addon does not load: ${probe.stderr.trim().split('\n')[0]}`);
const got = JSON.parse(probe.stdout.trim().split('\n').at(-1));
console.error(`check:cuda-build: loaded: ${JSON.stringify(got)}`);
if (got.hasCudaGraphs !== true) fail('hasCudaGraphs is not true');
if (got.hasNccl !== true) fail('hasNccl is not true');

// ---- 4. the other torch's headers, syntax only ----
const global = torchInfo(process.env.PYTHON ?? 'python3');
if (global && global.version !== info.version && existsSync(path.join(global.dir, 'include/ATen/cuda/CUDAGraph.h'))) {
  // The CUDA include folders of step 2's build (its recorded flags), with the other torch's headers.
  const built = JSON.parse(readFileSync(path.join(outDir, 'obj/flags.json'), 'utf8')).cxxflags['cuda_graph.cc'];
  const cudaIncs = built
    .filter((f) => f.startsWith('-I') && !f.startsWith(`-I${info.dir}`) && !f.includes('node_modules') && !f.includes('gloo-shim'))
    .map((f) => f.slice(2));
  // A CPU wheel lacks the one header its CUDA build generates (c10/cuda/impl/cuda_cmake_macros.h,
  // build switches only): it is taken from the CUDA wheel, in a folder of its own.
  const shim = path.join(outDir, 'other-torch-shim');
  mkdirSync(path.join(shim, 'c10/cuda/impl'), { recursive: true });
  copyFileSync(path.join(info.dir, 'include/c10/cuda/impl/cuda_cmake_macros.h'), path.join(shim, 'c10/cuda/impl/cuda_cmake_macros.h'));
  const abi = spawnSync(process.env.PYTHON ?? 'python3', ['-c', 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))'], {
    encoding: 'utf8',
  }).stdout.trim();
  const flags = [
    '-fsyntax-only',
    '-std=c++20',
    '-Wno-deprecated-declarations',
    '-Wno-interference-size',
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    `-D_GLIBCXX_USE_CXX11_ABI=${abi}`,
    '-DRLVR_WITH_CUDA',
    '-DUSE_C10D_GLOO',
    '-DUSE_C10D_NCCL',
    '-DRLVR_WITH_NCCL',
    ...[
      path.dirname(require.resolve('node-api-headers/package.json')) + '/include',
      path.dirname(require.resolve('node-addon-api/package.json')),
      path.join(global.dir, 'include'),
      path.join(global.dir, 'include/torch/csrc/api/include'),
      path.join(root, 'src/native/gloo-shim'),
      ...cudaIncs,
      shim,
    ].map((i) => `-I${i}`),
  ];
  for (const f of ['cuda_graph.cc', 'distributed.cc']) {
    const r = spawnSync(process.env.CXX ?? 'g++', [...flags, path.join(root, 'src/native', f)], { encoding: 'utf8' });
    if (r.status !== 0)
      fail(
        `src/native/${f} does not compile against torch ${global.version}'s headers: ${r.stderr.split('\n').find((l) => /error/.test(l)) ?? r.stderr.slice(0, 300)}`,
      );
    console.error(`check:cuda-build: src/native/${f} compiles (syntax only) against torch ${global.version}'s headers with CUDA on [${secs()}]`);
  }
}
console.log(
  `check:cuda-build: PASS: torch ${info.version} (CUDA ${info.cuda}): the addon builds, loads without a driver, hasCudaGraphs and hasNccl are true (${secs()})`,
);
