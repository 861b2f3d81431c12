// The evaluation benchmarks, read from `<dataDir>/<bench>/*.jsonl` (the layout of the Qwen2.5-Math
// evaluation suite) and normalised to {id, problem, answer}. Gold-answer extraction follows that
// suite's `parse_ground_truth`, so our scores are comparable with the paper's.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerToString, isRecord, readJsonl } from './files.js';

export const BENCHMARKS = ['math500', 'aime24', 'aime25', 'amc23', 'minerva_math', 'olympiadbench', 'gsm8k'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** The six benchmarks whose unweighted mean is the paper's "Avg." column (in the paper's column order). */
export const PAPER_BENCHMARKS: readonly BenchmarkName[] = ['math500', 'aime24', 'amc23', 'minerva_math', 'olympiadbench', 'aime25'];

/** The paper's maximum response length for evaluation. */
export const PAPER_MAX_RESPONSE_TOKENS = 3072;

/** Greedy (pass@1 of one greedy sample), or `samples` samples at `temperature` averaged (avg@k). */
export type Decoding = { greedy: true } | { temperature: number; samples: number };

export interface BenchmarkProblem {
  /** The file's own id (`unique_id`, `id` or `idx`) when present, else the 0-based row number; always a string. */
  id: string;
  problem: string;
  answer: string;
}

export interface Benchmark {
  name: BenchmarkName;
  problems: BenchmarkProblem[];
  decoding: Decoding;
}

/** Per benchmark: the paper's decoding and how to get the problem text and gold answer from a row. */
interface BenchSpec {
  decoding: Decoding;
  problem(row: Record<string, unknown>): unknown;
  answer(row: Record<string, unknown>): string | undefined;
  /** Field named in the error when `answer` finds nothing. */
  answerField: string;
  problemField: string;
}

const GREEDY: Decoding = { greedy: true };
// The small competition sets are too noisy greedily: the paper reports avg@8 at temperature 0.6.
const AVG8: Decoding = { temperature: 0.6, samples: 8 };

const plainAnswer = (row: Record<string, unknown>) => answerToString(row['answer']);

const SPECS: Record<BenchmarkName, BenchSpec> = {
  math500: { decoding: GREEDY, problem: (r) => r['problem'], answer: plainAnswer, answerField: 'answer', problemField: 'problem' },
  aime24: { decoding: AVG8, problem: (r) => r['problem'], answer: plainAnswer, answerField: 'answer', problemField: 'problem' },
  aime25: { decoding: AVG8, problem: (r) => r['problem'], answer: plainAnswer, answerField: 'answer', problemField: 'problem' },
  amc23: { decoding: AVG8, problem: (r) => r['problem'], answer: plainAnswer, answerField: 'answer', problemField: 'problem' },
  minerva_math: {
    decoding: GREEDY,
    problem: (r) => r['problem'],
    answer: (r) => (typeof r['solution'] === 'string' ? lastBoxedContent(r['solution'])?.trim() : undefined),
    answerField: 'solution (a \\boxed{} answer)',
    problemField: 'problem',
  },
  olympiadbench: {
    decoding: GREEDY,
    // Some OlympiadBench problems carry a shared `context`; it belongs before the question.
    problem: (r) => (typeof r['context'] === 'string' && r['context'].trim() !== '' ? `${r['context']}\n${r['question']}` : r['question']),
    // The suite strips the `$...$` math delimiters around final answers.
    answer: (r) => {
      const a = answerToString(Array.isArray(r['final_answer']) ? r['final_answer'][0] : undefined);
      return a === undefined
        ? undefined
        : a
            .trim()
            .replace(/^\$+|\$+$/g, '')
            .trim();
    },
    answerField: 'final_answer[0]',
    problemField: 'question',
  },
  gsm8k: {
    decoding: GREEDY,
    problem: (r) => r['question'],
    // Gold is after '####'; thousands separators are dropped ("1,450,000" -> "1450000").
    answer: (r) => {
      const a = r['answer'];
      if (typeof a !== 'string' || !a.includes('####')) return undefined;
      return a
        .slice(a.lastIndexOf('####') + 4)
        .trim()
        .replace(/(\d),(?=\d{3}(?!\d))/g, '$1');
    },
    answerField: "answer (with '####')",
    problemField: 'question',
  },
};

