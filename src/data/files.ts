// File helpers shared by the data readers: one clear error for a missing file, and a jsonl
// reader that names the file and line of a malformed row.
import fs from 'node:fs';
import { jsonErrorText } from '../errors.js';

/** Throws `no such file: PATH` unless `path` is a readable regular file. */
export function assertFile(path: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch {
    throw new Error(`no such file: ${path}`);
  }
  if (!stat.isFile()) throw new Error(`not a file: ${path}`);
}

/** A file's text; a byte that is not UTF-8 is an error naming its offset and line (never a silent U+FFFD). */
export function readText(path: string): string {
  assertFile(path);
  const bytes = fs.readFileSync(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const lossy = Buffer.from(bytes.toString('utf8'), 'utf8');
    let at = 0;
    while (at < bytes.length && bytes[at] === lossy[at]) at++;
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    throw new Error(`${path}: line ${line}: not valid UTF-8 (byte 0x${bytes[at]!.toString(16).padStart(2, '0')} at offset ${at}); save the file as UTF-8`);
  }
}

/** A parsed jsonl row with its 1-based line number (blank lines are skipped, so rows and lines differ). */
export interface JsonlRow {
  line: number;
  value: unknown;
}

export function readJsonl(path: string): JsonlRow[] {
  const text = readText(path);
  const rows: JsonlRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    try {
      rows.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      throw new Error(`${path}: line ${i + 1}: invalid JSON (${jsonErrorText(err)})`);
    }
  }
  return rows;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads a dotted path (`reward_model.ground_truth`) from nested records; undefined when absent. */
export function getPath(row: unknown, dotted: string): unknown {
  let cur: unknown = row;
  for (const key of dotted.split('.')) {
    if (!isRecord(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/**
 * Answers are strings everywhere in the project, but some files store numbers (amc23 has
 * `27.0`). Integral numbers print without the `.0` so that `27.0` becomes `27`.
 */
export function answerToString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}
