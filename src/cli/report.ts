// `rlvr report RUN_DIR... [--out FILE]`: the dashboard's charts and sampled responses as one
// static HTML file (default RUN_DIR/report.html), readable without a server or network.
import { parseArgs, CliError } from './args.js';
import { resolveRunDirs } from './dashboard.js';

const USAGE = 'usage: rlvr report RUN_DIR... [--out FILE]';
const OPTIONS = {
  out: { type: 'string', help: "output file (default RUN_DIR/report.html; with several runs, the first run's folder)" },
  title: { type: 'string', help: 'page title' },
} as const;

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, OPTIONS, USAGE);
  if (positionals.length === 0) throw new CliError(`give a run folder\n${USAGE}`);
  const dirs = resolveRunDirs(positionals);
  const { writeRunReport } = await import('../dashboard/report.js');
  const file = writeRunReport(dirs, typeof options.out === 'string' ? options.out : undefined, {
    title: typeof options.title === 'string' ? options.title : undefined,
  });
  console.log(`report: ${file}`);
  return 0;
}
