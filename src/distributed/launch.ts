// Starting the ranks of one node: `rlvr train --nproc N` runs the same command N times with the
// torchrun variables set (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT), streams local rank 0's output, prefixes the other ranks' stderr with their rank
// (their stdout is dropped: it repeats rank 0's), and supervises them: when a rank fails, the
// others get `graceMs` to fail on their own (a dead peer fails their next collective at once),
// then are killed; the launcher ends with one line naming the rank and how it ended.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { constants as osConstants } from 'node:os';
import { UserError } from '../errors.js';

/** A TCP port that was free a moment ago on `host` (the OS picks it; a race with other programs is possible but rare). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface LaunchOptions {
  /** Ranks on this node. */
  nproc: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  /** 0 = pick a free port (one node only). */
  masterPort: number;
  /** How long the other ranks may take to fail on their own after one failed (ms). */
  graceMs: number;
  /** The command every rank runs: [executable, ...args]. */
  command: string[];
  /** Extra environment for every rank. */
  env?: NodeJS.ProcessEnv;
  /** The launcher's own lines (default: stderr). */
  log?: (line: string) => void;
}

interface Exit {
  rank: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describe(e: Pick<Exit, 'code' | 'signal'>): string {
  // SIGABRT is how PyTorch's NCCL watchdog ends a rank whose collective failed or timed out
  // (TORCH_NCCL_ASYNC_ERROR_HANDLING=3, src/distributed/process-group.ts ncclEnvironment).
  if (e.signal === 'SIGABRT') return "was killed by SIGABRT (with NCCL: a collective failed or timed out; the rank's log above says which)";
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** The exit code of a rank's ending: its code, or 128 + the signal number (as a shell reports it). */
export function exitCodeOf(e: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (e.signal) return 128 + (osConstants.signals[e.signal] ?? 1);
  return e.code ?? 1;
}

/** Runs the node's ranks to the end; returns the exit code for the launcher (0: every rank succeeded). */
export async function launch(o: LaunchOptions): Promise<number> {
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  if (o.nnodes > 1 && o.masterPort === 0) throw new UserError(`--nnodes ${o.nnodes} needs --master-port (the same free port on node 0 for every node)`);
  if (o.nodeRank >= o.nnodes) throw new UserError(`--node-rank ${o.nodeRank} must be below --nnodes ${o.nnodes}`);
  const port = o.masterPort || (await freePort(o.masterAddr));
  const worldSize = o.nproc * o.nnodes;
  const children: { rank: number; proc: ChildProcess; exited: boolean }[] = [];
  const [exe, ...args] = o.command;
  for (let local = 0; local < o.nproc; local++) {
    const rank = o.nodeRank * o.nproc + local;
    const env = {
      ...process.env,
      ...o.env,
      RANK: String(rank),
      WORLD_SIZE: String(worldSize),
      LOCAL_RANK: String(local),
      LOCAL_WORLD_SIZE: String(o.nproc),
      GROUP_RANK: String(o.nodeRank),
      MASTER_ADDR: o.masterAddr,
      MASTER_PORT: String(port),
    };
    // Local rank 0 speaks for the node; the others' stderr (errors, warnings) is prefixed.
    const proc = spawn(exe!, args, { env, stdio: local === 0 ? ['inherit', 'inherit', 'inherit'] : ['ignore', 'ignore', 'pipe'] });
    if (local > 0) prefixLines(proc, `[rank ${rank}] `);
    children.push({ rank, proc, exited: false });
  }
  log(
    `rlvr train: ${o.nproc} ranks on this node (world size ${worldSize}, ranks ${children[0]!.rank}-${children.at(-1)!.rank}, pids ${children.map((c) => c.proc.pid).join(' ')}), rendezvous at ${o.masterAddr}:${port}`,
  );

  // SIGTERM to the launcher goes to every rank (they finish the step together, checkpoint and
  // exit). SIGINT from a terminal already reaches every rank (one process group): not repeated.
  const onTerm = () => {
    for (const c of children) if (!c.exited) c.proc.kill('SIGTERM');
  };
  const onInt = () => {};
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  let failure: Exit | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  try {
    await new Promise<void>((resolve) => {
      let left = children.length;
      for (const c of children) {
        c.proc.on('exit', (code, signal) => {
          c.exited = true;
          const e: Exit = { rank: c.rank, pid: c.proc.pid ?? -1, code, signal };
          if (!failure && (code !== 0 || signal)) {
            failure = e;
            // The others fail on their own within moments (their peer's connections closed); past
            // the grace period they are killed, so the launcher never hangs on a stuck rank.
            if (left > 1)
              killTimer = setTimeout(() => {
                for (const k of children) if (!k.exited) k.proc.kill('SIGKILL');
              }, o.graceMs);
          }
          if (--left === 0) resolve();
        });
        c.proc.on('error', (err) => {
          c.exited = true;
          if (!failure) failure = { rank: c.rank, pid: -1, code: 127, signal: null };
          log(`rlvr train: rank ${c.rank} could not start: ${err.message}`);
          if (--left === 0) resolve();
        });
      }
    });
  } finally {
    if (killTimer) clearTimeout(killTimer);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
  if (failure) {
    const f = failure as Exit;
    const others = children.length - 1;
    log(
      `rlvr train: rank ${f.rank} (pid ${f.pid}) ${describe(f)}${others > 0 ? `; the other ${others} rank${others > 1 ? 's' : ''} of this node stopped` : ''}`,
    );
    return exitCodeOf(f) || 1;
  }
  return 0;
}

function prefixLines(proc: ChildProcess, prefix: string): void {
  let buf = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) process.stderr.write(prefix + l + '\n');
  });
  proc.stderr!.on('end', () => {
    if (buf) process.stderr.write(prefix + buf + '\n');
  });
}
