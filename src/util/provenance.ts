// What every results file records so that a number can be traced and compared: the machine (CPU
// model and the instruction-set flags that choose libtorch's kernels, cores, threads, GPU), the
// versions (Node, libtorch, this package), the git commit, and the date. Floating-point results
// of the same code and seed differ between machines (BLAS kernels, vector widths and reduction
// orders differ), so a figure without its machine cannot be checked.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The instruction-set flags that matter to kernels (x86 SIMD, ARM NEON/SVE); /proc/cpuinfo's others are left out. */
const ISA_FLAG = /^(sse\d?|ssse3|sse4_[12]|avx.*|fma|f16c|amx.*|bmi[12]|asimd.*|neon|sve.*|sme.*)$/;

export interface Machine {
  cpu: string;
  isaFlags: string[];
  cores: number;
  threads: number;
  gpu: string | null;
  platform: string;
}

export interface Provenance {
  machine: Machine;
  versions: { node: string; libtorch: string | null; package: string };
  commit: string | null;
  /** Uncommitted changes to tracked files when the run started. */
  dirty: boolean | null;
  date: string;
}

/** CPU model and ISA flags from /proc/cpuinfo (Linux); os.cpus()'s model elsewhere, no flags. */
export function cpuInfo(text?: string): { cpu: string; isaFlags: string[] } {
  let info = text;
  if (info === undefined) {
    try {
      info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      info = '';
    }
  }
  const field = (name: string) =>
    info!
      .split('\n')
      .find((l) => l.startsWith(name))
      ?.split(':')
      .slice(1)
      .join(':')
      .trim();
  const cpu = field('model name') ?? field('Model') ?? os.cpus()[0]?.model ?? 'unknown';
  const flags = (field('flags') ?? field('Features') ?? '').split(/\s+/).filter((f) => ISA_FLAG.test(f));
  return { cpu, isaFlags: [...new Set(flags)].sort() };
}

function repoRoot(): string {
  // dist/src/util/provenance.js or src/util/provenance.ts: three or two levels below the root.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4 && !fs.existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  return dir;
}

function git(args: string[], cwd: string): string | null {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * The provenance of a run in this process. `threads`: the libtorch threads the run used;
 * `libtorch`/`gpu`: pass them when the engine is loaded (this module never loads the addon).
 */
export function provenance(o: { threads: number; libtorch?: string | null; gpu?: string | null }): Provenance {
  const root = repoRoot();
  let pkg = 'unknown';
  try {
    pkg = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    /* not in a checkout */
  }
  // A copy of the built code taken for a long batch of runs (scripts/demo-seeds.sh) carries the
  // commit it was copied at in snapshot.json: the checkout's HEAD moves on while the batch runs.
  const snap = path.join(root, 'snapshot.json');
  const pinned = fs.existsSync(snap) ? (JSON.parse(fs.readFileSync(snap, 'utf8')) as { commit: string; dirty: boolean }) : null;
  const status = pinned ? null : git(['status', '--porcelain', '--untracked-files=no'], root);
  return {
    machine: { ...cpuInfo(), cores: os.cpus().length, threads: o.threads, gpu: o.gpu ?? null, platform: `${os.platform()} ${os.arch()}` },
    versions: { node: process.version, libtorch: o.libtorch ?? null, package: pkg },
    commit: pinned ? pinned.commit : git(['rev-parse', 'HEAD'], root),
    dirty: pinned ? pinned.dirty : status === null ? null : status.length > 0,
    date: new Date().toISOString(),
  };
}
