// `rlvr verify --gold G --response R [--mode reward|eval|paper] [--truncated] [--bare]`: one check, printed as JSON.
// Exit code 0 when correct, 1 when not (so scripts can branch on it).
import { CliError, parseArgs } from './args.js';
import { VerifierPool } from '../tasks/math/verifier/pool.js';

const USAGE = 'usage: rlvr verify --gold G --response R [--mode reward|eval|paper] [--truncated] [--bare]';

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(
    argv,
    {
      gold: { type: 'string', help: 'the gold answer (bare, $..$, boxed, or a worked solution)' },
      response: { type: 'string', help: 'the model response (or the answer itself with --bare)' },
      mode: {
        type: 'string',
        help: "reward (last \\boxed{}, the training reward; default), eval (Qwen-style fallbacks) or paper (the 1-shot RLVR fork's DeepScaleR grader)",
      },
      truncated: { type: 'boolean', help: 'the response hit the length limit (an unclosed final box is then no answer)' },
      bare: { type: 'boolean', help: 'the response is an extracted answer: a short bare string counts as boxed' },
    },
    USAGE,
  );
  if (positionals.length) throw new CliError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
  if (typeof options.gold !== 'string') throw new CliError(`--gold is required\n${USAGE}`);
  if (typeof options.response !== 'string') throw new CliError(`--response is required\n${USAGE}`);
  const mode = options.mode ?? 'reward';
  if (mode !== 'reward' && mode !== 'eval' && mode !== 'paper') throw new CliError(`--mode must be reward, eval or paper, got '${String(mode)}'`);
  const pool = new VerifierPool({ size: 1 });
  try {
    const r = await pool.check(options.gold, options.response, { mode, bare: options.bare === true, truncated: options.truncated === true });
    console.log(
      JSON.stringify({ correct: r.correct, reward: r.correct ? 1 : 0, extracted_pred: r.extractedPred, extracted_gold: r.extractedGold, reason: r.reason }),
    );
    return r.correct ? 0 : 1;
  } finally {
    await pool.close();
  }
}
