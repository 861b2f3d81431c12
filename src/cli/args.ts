// Tiny, strict argument parser shared by every subcommand: `--name value`, `--flag`, positionals.
// Unknown options are an error (a typo must not silently fall back to a default).
import { didYouMean, UserError } from '../errors.js';
import type { DType } from '../engine/dtype.js';

/** An error caused by the user's input (bad flag, missing file, wrong schema): printed as one line. */
export class CliError extends UserError {}

export interface OptionSpec {
  /** 'string' takes a value, 'boolean' is a flag. */
  type: 'string' | 'boolean';
  help: string;
}

export interface ParsedArgs {
  options: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>, usage: string): ParsedArgs {
  const options: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(formatHelp(usage, spec));
      process.exit(0);
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = spec[name];
    if (!s) {
      const guess = didYouMean(name, Object.keys(spec));
      throw new CliError(
        `unknown option --${name}${guess ? ` (did you mean --${guess}?)` : ''}; ${usage.split(' ').slice(1, 3).join(' ')} --help lists the options`,
      );
    }
    if (s.type === 'boolean') {
      options[name] = true;
    } else {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new CliError(`option --${name} needs a value`);
      // `--gold --response 5`: a flag is never taken as the previous option's value.
      if (eq < 0 && /^--[A-Za-z]/.test(value))
        throw new CliError(`option --${name} needs a value, got the option ${value.split('=')[0]} (write --${name}=${value} for a value that starts with --)`);
      // The last one winning silently (--model A --model B) hides a mistake.
      if (typeof options[name] === 'string') throw new CliError(`option --${name} given twice ('${options[name]}' and '${value}'); keep one`);
      options[name] = value;
    }
  }
  return { options, positionals };
}

export function formatHelp(usage: string, spec: Record<string, OptionSpec>): string {
  const rows = Object.entries(spec).map(([name, s]) => `  --${(name + (s.type === 'string' ? ' V' : '')).padEnd(22)} ${s.help}`);
  return `${usage}\n\noptions:\n${rows.join('\n')}`;
}

/** Reads a numeric option; throws a CliError naming the option when it is not a number. */
export function numberOption(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isFinite(n)) throw new CliError(`--${name} must be a number, got '${String(value)}'`);
  return n;
}

/** Reads an integer option of at least `min` (default 1); one CliError naming the option otherwise. */
export function intOption(value: string | boolean | undefined, name: string, fallback: number, min = 1): number {
  const n = numberOption(value, name, fallback);
  if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min}, got ${n}`);
  return n;
}

const PARAM_DTYPES: readonly DType[] = ['float32', 'bfloat16', 'float16', 'float64'];

/** Reads a --dtype option (a floating-point parameter dtype); undefined when not given. */
export function dtypeOption(value: string | boolean | undefined): DType | undefined {
  if (value === undefined) return undefined;
  if (!PARAM_DTYPES.includes(value as DType)) throw new CliError(`--dtype must be one of ${PARAM_DTYPES.join(', ')}, got '${String(value)}'`);
  return value as DType;
}
