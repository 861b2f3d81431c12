#!/usr/bin/env node
// Builds the native addon (src/native/*.cc) against libtorch with g++; downloads nothing.
// libtorch comes from $LIBTORCH (a folder with include/ and lib/) or from an installed
// PyTorch (python3 -c 'import torch'), which also tells the C++11 ABI flag and CUDA version.
// Output: build/Release/rlvr_native.node (+ build/libtorch.json describing what it linked);
// RLVR_BUILD_DIR=DIR puts everything under DIR instead of build/ (npm run check:cuda-build).
//
// With a CUDA libtorch, CUDA graphs (cuda_graph.cc) and NCCL (distributed.cc) are part of the
// addon: if either does not compile (or nccl.h is not found), the build FAILS with one line naming
// the part, unless RLVR_BUILD_WITHOUT_CUDA_GRAPHS=1 / RLVR_BUILD_WITHOUT_NCCL=1 says to build
// without it (loading the addon then says so in one line: src/engine/native.ts).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const srcDir = path.join(root, 'src/native');
const buildDir = path.resolve(root, process.env.RLVR_BUILD_DIR || 'build');
const objDir = path.join(buildDir, 'obj');
const outFile = path.join(buildDir, 'Release/rlvr_native.node');
const withoutGraphs = process.env.RLVR_BUILD_WITHOUT_CUDA_GRAPHS === '1';
const withoutNccl = process.env.RLVR_BUILD_WITHOUT_NCCL === '1';

function fail(message) {
  console.error(`build-native: ${message}`);
  process.exit(1);
}

