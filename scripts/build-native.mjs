#!/usr/bin/env node
// Builds the native addon (src/native/*.cc) against libtorch with g++; downloads nothing.
// libtorch comes from $LIBTORCH (a folder with include/ and lib/) or from an installed
// PyTorch (python3 -c 'import torch'), which also tells the C++11 ABI flag and CUDA version.
// Output: build/Release/rlvr_native.node (+ build/libtorch.json describing what it linked).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const srcDir = path.join(root, 'src/native');
const objDir = path.join(root, 'build/obj');
const outFile = path.join(root, 'build/Release/rlvr_native.node');

function fail(message) {
  console.error(`build-native: ${message}`);
  process.exit(1);
}

function findLibtorch() {
  const python = process.env.PYTHON ?? 'python3';
  let fromPython = null;
  try {
    const out = execFileSync(python, ['-c',
      'import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI)); print(torch.version.cuda or ""); print(torch.__version__)'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    fromPython = { dir: out[0], abi: out[1], cuda: out[2], version: out[3] };
  } catch { /* no PyTorch in this Python */ }
  const env = process.env.LIBTORCH;
  if (env) {
    if (!existsSync(path.join(env, 'include/ATen/ATen.h'))) fail(`LIBTORCH=${env} has no include/ATen/ATen.h: point it at an unpacked libtorch (or a PyTorch install's torch/ folder)`);
    const same = fromPython && path.resolve(fromPython.dir) === path.resolve(env);
    return { dir: env, abi: same ? fromPython.abi : (process.env.LIBTORCH_CXX11_ABI ?? '1'), cuda: same ? fromPython.cuda : '', version: same ? fromPython.version : 'unknown' };
  }
  if (fromPython) return fromPython;
  fail('libtorch not found. Install PyTorch (on these machines: pip install torch==2.13.0, a CPU wheel from a local file) or set LIBTORCH=/path/to/libtorch (the folder holding include/ and lib/).');
}

const torch = findLibtorch();
const libDir = path.join(torch.dir, 'lib');
const hasCuda = existsSync(path.join(libDir, 'libtorch_cuda.so'));
const cudaHome = process.env.CUDA_HOME ?? '/usr/local/cuda';
const includes = [
  path.dirname(require.resolve('node-api-headers/package.json')) + '/include',
  path.dirname(require.resolve('node-addon-api/package.json')),
  path.join(torch.dir, 'include'),
  path.join(torch.dir, 'include/torch/csrc/api/include'),
  ...(hasCuda ? [path.join(cudaHome, 'include')] : []),
];
// c10d (src/native/distributed.cc): gloo is compiled into libtorch_cpu, but wheels ship no gloo
// headers; src/native/gloo-shim declares the few types c10d's header names. NCCL needs nccl.h
// (the nvidia-nccl wheel or $NCCL_HOME); without it the addon builds with gloo only.
const glooIncludes = existsSync(path.join(torch.dir, 'include/gloo')) ? [] : [path.join(srcDir, 'gloo-shim')];
const ncclHome = hasCuda ? [process.env.NCCL_HOME, path.join(torch.dir, '../nvidia/nccl'), cudaHome].find((d) => d && existsSync(path.join(d, 'include/nccl.h'))) : undefined;
includes.push(...glooIncludes, ...(ncclHome ? [path.join(ncclHome, 'include')] : []));
const cxxflags = [
  '-O2', '-std=c++20', '-fPIC', '-fvisibility=hidden', '-Wno-deprecated-declarations', '-Wno-unused-parameter',
  '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', `-D_GLIBCXX_USE_CXX11_ABI=${torch.abi}`,
  ...(hasCuda ? ['-DRLVR_WITH_CUDA'] : []),
  '-DUSE_C10D_GLOO', ...(ncclHome ? ['-DUSE_C10D_NCCL', '-DRLVR_WITH_NCCL'] : []),
  ...includes.map((i) => `-I${i}`),
];
const libs = ['-ltorch', '-ltorch_cpu', '-lc10', ...(hasCuda ? ['-ltorch_cuda', '-lc10_cuda'] : [])];
const cxx = process.env.CXX ?? 'g++';

function run(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cxx, args, { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cxx} exited with ${code}`))));
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
const headerTime = Math.max(...readdirSync(srcDir, { recursive: true }).map(String)
  .filter((f) => !f.endsWith('.cc') && statSync(path.join(srcDir, f)).isFile()).map((f) => statSync(path.join(srcDir, f)).mtimeMs));
const sources = readdirSync(srcDir).filter((f) => f.endsWith('.cc'));
const flagsStamp = JSON.stringify({ cxxflags, libs, torch });
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

console.error(`build-native: libtorch ${torch.version} at ${torch.dir} (${hasCuda ? `CUDA ${torch.cuda}` : 'CPU only'}, CXX11 ABI ${torch.abi}); compiling ${stale.length}/${sources.length} files`);
const jobs = Math.max(1, Math.min(stale.length, Number(process.env.JOBS ?? 2)));
const queue = [...stale];
try {
  await Promise.all(Array.from({ length: jobs }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const args = ['-c', path.join(srcDir, f), '-o', path.join(objDir, f.replace(/\.cc$/, '.o'))];
      try {
        await run([...cxxflags, ...args]);
      } catch (e) {
        if (f === 'distributed.cc' && ncclHome) {
          // NCCL is the optional part of c10d: without it gloo still works (on CPU tensors).
          console.error('build-native: WARNING: distributed.cc did not compile with NCCL; building with gloo only');
          await run([...cxxflags.filter((x) => x !== '-DRLVR_WITH_NCCL' && x !== '-DUSE_C10D_NCCL'), ...args]);
          continue;
        }
        // CUDA graphs are optional too: if their CUDA headers do not compile against this
        // libtorch, build the addon without them (they then report so) rather than not at all.
        if (f !== 'cuda_graph.cc' || !hasCuda) throw e;
        console.error('build-native: WARNING: cuda_graph.cc did not compile with CUDA; building without CUDA graphs');
        await run([...cxxflags.filter((x) => x !== '-DRLVR_WITH_CUDA'), ...args]);
      }
    }
  }));
  // --no-as-needed: keep libtorch_cuda in the link even though no symbol of it is named
  // directly, so that CUDA kernels register when the addon loads.
  await run(['-shared', '-o', outFile, ...sources.map((f) => path.join(objDir, f.replace(/\.cc$/, '.o'))),
    `-L${libDir}`, '-Wl,--no-as-needed', ...libs, '-Wl,--as-needed', `-Wl,-rpath,${libDir}`]);
} catch (e) {
  fail(`compilation failed: ${e.message}`);
}
writeFileSync(stampFile, flagsStamp);
writeFileSync(stampOut, JSON.stringify({ sourceHash }) + '\n');
writeFileSync(path.join(root, 'build/libtorch.json'), JSON.stringify({ dir: torch.dir, version: torch.version, cuda: hasCuda ? torch.cuda : null, abi: torch.abi }, null, 2));
console.error(`build-native: wrote ${path.relative(root, outFile)}`);
