// `rlvr eval --execute-code`: the Qwen2.5-Math evaluator's code continuation (QwenLM/Qwen2.5-Math
// evaluation/math_eval.py, main(); python_executor.py, PythonExecutor with
// get_answer_from_stdout=True, auto_mode, timeout_length 5). For a qwen25-math-cot prompt it runs
// up to max_func_call = 4 generation rounds: a response (trailing whitespace stripped) that has no
// "boxed" and ends with a closing code fence gets its LAST ```python program (extract_program over
// prompt + everything so far) run, and "\n```output\n<result>\n```\n" appended; the model then
// continues from there. After the 4th execution "\nReach max function call limit." is appended and
// the response ends. The executor's result is the program's stdout when its last line prints
// (auto_mode: "print(" in the last line), else the value of its last line as an expression; an
// exception gives the traceback's last line ("NameError: ..."), a program using input( gives
// "RuntimeError", a run past 5 s "Timeout Error"; result and report are stripped and cut to 400
// characters (first 200 + "..." + last 200); the text appended is the result, or the report when
// the result is empty (a program that printed nothing: "Done").
//
// Isolation (ours; the evaluator exec()s in a pebble worker): each program runs in its own
// `python3 -I` process (isolated mode: no PYTHON* variables, no user site), in a fresh temporary
// folder as cwd and HOME (removed after), with an environment of PATH, LANG and one-thread BLAS, under
// resource limits (CPU 6 s, address space 2 GiB, files 16 MiB, no core dumps), killed after the
// wall-clock limit (5 s, the evaluator's), in a new network namespace (`unshare -rn`, no interface
// but a down loopback) where the system allows it, and with socket creation refused inside Python
// in any case. Its output is captured inside the runner, keeping the first and last 64 KiB (all
// that the 400-character cut can show), so a flood costs memory of that size, not more. A hang, a
// crash, a flood or a bad program costs that response only: it yields the evaluator's text for it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The evaluator's rounds for qwen25-math-cot (math_eval.py: max_func_call = 4 unless cot/pal). */
export const MAX_FUNC_CALLS = 4;
/** python_executor.py: timeout_length=5 (seconds). */
export const EXEC_TIMEOUT_MS = 5000;

/**
 * The last ```python program in `text` (parser.py extract_program, last_only=True): lines after a
 * line starting with ```python up to a line starting with ```.
 */
export function extractProgram(text: string): string {
  let program = '';
  let start = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```python')) {
      program = '';
      start = true;
    } else if (line.startsWith('```')) start = false;
    else if (start) program += line + '\n';
  }
  return program;
}

/** Whether a (right-stripped) generation is continued by running its program (math_eval.py). */
export function needsExecution(output: string): boolean {
  const o = output.trimEnd();
  return !o.includes('boxed') && o.endsWith('```');
}

/** PythonExecutor.truncate: longer than 400 characters → first 200 + "..." + last 200. */
export function truncate400(s: string): string {
  return s.length > 400 ? s.slice(0, 200) + '...' + s.slice(-200) : s;
}

// The runner: reads the program from stdin, runs it as PythonExecutor.execute(auto_mode=True) does,
// writes {"result", "report"} as JSON on the saved stdout; stray writes to fd 1 go to /dev/null.
const RUNNER = String.raw`
import io, json, os, pickle, re, resource, socket, sys, traceback
out = os.fdopen(os.dup(1), "w")
dn = os.open(os.devnull, os.O_WRONLY); os.dup2(dn, 1); os.dup2(dn, 2)
def lim(r, v):
    try: resource.setrlimit(r, (v, v))
    except Exception: pass
lim(resource.RLIMIT_CPU, 6); lim(resource.RLIMIT_AS, 2 << 30); lim(resource.RLIMIT_FSIZE, 16 << 20); lim(resource.RLIMIT_CORE, 0)
def _no_net(*a, **k): raise OSError("network access is disabled")
socket.socket = _no_net; socket.create_connection = _no_net
KEEP = 65536
class Capped(io.TextIOBase):
    def __init__(self): self.head = []; self.n = 0; self.tail = ""
    def writable(self): return True
    def write(self, s):
        s = str(s)
        if self.n < KEEP: self.head.append(s[:KEEP - self.n])
        self.tail = (self.tail + s)[-KEEP:]
        self.n += len(s); return len(s)
    def text(self):
        h = "".join(self.head)
        return h if self.n <= KEEP else (h + self.tail if self.n <= 2 * KEEP else h + "\0" + self.tail)
code = sys.stdin.read().strip().split("\n")
g = {}
try:
    def run(piece):
        if re.search(r"(\s|^)?input\(", piece): raise RuntimeError()
        exec(piece, g)
    if "print(" in code[-1]:
        cap = Capped(); sys.stdout = cap
        try: run("\n".join(code))
        finally: sys.stdout = sys.__stdout__
        result = cap.text()
    else:
        run("\n".join(code[:-1]))
        result = eval(code[-1], g)
    report = "Done"
    str(result); pickle.dumps(result)
except BaseException:
    result = ""
    report = traceback.format_exc().split("\n")[-2]
try: text = str(result)
except BaseException: text, report = "", "Error"
out.write(json.dumps({"result": text, "report": str(report)})); out.flush()
`;

