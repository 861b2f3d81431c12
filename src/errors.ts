// User errors and how configuration problems are worded: one line each, naming where the bad
// value came from (`--set lr`, `run.json: grpo.stesp`) and, for unknown names, the closest
// known one ("did you mean").
import type { z } from 'zod';

/**
 * An error caused by the user's input (a bad flag, file, setting or data row), not by a bug:
 * the CLI prints its message as one line, without a stack (unless --debug).
 */
export class UserError extends Error {}

/** Common spellings from other trainers (verl, TRL) that are not close by edit distance. */
const ALIASES: Record<string, string> = {
  learning_rate: 'lr',
  learningRate: 'lr',
  n: 'groupSize',
  rollout_n: 'groupSize',
  num_generations: 'groupSize',
  kl_loss_coef: 'klCoef',
  kl_coef: 'klCoef',
  beta: 'klCoef',
  entropy_coeff: 'entropyCoef',
  clip_range: 'clipRatio',
  epsilon: 'clipRatio',
  max_grad_norm: 'gradClip',
  grad_clip: 'gradClip',
  total_training_steps: 'steps',
  max_steps: 'steps',
  save_freq: 'saveEvery',
  test_freq: 'validateEvery',
  ppo_mini_batch_size: 'miniBatchSize',
  ppo_epochs: 'ppoEpochs',
  loss_agg_mode: 'lossAggregation',
};

/**
 * A JSON.parse error as one line without the file's content (V8 quotes the text around the
 * error: a YAML run file or a history would be dumped into the message).
 */
export function jsonErrorText(err: unknown): string {
  const m = String((err as Error)?.message ?? err);
  if (/Unexpected end of JSON input/.test(m)) return 'it ends in the middle of a value (truncated?)';
  const where = /\(line (\d+) column (\d+)\)/.exec(m);
  const pos = /at position (\d+)/.exec(m);
  const what = m.split(/,? "|\n| in JSON at | at position /)[0]!.trim();
  return `${what}${where ? ` at line ${where[1]} column ${where[2]}` : pos ? ` at byte ${pos[1]}` : ''}`;
}

/** "1 step", "2 steps". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** The known name closest to `name` (aliases, snake_case → camelCase, then edit distance), or null. */
export function didYouMean(name: string, known: readonly string[]): string | null {
  const alias = ALIASES[name];
  if (alias && known.includes(alias)) return alias;
  const norm = (s: string) => s.replace(/[_\-.]/g, '').toLowerCase();
  const n = norm(name);
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of known) {
    const d = n === norm(k) ? 0 : levenshtein(n, norm(k));
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (best !== null && bestD <= Math.max(2, Math.floor(n.length / 3))) return best;
  // An abbreviation (valEvery → validateEvery, lr → ...): the name's letters in order in one known name.
  const abbreviating = known.filter((k) => n.length >= 4 && isSubsequence(n, norm(k)) && n[0] === norm(k)[0]);
  return abbreviating.length === 1 ? abbreviating[0]! : null;
}

function isSubsequence(a: string, b: string): boolean {
  let i = 0;
  for (const c of b) if (c === a[i]) i++;
  return i === a.length;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Where a value came from, for a path like ['grpo', 'lr']: e.g. '--set lr' or 'run.json: grpo.lr'. */
export type LabelFor = (path: readonly PropertyKey[]) => string;

/** A value as the user typed it, short. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false (a JSON boolean)',
  object: 'an object',
  array: 'an array',
  tuple: 'a list',
};

/**
 * One line for a failed parse. `knownKeys(path)` lists the keys valid at an object path (for
 * "did you mean"); `hint(key, path)` may suggest a place elsewhere (e.g. 'grpo.steps').
 */
export function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  labelFor: LabelFor,
  knownKeys: (path: readonly PropertyKey[]) => readonly string[] = () => [],
  hint: (key: string, path: readonly PropertyKey[]) => string | null = () => null,
): string {
  const parts: string[] = [];
  for (const issue of issues) {
    const input = (issue as { input?: unknown }).input;
    const got = `got ${show(input)}`;
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          const p = [...issue.path, key];
          const guess = hint(key, issue.path) ?? didYouMean(key, knownKeys(issue.path));
          parts.push(`${labelFor(p)}: unknown setting${guess ? ` (did you mean '${guess}'?)` : ''}`);
        }
        break;
      case 'invalid_type':
        parts.push(`${labelFor(issue.path)}: ${input === undefined ? 'required' : `expected ${ARTICLE[issue.expected] ?? issue.expected}, ${got}`}`);
        break;
      case 'too_small':
      case 'too_big': {
        const cmp = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
        const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
        const what = issue.origin === 'string' ? `length ${cmp} ${bound}` : issue.origin === 'array' ? `${cmp} ${bound} items` : `${cmp} ${bound}`;
        parts.push(`${labelFor(issue.path)}: must be ${what}, ${got}`);
        break;
      }
      case 'invalid_value': {
        const guess = typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : null;
        parts.push(`${labelFor(issue.path)}: must be one of ${issue.values.map(String).join(', ')}, ${got}${guess ? ` (did you mean '${guess}'?)` : ''}`);
        break;
      }
      case 'invalid_union': {
        // One alternative per branch: "expected 'auto' or true or false (a JSON boolean), got "yes"";
        // when the value had the right type for one branch, what that branch wants ("must be > 0").
        const typed = issue.errors.find((branch) => branch.length > 0 && branch.every((e) => e.code !== 'invalid_type' && e.code !== 'invalid_value'));
        if (typed) {
          parts.push(
            formatIssues(
              typed.map((e) => ({ ...e, path: [...issue.path, ...e.path], input: (e as { input?: unknown }).input ?? input }) as z.core.$ZodIssue),
              labelFor,
              knownKeys,
              hint,
            ),
          );
          break;
        }
        const alts = issue.errors.flatMap((branch) =>
          branch.map((i) =>
            i.code === 'invalid_type'
              ? (ARTICLE[i.expected] ?? i.expected)
              : i.code === 'invalid_value'
                ? i.values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(' or ')
                : i.message,
          ),
        );
        parts.push(`${labelFor(issue.path)}: expected ${[...new Set(alts)].join(' or ')}, ${got}`);
        break;
      }
      case 'not_multiple_of':
        parts.push(`${labelFor(issue.path)}: must be a multiple of ${issue.divisor}, ${got}`);
        break;
      case 'invalid_format':
        parts.push(`${labelFor(issue.path)}: ${issue.message}, ${got}`);
        break;
      default:
        parts.push(`${labelFor(issue.path)}: ${issue.message}`);
    }
  }
  return parts.join('; ');
}

/** 'a.b.0' for ['a', 'b', 0]. */
export function dotted(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}
