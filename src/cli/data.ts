// `rlvr data get`: the paper's training data and the benchmarks, from their public sources
// (src/data/sources.ts) or a local mirror, each file kept only when its sha256 matches.
//
//   rlvr data get [--out DIR]              (default ./data; downloads; offline: one line, exit 1)
//   rlvr data get --from MIRROR [--out DIR] (copies from a folder with the same layout)
//   rlvr data list                         (the files, their sources and digests)
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CliError, parseArgs } from './args.js';
import { DATA_FILES, dataBaseUrl, type DataFile } from '../data/sources.js';

const USAGE = 'usage: rlvr data get [--out DIR] [--from MIRROR] | rlvr data list';
const SPEC = {
  out: { type: 'string', help: 'where the files go (default ./data; then e.g. rlvr train --data data/train/pi1_r128.parquet)' },
  from: { type: 'string', help: 'copy from a local folder with the same layout instead of downloading' },
} as const;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** One line for a download that did not happen (offline, DNS, HTTP error). */
async function download(f: DataFile): Promise<Uint8Array> {
  const url = `${dataBaseUrl()}/${f.upstream}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw Object.assign(
      new Error(`data get: cannot reach ${new URL(url).host} (${why}): offline? Copy the files from a mirror with rlvr data get --from DIR`),
      { offline: true },
    );
  }
  if (!res.ok) throw new CliError(`data get: ${url}: HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function run(argv: string[]): Promise<number> {
  const { options, positionals } = parseArgs(argv, SPEC, USAGE);
  const [action, ...extra] = positionals;
  if (extra.length > 0 || (action !== 'get' && action !== 'list')) throw new CliError(USAGE);
  if (action === 'list') {
    for (const f of DATA_FILES) console.log(`${f.path.padEnd(48)} ${String(f.bytes).padStart(8)} B  sha256 ${f.sha256}\n  from ${dataBaseUrl()}/${f.upstream}`);
    return 0;
  }
  const out = path.resolve(typeof options.out === 'string' ? options.out : 'data');
  const from = typeof options.from === 'string' ? path.resolve(options.from) : null;
  if (from && !fs.existsSync(from)) throw new CliError(`--from ${from}: no such folder`);
  let fetched = 0;
  let present = 0;
  for (const f of DATA_FILES) {
    const dest = path.join(out, f.path);
    if (fs.existsSync(dest) && fs.statSync(dest).size === f.bytes && sha256(fs.readFileSync(dest)) === f.sha256) {
      present++;
      continue;
    }
    let bytes: Uint8Array;
    if (from) {
      const src = path.join(from, f.path);
      if (!fs.existsSync(src)) throw new CliError(`data get: the mirror ${from} has no ${f.path}`);
      bytes = fs.readFileSync(src);
    } else {
      try {
        bytes = await download(f);
      } catch (e) {
        if ((e as { offline?: boolean }).offline) {
          console.error(`rlvr: ${(e as Error).message}`);
          return 1;
        }
        throw e;
      }
    }
    const digest = sha256(bytes);
    if (digest !== f.sha256) {
      throw new CliError(
        `data get: ${f.path} from ${from ? path.join(from, f.path) : `${dataBaseUrl()}/${f.upstream}`} has sha256 ${digest.slice(0, 16)}…, expected ${f.sha256.slice(0, 16)}… (${bytes.length} of ${f.bytes} bytes): not the file the paper used; nothing written`,
      );
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(`${dest}.tmp`, bytes);
    fs.renameSync(`${dest}.tmp`, dest);
    fetched++;
    console.error(`data: ${f.path} (${bytes.length} bytes, sha256 ok)`);
  }
  console.log(`${out}: ${DATA_FILES.length} files (${fetched} ${from ? 'copied' : 'downloaded'}, ${present} already there), every sha256 checked`);
  return 0;
}
