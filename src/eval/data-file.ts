// An own problem set as an evaluation benchmark (`rlvr eval --data FILE --name NAME`): any file the
// training loader reads (.jsonl/.json/.parquet; {problem|question, answer} rows or verl rows),
// evaluated greedily. The problem text is the user turn without the training suffix, so that
// `--prompt` alone decides the format the model sees.
import * as path from 'node:path';
import { loadExamples } from '../data/examples.js';
import { TRAIN_PROMPT_SUFFIX } from '../tasks/math/prompts.js';
import type { EvalBenchmark, EvalProblem } from './evaluate.js';

export async function loadEvalFile(file: string, opts: { name?: string; limit?: number } = {}): Promise<EvalBenchmark> {
  const examples = await loadExamples(file);
  const problems: EvalProblem[] = examples.map((ex) => {
    const user = ex.messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    const problem = user.endsWith(TRAIN_PROMPT_SUFFIX) ? user.slice(0, -TRAIN_PROMPT_SUFFIX.length) : user;
    return { id: String(ex.index), problem, answer: ex.groundTruth };
  });
  const name = opts.name ?? path.basename(file).replace(/\.[^.]*$/, '');
  return { name, problems: opts.limit !== undefined ? problems.slice(0, opts.limit) : problems, decoding: { greedy: true } };
}
