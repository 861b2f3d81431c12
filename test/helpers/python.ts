// Calling the Python reference oracles (tokenizers, safetensors, transformers) from tests.

import { spawnSync } from 'node:child_process';

/**
 * Runs `python3 script ...args` with optional stdin and returns stdout.
 * Throws with the script's stderr when it exits non-zero, so test failures show the Python traceback.
 */
export function runPython(script: string, args: string[] = [], input?: string): string {
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
  if (ok === undefined) {
    const r = spawnSync('python3', ['-c', `import ${name}`], { encoding: 'utf8' });
    ok = r.status === 0;
    moduleCache.set(name, ok);
  }
  return ok;
}