/** PATH, LANG and HOME (the temporary folder), one BLAS/OpenMP thread; OPENBLAS_CORETYPE/L2_SIZE kept where set (some CPUs need them). */
function programEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: home,
    OMP_NUM_THREADS: '1',
    OPENBLAS_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
  };
  for (const k of ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

const resolved = new Map<string, string>();
/** The interpreter's real path (a pyenv-style shim would otherwise look for its root under HOME, which is the temporary folder). */
function realPython(python: string): string {
  let exe = resolved.get(python);
  if (exe === undefined) {
    const r = spawnSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', timeout: 30_000 });
    exe = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : python;
    resolved.set(python, exe);
  }
  return exe;
}

let unshareWorks: boolean | null = null;
/** Whether `unshare -rn` can make a network namespace here (root or user namespaces allowed). */
function canUnshare(): boolean {
  if (unshareWorks === null) {
    const r = spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore', timeout: 5000 });
    unshareWorks = r.status === 0;
  }
  return unshareWorks;
}

export interface ExecOutcome {
  /** What the evaluator appends: the result when non-empty, else the report (both stripped, cut to 400). */
  text: string;
  result: string;
  report: string;
  /** The program ran past the wall-clock limit and was killed. */
  timedOut: boolean;
}

/** Runs one program as the evaluator's PythonExecutor would (see the header for the isolation). */
export function runProgram(code: string, o: { timeoutMs?: number; python?: string } = {}): ExecOutcome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlvr-exec-'));
  try {
    const python = realPython(o.python ?? process.env.PYTHON ?? 'python3');
    const [cmd, args] = canUnshare() ? ['unshare', ['-rn', python, '-I', '-c', RUNNER]] : [python, ['-I', '-c', RUNNER]];
    const r = spawnSync(cmd, args, {
      input: code,
      cwd: dir,
      env: programEnv(dir),
      timeout: o.timeoutMs ?? EXEC_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 1 << 20,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    let result = '';
    let report: string;
    if (timedOut) report = 'Timeout Error';
    else {
      try {
        const j = JSON.parse(r.stdout) as { result: string; report: string };
        result = j.result;
        report = j.report;
      } catch {
        // Killed by a resource limit (SIGXCPU, an allocation past the address space) or crashed.
        report = r.signal ? `Killed (${r.signal})` : `Error (exit ${r.status})`;
      }
    }
    // The runner joins a long output's kept head and tail with \0: what the 400-cut shows is the same.
    const cut = (s: string) => {
      const t = s.trim();
      const i = t.indexOf('\0');
      return i < 0 ? truncate400(t) : t.slice(0, 200) + '...' + t.slice(-200);
    };
    result = cut(result);
    report = cut(report);
    return { text: result || report, result, report, timedOut };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One response being continued: the prompt text, everything generated so far, and its counters. */
export interface Continued {
  prompt: string;
  text: string;
  tokens: number;
  finishReason: 'stop' | 'length';
  executions: number;
}

/** Generates one continuation for each of `prompts` (full texts: prompt + response so far). */
export type Continue = (prompts: string[]) => { text: string; tokens: number; finishReason: 'stop' | 'length' }[];

/**
 * math_eval.py's loop over generation rounds for a batch of first generations: returns each
 * response as the evaluator's final text (prompt removed, stripped). `run` executes a program
 * (default runProgram); `cont` generates the next round.
 */
export function continueWithCode(
  first: { prompt: string; text: string; tokens: number; finishReason: 'stop' | 'length' }[],
  cont: Continue,
  run: (code: string) => ExecOutcome = (c) => runProgram(c),
): Continued[] {
  const items: Continued[] = first.map((f) => ({ prompt: f.prompt, text: '', tokens: f.tokens, finishReason: f.finishReason, executions: 0 }));
  let outputs = first.map((f) => f.text);
  let active = items.map((_, i) => i);
  for (let epoch = 0; epoch < MAX_FUNC_CALLS && active.length > 0; epoch++) {
    const next: number[] = [];
    active.forEach((i, k) => {
      const output = outputs[k]!.trimEnd();
      const it = items[i]!;
      it.text += output;
      if (!needsExecution(output)) return;
      const res = run(extractProgram(it.prompt + it.text));
      it.executions++;
      it.text += `\n\`\`\`output\n${res.text}\n\`\`\`\n`;
      if (epoch === MAX_FUNC_CALLS - 1) it.text += '\nReach max function call limit.';
      else next.push(i);
    });
    active = next;
    if (active.length === 0) break;
    const gen = cont(active.map((i) => items[i]!.prompt + items[i]!.text));
    outputs = gen.map((g) => g.text);
    active.forEach((i, k) => {
      items[i]!.tokens += gen[k]!.tokens;
      items[i]!.finishReason = gen[k]!.finishReason;
    });
  }
  for (const it of items) it.text = it.text.trim();
  return items;
}
