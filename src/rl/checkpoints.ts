// Checkpoint folders of a run (runDir/checkpoints/step-NNNNNN): durable, atomic writes and a
// resume that finds the newest INTACT checkpoint.
//
// - A checkpoint is written into step-N.tmp, every file and the folder are fsynced, then the
//   folder is renamed into place and the parent fsynced: a crash (SIGKILL, power loss) leaves
//   either the whole checkpoint or none of it.
// - checkpoint.json (the manifest) lists every file with its size; a checkpoint is intact when
//   the manifest, the sizes, trainer_state.json and the safetensors headers all check out.
// - `latest` names the newest checkpoint; it is replaced atomically (write, fsync, rename).
// - Retention: the newest `keepLast` periodic checkpoints are kept, plus every final one (the
//   checkpoint at the run's last step); 0 keeps all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SafetensorsReader } from '../model/safetensors.js';
import { shardFileName, shardWorldSize } from '../distributed/shard-files.js';

export const MANIFEST_FILE = 'checkpoint.json';
export const STATE_FILE = 'trainer_state.json';

export interface CheckpointManifest {
  step: number;
  /** The run's last step when written: never removed by retention. */
  final: boolean;
  /** ISO time of writing. */
  time: string;
  /** Every file of the checkpoint and its size in bytes. */
  files: Record<string, number>;
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/** Writes `data` to `file` so that readers see the old or the new content, never a mix. */
export function atomicWriteFile(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes checkpoint `step` under `root`: `fill(dir)` writes the files into a temporary folder,
 * which is made durable and renamed into place; then `latest` and retention. Returns the folder.
 */
export function writeCheckpoint(root: string, step: number, opts: { final: boolean; keepLast: number }, fill: (dir: string) => void): string {
  fs.mkdirSync(root, { recursive: true });
  const name = checkpointName(step);
  const dir = path.join(root, name);
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  fill(tmp);
  const files: Record<string, number> = {};
  for (const f of fs.readdirSync(tmp).sort()) {
    const p = path.join(tmp, f);
    files[f] = fs.statSync(p).size;
    fsyncFile(p);
  }
  const manifest: CheckpointManifest = { step, final: opts.final, time: new Date().toISOString(), files };
  const mf = path.join(tmp, MANIFEST_FILE);
  fs.writeFileSync(mf, JSON.stringify(manifest, null, 2) + '\n');
  fsyncFile(mf);
  fsyncDir(tmp);
  // Re-saving a step (a resumed run that reaches it again): the old copy goes only after the new one is complete.
  if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  fsyncDir(root);
  atomicWriteFile(path.join(root, 'latest'), name + '\n');
  pruneCheckpoints(root, opts.keepLast, name);
  return dir;
}

interface Listed {
  name: string;
  step: number;
  dir: string;
}

/** Checkpoint folders under root (not the .tmp ones), newest first. */
export function listCheckpoints(root: string): Listed[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((name) => ({ name, m: /^step-(\d+)$/.exec(name) }))
    .filter((x) => x.m && fs.statSync(path.join(root, x.name)).isDirectory())
    .map((x) => ({ name: x.name, step: Number(x.m![1]), dir: path.join(root, x.name) }))
    .sort((a, b) => b.step - a.step);
}

/** Removes periodic checkpoints beyond the newest keepLast (finals and `keep` stay); stale .tmp folders too. */
export function pruneCheckpoints(root: string, keepLast: number, keep: string): void {
  for (const name of fs.readdirSync(root)) {
    if (/^step-\d+\.tmp$/.test(name)) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
  if (keepLast <= 0) return;
  const periodic = listCheckpoints(root).filter((c) => c.name !== keep && !readManifest(c.dir)?.final);
  // `keep` (just written) counts as one of the newest.
  for (const c of periodic.slice(Math.max(0, keepLast - 1))) fs.rmSync(c.dir, { recursive: true, force: true });
}

function readManifest(dir: string): CheckpointManifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as CheckpointManifest;
  } catch {
    return null;
  }
}

/** Why the checkpoint in `dir` cannot be resumed from, or null when it is intact. */
export function checkpointProblem(dir: string): string | null {
  const mfPath = path.join(dir, MANIFEST_FILE);
  if (fs.existsSync(mfPath)) {
    const m = readManifest(dir);
    if (!m || typeof m.files !== 'object' || m.files === null) return `${MANIFEST_FILE} is not valid`;
    for (const [f, size] of Object.entries(m.files)) {
      const p = path.join(dir, f);
      if (!fs.existsSync(p)) return `${f} is missing`;
      const actual = fs.statSync(p).size;
      if (actual !== size) return `${f} has ${actual} bytes, ${size} were written`;
    }
  }
  // Checkpoints from before the manifest: trainer_state.json and the headers must still check out.
  try {
    const state = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as { step?: unknown };
    if (typeof state.step !== 'number') return `${STATE_FILE} has no step`;
  } catch (e) {
    return `${STATE_FILE}: ${(e as { code?: string }).code === 'ENOENT' ? 'missing' : 'not valid JSON'}`;
  }
  // The optimizer state: one file, or one shard per rank (ZeRO-1, src/distributed/sharded-adamw.ts), all of them.
  const shards = fs.existsSync(path.join(dir, 'optimizer.safetensors')) ? null : shardWorldSize(dir);
  const optimizerFiles = shards === null ? ['optimizer.safetensors'] : Array.from({ length: shards }, (_, r) => shardFileName(r, shards));
  for (const f of [dir, ...optimizerFiles.map((o) => path.join(dir, o))]) {
    try {
      new SafetensorsReader(f).close();
    } catch (e) {
      return (e as Error).message.replace(`${dir}${path.sep}`, '');
    }
  }
  return null;
}

/**
 * The newest intact checkpoint of a run (the one `latest` names, or a newer/older one found by
 * listing), or null. A damaged one is skipped with a warning naming what is wrong.
 */
export function findCheckpoint(runDir: string, warn: (line: string) => void = () => {}): string | null {
  const root = path.join(runDir, 'checkpoints');
  for (const c of listCheckpoints(root)) {
    const problem = checkpointProblem(c.dir);
    if (!problem) return c.dir;
    warn(`warning: checkpoint ${c.name} is damaged (${problem}); trying the one before it`);
  }
  return null;
}
