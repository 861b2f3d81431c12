// `rlvr eval --rescore DIR`: scores saved responses again under a grader, without generating.
// Reads every *.jsonl in DIR: our eval records (<bench>.jsonl: gold, response, ...) or the Qwen
// evaluator's output (one problem a line: gt / gt_cot, code[] responses, score[] verdicts).
// Where the file holds verdicts (our `correct`, Qwen's `score`), reports the agreement.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Score } from './evaluate.js';
import { scorerFor, type GraderName } from '../tasks/math/graders.js';

export interface RescoredResponse {
  file: string;
  /** Line (0-based) and response index within the line. */
  line: number;
  sample: number;
  gold: string;
  extracted: string | null;
  correct: boolean;
  /** The verdict stored in the file, when it has one. */
  stored: boolean | null;
}

export interface RescoreSummary {
  file: string;
  responses: number;
  /** Fraction (0-1) judged correct under the grader. */
  accuracy: number;
  /** Responses with a stored verdict, and how many of those the grader agrees with. */
  withStored: number;
  agree: number;
}

interface Item {
  gold: string;
  response: string;
  problem: string;
  bench?: string;
  stored: boolean | null;
  sample: number;
}

/** The responses of one saved line, in either format; null for a line that is neither. */
function itemsOf(row: Record<string, unknown>, bench: string): Item[] | null {
  if (typeof row['response'] === 'string' && row['gold'] !== undefined) {
    return [
      {
        gold: String(row['gold']),
        response: row['response'],
        problem: String(row['problem'] ?? ''),
        bench: String(row['bench'] ?? bench),
        stored: typeof row['correct'] === 'boolean' ? row['correct'] : null,
        sample: Number(row['sample'] ?? 0),
      },
    ];
  }
  if (Array.isArray(row['code'])) {
    // Qwen's output: the gold is the worked solution's box when it has one (its "math" rule).
    const gold = typeof row['gt_cot'] === 'string' && row['gt_cot'].includes('boxed') ? row['gt_cot'] : String(row['gt'] ?? row['answer'] ?? '');
    const scores = Array.isArray(row['score']) ? row['score'] : [];
    return row['code'].map((c, i) => ({
      gold,
      response: String(c),
      problem: String(row['question'] ?? ''),
      bench,
      stored: typeof scores[i] === 'boolean' ? (scores[i] as boolean) : null,
      sample: i,
    }));
  }
  return null;
}

/** Re-scores every response of one jsonl file. */
export function rescoreFile(file: string, grader: GraderName): { summary: RescoreSummary; responses: RescoredResponse[] } {
  const scorer = scorerFor(grader);
  const bench = path.basename(file, '.jsonl');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const responses: RescoredResponse[] = [];
  lines.forEach((text, line) => {
    if (!text.trim()) return;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      throw new Error(`${file}:${line + 1}: not valid JSON`);
    }
    const items = typeof row === 'object' && row !== null ? itemsOf(row as Record<string, unknown>, bench) : null;
    if (!items) throw new Error(`${file}:${line + 1}: neither an eval record (gold, response) nor a Qwen output line (code[])`);
    for (const it of items) {
      let s: Score;
      try {
        s = scorer(it.gold, it.response, { problem: it.problem, truncated: false, bench: it.bench });
      } catch {
        s = { correct: false, extracted: null, reason: 'error' };
      }
      responses.push({ file, line, sample: it.sample, gold: it.gold, extracted: s.extracted, correct: s.correct, stored: it.stored });
    }
  });
  const withStored = responses.filter((r) => r.stored !== null);
  return {
    summary: {
      file,
      responses: responses.length,
      accuracy: responses.length ? responses.filter((r) => r.correct).length / responses.length : 0,
      withStored: withStored.length,
      agree: withStored.filter((r) => r.stored === r.correct).length,
    },
    responses,
  };
}

/** The *.jsonl files of a folder (or the file itself). */
export function rescoreInputs(dirOrFile: string): string[] {
  if (!fs.existsSync(dirOrFile)) throw new Error(`no such folder or file: ${dirOrFile}`);
  if (fs.statSync(dirOrFile).isFile()) return [dirOrFile];
  const files = fs
    .readdirSync(dirOrFile)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => path.join(dirOrFile, f));
  if (files.length === 0) throw new Error(`${dirOrFile} holds no .jsonl files of responses`);
  return files;
}
