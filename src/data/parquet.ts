// Parquet rows as plain objects, via hyparquet (pure JS; it decodes snappy itself, which is
// what the verl training files use). The files here are small (≤ a few MB), so the whole file
// is read into memory rather than streamed.
import fs from 'node:fs';
import { parquetReadObjects } from 'hyparquet';
import { assertFile } from './files.js';

/**
 * Reads every row of a parquet file. INT64 columns arrive from hyparquet as bigint; they are
 * converted to number when exactly representable (indices, counts), so callers and
 * JSON.stringify never meet a bigint.
 */
export async function readParquetRows(path: string): Promise<Record<string, unknown>[]> {
  assertFile(path);
  const buf = fs.readFileSync(path);
  // hyparquet wants an ArrayBuffer of exactly the file (a Node Buffer may be a view into a pool).
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  } catch (err) {
    throw new Error(`${path}: not a readable parquet file (${(err as Error).message})`);
  }
  return rows.map((r) => normalizeBigInts(r) as Record<string, unknown>);
}

function normalizeBigInts(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  if (Array.isArray(v)) return v.map(normalizeBigInts);
  if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalizeBigInts(x);
    return out;
  }
  return v;
}
