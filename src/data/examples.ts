// Training examples from verl-style parquet (the 1-shot RLVR release) or from simple
// problem/answer jsonl/json files, all normalised to one `TrainExample` shape.
//
// A row is recognised by its fields, not by its file type, so a verl row exported to jsonl and a
// problem/answer row in parquet both load:
//   verl:   prompt: [{role, content}...], reward_model.ground_truth, data_source?, extra_info.index?
//   simple: problem | question, answer            (answer may be a number: amc23 stores 27.0)
import path from 'node:path';
import { readParquetRows } from './parquet.js';
import { jsonErrorText } from '../errors.js';
import { answerToString, assertFile, getPath, isRecord, readJsonl, readText } from './files.js';
import type { ChatMessage } from '../tokenizer/chat.js';

export interface TrainExample {
  /** `extra_info.index` (the row's index in dsr_sub.parquet for the paper's files), else the 0-based row number. */
  index: number;
  /** The conversation to feed the chat template. */
  messages: ChatMessage[];
  /** The gold answer the reward compares against. */
  groundTruth: string;
  /** `data_source` when present, else the file's base name without extension. */
  dataSource: string;
  /** Every column of the source row, as read (what custom reward functions look at). */
  columns?: Record<string, unknown>;
}

export interface LoadOptions {
  /**
   * Appended to the user message of simple problem/answer rows (e.g. TRAIN_PROMPT_SUFFIX).
   * Not applied to verl rows: their prompt is already final.
   */
  suffix?: string;
  /**
   * Where a warning goes (rows with an empty answer: every response to them scores 0; the
   * paper's own DSR-sub has one, row 265). Default: stderr. A file whose every answer is empty is an error.
   */
  warn?: (line: string) => void;
}

/** Where a row came from, for error messages. */
interface RowOrigin {
  file: string;
  row: number;
  line?: number;
}

function where(o: RowOrigin): string {
  return `${o.file}: row ${o.row}${o.line !== undefined ? ` (line ${o.line})` : ''}`;
}

function missing(o: RowOrigin, field: string, hint = ''): Error {
  return new Error(`${where(o)}: missing field '${field}'${hint}`);
}

/** The problem and the suffix with one space between them (a suffix given as 'Give ...' is not glued on: 'boxes?Give'). */
export function joinSuffix(problem: string, suffix: string): string {
  if (suffix === '' || /^\s/.test(suffix) || /\s$/.test(problem)) return problem + suffix;
  return `${problem} ${suffix}`;
}

/** Rows whose answer is empty can never be rewarded: a warning naming them, or an error when no row has an answer. */
function checkAnswers(file: string, examples: TrainExample[], warn: (line: string) => void): void {
  const empty = examples.map((e, i) => (e.groundTruth.trim() === '' ? i : -1)).filter((i) => i >= 0);
  if (empty.length === 0) return;
  const rows = `row${empty.length === 1 ? '' : 's'} ${empty.slice(0, 10).join(', ')}${empty.length > 10 ? ', ...' : ''}`;
  if (empty.length === examples.length) throw new Error(`${file}: every answer is empty (${rows}): no response could be rewarded`);
  warn(`warning: ${file}: ${empty.length} of ${examples.length} rows have an empty answer (${rows}); every response to them scores 0`);
}

/** Converts one raw row (any of the accepted schemas) into a TrainExample. */
export function rowToExample(raw: unknown, origin: RowOrigin, opts: LoadOptions = {}): TrainExample {
  if (!isRecord(raw)) throw new Error(`${where(origin)}: expected an object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`);
  const dataSourceField = raw['data_source'];
  const dataSource = typeof dataSourceField === 'string' ? dataSourceField : path.basename(origin.file).replace(/\.[^.]*$/, '');
  const indexField = getPath(raw, 'extra_info.index');
  const index = typeof indexField === 'number' && Number.isInteger(indexField) ? indexField : origin.row;

  if ('prompt' in raw) {
    const messages = parseMessages(raw['prompt'], origin);
    const gt = answerToString(getPath(raw, 'reward_model.ground_truth'));
    if (gt === undefined) throw missing(origin, 'reward_model.ground_truth');
    return { index, messages, groundTruth: gt, dataSource, columns: raw };
  }

  const problem = raw['problem'] ?? raw['question'];
  if (problem !== undefined && typeof problem !== 'string') {
    throw new Error(
      `${where(origin)}: field '${raw['problem'] !== undefined ? 'problem' : 'question'}' must be a string (the problem's text), got ${Array.isArray(problem) ? 'a list' : problem === null ? 'null' : `a ${typeof problem === 'object' ? 'JSON object' : typeof problem}`}`,
    );
  }
  if (typeof problem !== 'string') {
    throw missing(origin, 'problem', " (expected 'problem' or 'question' with 'answer', or verl 'prompt' with 'reward_model.ground_truth')");
  }
  const answer = answerToString(raw['answer']);
  if (answer === undefined) throw missing(origin, 'answer');
  return { index, messages: [{ role: 'user', content: joinSuffix(problem, opts.suffix ?? '') }], groundTruth: answer, dataSource, columns: raw };
}

function parseMessages(prompt: unknown, origin: RowOrigin): ChatMessage[] {
  // Some datasets store the prompt as a bare string: treat it as one user turn.
  if (typeof prompt === 'string') return [{ role: 'user', content: prompt }];
  if (!Array.isArray(prompt) || prompt.length === 0) {
    throw new Error(`${where(origin)}: field 'prompt' must be a non-empty list of {role, content}`);
  }
  return prompt.map((m, i) => {
    const role = getPath(m, 'role');
    const content = getPath(m, 'content');
    if (typeof role !== 'string') throw missing(origin, `prompt[${i}].role`);
    if (typeof content !== 'string') throw missing(origin, `prompt[${i}].content`);
    return { role, content };
  });
}

export async function loadParquetExamples(file: string, opts: LoadOptions = {}): Promise<TrainExample[]> {
  const rows = await readParquetRows(file);
  return rows.map((r, i) => rowToExample(r, { file, row: i }, opts));
}

export function loadJsonlExamples(file: string, opts: LoadOptions = {}): TrainExample[] {
  return readJsonl(file).map((r, i) => rowToExample(r.value, { file, row: i, line: r.line }, opts));
}

/** A .json file holding an array of rows. */
export function loadJsonExamples(file: string, opts: LoadOptions = {}): TrainExample[] {
  const text = readText(file);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${jsonErrorText(err)})`);
  }
  if (!Array.isArray(data)) throw new Error(`${file}: expected a JSON array of rows`);
  return data.map((r, i) => rowToExample(r, { file, row: i }, opts));
}

/** Loads training examples, choosing the reader by extension: .parquet, .jsonl, .json (array). */
export async function loadExamples(file: string, opts: LoadOptions = {}): Promise<TrainExample[]> {
  assertFile(file);
  const ext = path.extname(file).toLowerCase();
  let examples: TrainExample[];
  if (ext === '.parquet') examples = await loadParquetExamples(file, opts);
  else if (ext === '.jsonl') examples = loadJsonlExamples(file, opts);
  else if (ext === '.json') examples = loadJsonExamples(file, opts);
  else throw new Error(`${file}: unsupported extension '${ext}' (expected .parquet, .jsonl or .json)`);
  if (examples.length === 0) throw new Error(`${file}: no rows`);
  checkAnswers(file, examples, opts.warn ?? ((line) => process.stderr.write(line + '\n')));
  return examples;
}
