// Calling the Python reference oracles (tokenizers, safetensors, transformers) from tests.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Runs `python3 script ...args` with optional stdin and returns stdout.
 * Throws with the script's stderr when it exits non-zero, so test failures show the Python traceback.
 *
 * RLVR_PYTHON_CACHE=DIR (set by `npm run mutate` only, never by npm test) keeps each successful
 * output under a hash of the script, the arguments (files by their contents) and stdin: a
 * mutation run reruns the same tests hundreds of times with the oracles' inputs mostly unchanged.
 * Inputs that name other files (model folders) name fresh temporary ones, so they never hit.
 */
export function runPython(script: string, args: string[] = [], input?: string): string {
  const cacheDir = process.env.RLVR_PYTHON_CACHE;
  let cached: string | null = null;
  if (cacheDir) {
    const h = createHash('sha256')
      .update(fs.readFileSync(script))
      .update('\0')
      .update(input ?? '');
    // A file argument counts by its contents (its path is a fresh temporary one each run), any other by its text.
    for (const a of args)
      h.update(fs.existsSync(a) && fs.statSync(a).isFile() ? '\0file\0' : '\0arg\0').update(
        fs.existsSync(a) && fs.statSync(a).isFile() ? fs.readFileSync(a) : a,
      );
    cached = path.join(cacheDir, h.digest('hex'));
    if (fs.existsSync(cached)) return fs.readFileSync(cached, 'utf8');
  }
  const out = spawnPython(script, args, input);
  if (cached) {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.writeFileSync(cached + '.tmp', out);
    fs.renameSync(cached + '.tmp', cached);
  }
  return out;
}

function spawnPython(script: string, args: string[], input?: string): string {
  const r = spawnSync('python3', [script, ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`python3 ${script} failed (exit ${r.status}):\n${r.stderr}`);
  }
  return r.stdout;
}

const moduleCache = new Map<string, boolean>();

/** Whether `python3 -c "import name"` succeeds (cached per process). */
export function hasPythonModule(name: string): boolean {
  let ok = moduleCache.get(name);
  // Under RLVR_PYTHON_CACHE (mutation runs), a module once found is not imported again by every process.
  const found = process.env.RLVR_PYTHON_CACHE ? path.join(process.env.RLVR_PYTHON_CACHE, `module-${name}`) : null;
  if (ok === undefined && found && fs.existsSync(found)) ok = true;
  if (ok === undefined) {
    const r = spawnSync('python3', ['-c', `import ${name}`], { encoding: 'utf8' });
    ok = r.status === 0;
    if (ok && found) {
      fs.mkdirSync(path.dirname(found), { recursive: true });
      fs.writeFileSync(found, '');
    }
  }
  moduleCache.set(name, ok);
  return ok;
}
