// `rlvr dashboard [RUN_DIR...]`: live charts of one or more runs in the browser (local only).
//
//   rlvr dashboard runs/pi1                     one run, updated while it trains
//   rlvr dashboard runs/pg-only runs/full       runs overlaid (e.g. the paper's loss ablations)
//   rlvr dashboard runs                         every run folder under runs/
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, intOption, parseArgs } from './args.js';

const USAGE = 'usage: rlvr dashboard [RUN_DIR...] [--port N]   (default: every run under runs/)';
const OPTIONS = {
  port: { type: 'string', help: 'TCP port on 127.0.0.1 (default 6006; 0 = any free port)' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, OPTIONS, USAGE);
  const port = intOption(options.port, 'port', 6006, 0);
  if (port > 65535) throw new CliError(`--port must be at most 65535 (a TCP port), got ${port}`);
  const dirs = resolveRunDirs(positionals.length ? positionals : ['runs']);
  const { startDashboard } = await import('../dashboard/server.js');
  let dash;
  try {
    dash = await startDashboard(dirs, { port });
  } catch (e) {
    if ((e as { code?: string }).code === 'EADDRINUSE') throw new CliError(`port ${port} is in use: choose another with --port (0 = any free port)`);
    throw e;
  }
  console.log(`rlvr dashboard: ${dirs.length} run(s) at ${dash.url} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const stop = () => void dash.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** Run folders from the arguments: a run folder itself, or a folder whose subfolders are runs. */
export function resolveRunDirs(args: readonly string[]): string[] {
  const dirs: string[] = [];
  for (const a of args) {
    if (!fs.existsSync(a) || !fs.statSync(a).isDirectory()) throw new CliError(`no such run folder: ${a}`);
    if (fs.existsSync(path.join(a, 'metrics.jsonl')) || fs.existsSync(path.join(a, 'run_config.json'))) {
      dirs.push(a);
      continue;
    }
    const subs = fs
      .readdirSync(a)
      .map((s) => path.join(a, s))
      .filter((s) => fs.existsSync(path.join(s, 'metrics.jsonl')))
      .sort();
    if (subs.length === 0) throw new CliError(`${a} is not a run folder (no metrics.jsonl or run_config.json) and holds none`);
    dirs.push(...subs);
  }
  return dirs;
}