function findLibtorch() {
  const python = process.env.PYTHON ?? 'python3';
  let fromPython = null;
  try {
    const out = execFileSync(
      python,
      [
        '-c',
        'import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI)); print(torch.version.cuda or ""); print(torch.__version__)',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
      .trim()
      .split('\n');
    fromPython = { dir: out[0], abi: out[1], cuda: out[2], version: out[3] };
  } catch {
    /* no PyTorch in this Python */
  }
  const env = process.env.LIBTORCH;
  if (env) {
    if (!existsSync(path.join(env, 'include/ATen/ATen.h')))
      fail(`LIBTORCH=${env} has no include/ATen/ATen.h: point it at an unpacked libtorch (or a PyTorch install's torch/ folder)`);
    const same = fromPython && path.resolve(fromPython.dir) === path.resolve(env);
    return {
      dir: env,
      abi: same ? fromPython.abi : (process.env.LIBTORCH_CXX11_ABI ?? '1'),
      cuda: same ? fromPython.cuda : '',
      version: same ? fromPython.version : 'unknown',
    };
  }
  if (fromPython) return fromPython;
  fail(
    'libtorch not found. Install PyTorch (on these machines: pip install torch==2.13.0, a CPU wheel from a local file) or set LIBTORCH=/path/to/libtorch (the folder holding include/ and lib/).',
  );
}

const torch = findLibtorch();
const libDir = path.join(torch.dir, 'lib');
const hasCuda = existsSync(path.join(libDir, 'libtorch_cuda.so'));
const cudaHome = process.env.CUDA_HOME ?? '/usr/local/cuda';
// CUDA headers: the toolkit's ($CUDA_HOME/include) and, for a pip-installed CUDA torch, the
// wheels' (site-packages/nvidia/cu13/include for CUDA 13 wheels; nvidia/<lib>/include for cu12).
// The CUDA 13 runtime wheel has cuda_runtime.h but not the crt/host_config.h it includes (that is the
// separate nvidia-cuda-crt wheel, which torch does not depend on); triton, which torch does depend
// on, ships the CUDA headers with crt/: used only when no folder above has crt/host_config.h.
function cudaIncludeDirs() {
  const nvidia = path.join(torch.dir, '../nvidia');
  const wheelDirs = existsSync(nvidia)
    ? readdirSync(nvidia)
        .map((d) => path.join(nvidia, d, 'include'))
        .filter((d) => existsSync(d))
    : [];
  const dirs = [path.join(cudaHome, 'include'), ...wheelDirs.sort((a, b) => Number(b.includes('/cu1')) - Number(a.includes('/cu1')))].filter((d) =>
    existsSync(d),
  );
  const triton = path.join(torch.dir, '../triton/backends/nvidia/include');
  if (!dirs.some((d) => existsSync(path.join(d, 'crt/host_config.h'))) && existsSync(path.join(triton, 'crt/host_config.h'))) dirs.push(triton);
  return dirs;
}
const cudaIncludes = hasCuda ? cudaIncludeDirs() : [];
const includes = [
  path.dirname(require.resolve('node-api-headers/package.json')) + '/include',
  path.dirname(require.resolve('node-addon-api/package.json')),
  path.join(torch.dir, 'include'),
  path.join(torch.dir, 'include/torch/csrc/api/include'),
  ...cudaIncludes,
];
// c10d (src/native/distributed.cc): gloo is compiled into libtorch_cpu, but wheels ship no gloo
// headers; src/native/gloo-shim declares the few types c10d's header names. NCCL needs nccl.h:
// $NCCL_HOME/include, the nvidia-nccl wheel, or one of the CUDA include folders above.
const glooIncludes = existsSync(path.join(torch.dir, 'include/gloo')) ? [] : [path.join(srcDir, 'gloo-shim')];
const ncclInclude =
  hasCuda && !withoutNccl
    ? [process.env.NCCL_HOME && path.join(process.env.NCCL_HOME, 'include'), path.join(torch.dir, '../nvidia/nccl/include'), ...cudaIncludes].find(
        (d) => d && existsSync(path.join(d, 'nccl.h')),
      )
    : undefined;
if (hasCuda && !withoutNccl && !ncclInclude) {
  fail(
    `NCCL: nccl.h not found for CUDA libtorch ${torch.version} (looked in $NCCL_HOME/include, ${path.join(torch.dir, '../nvidia/nccl/include')}, ${cudaIncludes.join(', ') || 'no CUDA include folder'}); set NCCL_HOME, or RLVR_BUILD_WITHOUT_NCCL=1 to build without NCCL`,
  );
}
includes.push(...glooIncludes, ...(ncclInclude && !includes.includes(ncclInclude) ? [ncclInclude] : []));
const cxxflags = [
  '-O2',
  '-std=c++20',
  '-fPIC',
  '-fvisibility=hidden',
  '-Wno-deprecated-declarations',
  '-Wno-unused-parameter',
  '-Wno-interference-size',
  '-DNAPI_VERSION=8',
  '-DNAPI_CPP_EXCEPTIONS',
  `-D_GLIBCXX_USE_CXX11_ABI=${torch.abi}`,
  ...(hasCuda ? ['-DRLVR_WITH_CUDA'] : []),
  '-DUSE_C10D_GLOO',
  ...(ncclInclude ? ['-DUSE_C10D_NCCL', '-DRLVR_WITH_NCCL'] : []),
  ...includes.map((i) => `-I${i}`),
];
// The CUDA parts of a CUDA build, by file: what the part is called and the switch that drops it.
const CUDA_PARTS = {
  'cuda_graph.cc': {
    part: 'CUDA graphs',
    without: withoutGraphs,
    env: 'RLVR_BUILD_WITHOUT_CUDA_GRAPHS',
    drop: ['-DRLVR_WITH_CUDA'],
    add: ['-DRLVR_WITHOUT_CUDA_GRAPHS'],
  },
  'distributed.cc': {
    part: 'NCCL',
    without: withoutNccl,
    env: 'RLVR_BUILD_WITHOUT_NCCL',
    drop: ['-DUSE_C10D_NCCL', '-DRLVR_WITH_NCCL'],
    add: ['-DRLVR_WITHOUT_NCCL'],
  },
};
/** The compiler flags of one source file (a CUDA part left out by its switch compiles without it). */
function flagsFor(f) {
  const p = CUDA_PARTS[f];
  if (!hasCuda || !p?.without) return cxxflags;
  return [...cxxflags.filter((x) => !p.drop.includes(x)), ...p.add];
}
const libs = ['-ltorch', '-ltorch_cpu', '-lc10', ...(hasCuda ? ['-ltorch_cuda', '-lc10_cuda'] : [])];
const cxx = process.env.CXX ?? 'g++';

/** Runs the compiler; its output is passed through, and kept in `log` (a file) when one is given. */
function run(args, log) {
  return new Promise((resolve, reject) => {
    const p = spawn(cxx, args, { stdio: ['ignore', 'inherit', log ? 'pipe' : 'inherit'] });
    let out = '';
    p.stderr?.on('data', (d) => {
      out += d;
    });
    p.on('exit', (code) => {
      if (log) writeFileSync(log, out);
      if (code === 0) {
        if (out) process.stderr.write(out);
        resolve();
        return;
      }
      const first = out.split('\n').find((l) => /\berror\b/.test(l));
      reject(Object.assign(new Error(`${cxx} exited with ${code}`), { firstError: first?.trim(), output: out }));
    });
    p.on('error', reject);
  });
}

mkdirSync(objDir, { recursive: true });
mkdirSync(path.dirname(outFile), { recursive: true });
// What the addon was built from: build/Release/rlvr_native.json records a hash of src/native, and
// src/engine/native.ts refuses an addon whose hash is not the sources' (an addon copied from another
// checkout, or older than a `git pull`, would otherwise fail later with "x is not a function").
function nativeSourceHash(dir) {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const f = path.join(d, name);
      if (statSync(f).isDirectory()) walk(f);
      else h.update(path.relative(dir, f)).update('\0').update(readFileSync(f)).update('\0');
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 16);
}
const stampOut = path.join(path.dirname(outFile), 'rlvr_native.json');
const sourceHash = nativeSourceHash(srcDir);
const headerTime = Math.max(
  ...readdirSync(srcDir, { recursive: true })
    .map(String)
    .filter((f) => !f.endsWith('.cc') && statSync(path.join(srcDir, f)).isFile())
    .map((f) => statSync(path.join(srcDir, f)).mtimeMs),
);
const sources = readdirSync(srcDir).filter((f) => f.endsWith('.cc'));
const flagsStamp = JSON.stringify({ cxxflags: Object.fromEntries(sources.map((f) => [f, flagsFor(f)])), libs, torch });
const stampFile = path.join(objDir, 'flags.json');
const flagsChanged = !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== flagsStamp;
const staleByTime = sources.filter((f) => {
  const obj = path.join(objDir, f.replace(/\.cc$/, '.o'));
  if (flagsChanged || !existsSync(obj)) return true;
  const t = statSync(obj).mtimeMs;
  return statSync(path.join(srcDir, f)).mtimeMs > t || headerTime > t;
});
const built = existsSync(outFile) && existsSync(stampOut) ? JSON.parse(readFileSync(stampOut, 'utf8')) : null;
if (staleByTime.length === 0 && built?.sourceHash === sourceHash) {
  console.error(`build-native: ${path.relative(root, outFile)} is up to date (sources ${sourceHash})`);
  process.exit(0);
}
// Sources that differ from what the addon was built from although no file is newer than its object
// (a checkout that set older times, objects from another build): compile everything rather than
// link stale objects.
const stale = staleByTime.length > 0 ? staleByTime : sources;

console.error(
  `build-native: libtorch ${torch.version} at ${torch.dir} (${hasCuda ? `CUDA ${torch.cuda}` : 'CPU only'}, CXX11 ABI ${torch.abi}); compiling ${stale.length}/${sources.length} files`,
);
const jobs = Math.max(1, Math.min(stale.length, Number(process.env.JOBS ?? 2)));
const queue = [...stale];
try {
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const args = ['-c', path.join(srcDir, f), '-o', path.join(objDir, f.replace(/\.cc$/, '.o'))];
        const part = hasCuda ? CUDA_PARTS[f] : undefined;
        const log = path.join(objDir, f.replace(/\.cc$/, '.log'));
        try {
          await run([...flagsFor(f), ...args], part && !part.without ? log : undefined);
        } catch (e) {
          // A CUDA part of a CUDA build that does not compile fails the build (a user's first GPU
          // run must not find CUDA graphs or NCCL silently missing); its switch builds without it.
          if (part && !part.without) {
            // CUDA headers that torch's pip wheels leave out (a machine without a CUDA toolkit).
            const missing = /nv\/target|crt\/host_config\.h|cuda_runtime(_api)?\.h|cusparse\.h/.exec(e.output ?? '');
            const hint = missing
              ? ` (a CUDA header is missing: set CUDA_HOME to a CUDA toolkit, or pip install nvidia-cuda-cccl nvidia-cuda-crt at torch's CUDA version)`
              : '';
            fail(
              `${part.part} (src/native/${f}) did not compile against libtorch ${torch.version} (CUDA ${torch.cuda}): ${e.firstError ?? e.message}${hint}; ` +
                `full log ${path.relative(root, log)}; ${part.env}=1 builds the addon without ${part.part}`,
            );
          }
          throw e;
        }
      }
    }),
  );
  // --no-as-needed: keep libtorch_cuda in the link even though no symbol of it is named
  // directly, so that CUDA kernels register when the addon loads.
  await run([
    '-shared',
    '-o',
    outFile,
    ...sources.map((f) => path.join(objDir, f.replace(/\.cc$/, '.o'))),
    `-L${libDir}`,
    '-Wl,--no-as-needed',
    ...libs,
    '-Wl,--as-needed',
    `-Wl,-rpath,${libDir}`,
  ]);
} catch (e) {
  fail(`compilation failed: ${e.message}`);
}
writeFileSync(stampFile, flagsStamp);
writeFileSync(stampOut, JSON.stringify({ sourceHash }) + '\n');
writeFileSync(
  path.join(buildDir, 'libtorch.json'),
  JSON.stringify({ dir: torch.dir, version: torch.version, cuda: hasCuda ? torch.cuda : null, abi: torch.abi }, null, 2),
);
const left = hasCuda
  ? Object.values(CUDA_PARTS)
      .filter((p) => p.without)
      .map((p) => `without ${p.part} (${p.env}=1)`)
  : [];
console.error(`build-native: wrote ${path.relative(root, outFile)}${left.length ? ` ${left.join(', ')}` : ''}`);
