// The run-folder lock: one writer per run folder. Two `rlvr train` (or library trainers) writing
// the same --out interleave metrics.jsonl and delete each other's checkpoint folders, so the
// second one is refused with one line naming the holder.
//
// runDir/.lock is created with O_EXCL ('wx': exactly one creator wins) and holds
// {pid, host, time, command}. A lock whose process is gone (same host, `kill(pid, 0)` fails with
// ESRCH: a SIGKILL, a crash, a library user's Ctrl-C) is stale: it is taken over with a warning.
// A lock from another host cannot be checked and is refused (delete the file when that run is
// over). The lock is released by release(), and on process exit ('exit' runs for a normal end,
// process.exit() and the CLI's signal handling, which returns normally after its checkpoint).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors.js';

export const LOCK_FILE = '.lock';

interface LockInfo {
  pid: number;
  host: string;
  time: string;
  command: string;
}

/** Locks this process holds (released on exit). */
const held = new Set<string>();
let exitHook = false;

function readLock(file: string): LockInfo | null {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return typeof j.pid === 'number' ? (j as LockInfo) : null;
  } catch {
    return null; // torn (written by a process killed mid-write) or removed meanwhile
  }
}

/** Whether process `pid` runs on this host (EPERM: it exists, owned by another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/**
 * Throws the one-line refusal when a live process (other than this one) holds runDir's lock;
 * for checks before the lock is taken (a new run's "folder already holds a run" must not send
 * the user to delete the folder of a run that is going on).
 */
export function assertNotLocked(runDir: string): void {
  const other = readLock(path.join(runDir, LOCK_FILE));
  if (other && other.host === os.hostname() && other.pid !== process.pid && alive(other.pid)) {
    throw new UserError(`run folder ${runDir} is in use by pid ${other.pid} (since ${other.time}); wait for it to end or stop it, or choose another --out`);
  }
}

export interface RunLock {
  file: string;
  release(): void;
}

/** Takes runDir's lock (creating runDir); throws a one-line UserError when another live process holds it. */
export function acquireRunLock(runDir: string, warn: (line: string) => void = () => {}): RunLock {
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, LOCK_FILE);
  if (held.has(file)) throw new UserError(`run folder ${runDir} is already in use by this process (pid ${process.pid})`);
  const me: LockInfo = { pid: process.pid, host: os.hostname(), time: new Date().toISOString(), command: process.argv.slice(1).join(' ').slice(0, 300) };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST' || attempt >= 3) throw e;
    }
    const other = readLock(file);
    if (other && other.host !== me.host) {
      throw new UserError(`run folder ${runDir} is locked by pid ${other.pid} on ${other.host} (since ${other.time}); when that run is over, delete ${file}`);
    }
    if (other && other.pid !== process.pid && alive(other.pid)) {
      throw new UserError(`run folder ${runDir} is in use by pid ${other.pid} (since ${other.time}); wait for it to end or stop it, or choose another --out`);
    }
    if (other) warn(`warning: taking over the lock of ${runDir} left by pid ${other.pid}, which is no longer running`);
    fs.rmSync(file, { force: true });
  }
  held.add(file);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const f of held) removeIfMine(f);
    });
  }
  return {
    file,
    release: () => {
      if (!held.delete(file)) return;
      removeIfMine(file);
    },
  };
}

function removeIfMine(file: string): void {
  if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
}