export function isBenchmarkName(name: string): name is BenchmarkName {
  return (BENCHMARKS as readonly string[]).includes(name);
}

/** The paper's decoding for a benchmark. */
export function benchmarkDecoding(name: BenchmarkName): Decoding {
  return SPECS[name].decoding;
}

/**
 * The default evaluation data directory: $RLVR_EVAL_DIR, else `../shared/data/eval` next to the
 * package root (found by walking up from this file to package.json).
 */
export function defaultEvalDir(): string {
  if (process.env['RLVR_EVAL_DIR']) return process.env['RLVR_EVAL_DIR'];
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve('../shared/data/eval');
    dir = parent;
  }
  return path.resolve(dir, '../shared/data/eval');
}

/** The jsonl file of a benchmark: `test.jsonl` if present, else the folder's only jsonl file. */
export function benchmarkFile(dataDir: string, name: BenchmarkName): string {
  const dir = path.join(dataDir, name);
  let files: string[];
  try {
    files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
  } catch {
    throw new Error(`no such benchmark folder: ${dir}`);
  }
  if (files.includes('test.jsonl')) return path.join(dir, 'test.jsonl');
  if (files.length === 1) return path.join(dir, files[0]!);
  if (files.length === 0) throw new Error(`no .jsonl file in ${dir}`);
  throw new Error(`several .jsonl files in ${dir} and none is test.jsonl: ${files.join(', ')}`);
}

export interface LoadBenchmarkOptions {
  /** Keep only the first `limit` problems (quick runs). */
  limit?: number;
}

export function loadBenchmark(dataDir: string, name: string, opts: LoadBenchmarkOptions = {}): Benchmark {
  if (!isBenchmarkName(name)) throw new Error(`unknown benchmark '${name}'; known: ${BENCHMARKS.join(', ')}`);
  const spec = SPECS[name];
  const file = benchmarkFile(dataDir, name);
  let rows = readJsonl(file);
  if (opts.limit !== undefined) {
    if (!Number.isInteger(opts.limit) || opts.limit < 0) throw new Error(`limit must be a non-negative integer, got ${opts.limit}`);
    rows = rows.slice(0, opts.limit);
  }
  const problems = rows.map(({ value, line }, i): BenchmarkProblem => {
    const at = `${file}: row ${i} (line ${line})`;
    if (!isRecord(value)) throw new Error(`${at}: expected an object`);
    const problem = spec.problem(value);
    if (typeof problem !== 'string') throw new Error(`${at}: missing field '${spec.problemField}'`);
    const answer = spec.answer(value);
    if (answer === undefined) throw new Error(`${at}: missing field '${spec.answerField}'`);
    const rawId = value['unique_id'] ?? value['id'] ?? value['idx'];
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : String(i);
    return { id, problem, answer };
  });
  return { name, problems, decoding: spec.decoding };
}

/**
 * The content of the last `\boxed{...}` (or `\fbox{...}`) in `text`, matching braces so that
 * nested groups (`\boxed{\frac{1}{2}}`) stay whole. Escaped braces `\{` `\}` are literal text,
 * not groups. Also accepts the brace-less form `\boxed 5`. Undefined when there is none or it
 * is unterminated.
 */
export function lastBoxedContent(text: string): string | undefined {
  const at = Math.max(text.lastIndexOf('\\boxed'), text.lastIndexOf('\\fbox'));
  if (at < 0) return undefined;
  const nameEnd = at + (text.startsWith('\\boxed', at) ? 6 : 5);
  let i = nameEnd;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (text[i] !== '{') {
    // `\boxed 5`: needs the space (else it is e.g. `\boxedx`); the argument runs to '$' or whitespace.
    const m = /^([^\s${}]+)/.exec(text.slice(i));
    return m && i > nameEnd ? m[1] : undefined;
  }
  const start = i + 1;
  let depth = 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++; // skip the escaped character (`\{`, `\}`, `\\`)
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return text.slice(start, i);
    }
  }
  return undefined;
}
