// Exact rational arithmetic on BigInt. Used for every purely numeric answer so that different
// integers, or different tiny values such as 1/2^99 and 1/2^98, can never compare equal.

export interface Rat {
  n: bigint;
  d: bigint; // always > 0, gcd(n, d) = 1
}

/** Results larger than this many bits are refused (null) so that 10^{10^{10}} cannot hang a check. */
export const MAX_BITS = 20000;

function abs(a: bigint): bigint {
  return a < 0n ? -a : a;
}

export function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function bits(a: bigint): number {
  return abs(a).toString(16).length * 4;
}

export function rat(n: bigint, d: bigint = 1n): Rat | null {
  if (d === 0n) return null;
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  const r = g > 1n ? { n: n / g, d: d / g } : { n, d };
  if (bits(r.n) > MAX_BITS || bits(r.d) > MAX_BITS) return null;
  return r;
}

export const ZERO: Rat = { n: 0n, d: 1n };
export const ONE: Rat = { n: 1n, d: 1n };

export const add = (a: Rat, b: Rat) => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rat, b: Rat) => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rat, b: Rat) => rat(a.n * b.n, a.d * b.d);
export const div = (a: Rat, b: Rat) => (b.n === 0n ? null : rat(a.n * b.d, a.d * b.n));
export const neg = (a: Rat): Rat => ({ n: -a.n, d: a.d });
export const eq = (a: Rat, b: Rat) => a.n === b.n && a.d === b.d;
export const cmp = (a: Rat, b: Rat) => {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1 : x > 0n ? 1 : 0;
};
export const isInt = (a: Rat) => a.d === 1n;

/** a^k for an integer k; null when the result would be too large. */
export function powInt(a: Rat, k: bigint): Rat | null {
  if (k < 0n) {
    if (a.n === 0n) return null;
    const p = powInt(a, -k);
    return p && rat(p.d, p.n);
  }
  if (a.n === 0n || (a.n === 1n && a.d === 1n)) return k === 0n ? ONE : a;
  if (a.n === -1n && a.d === 1n) return k % 2n === 0n ? ONE : a;
  // Bound the size before computing: bits(result) ~ k * bits(base).
  const b = Math.max(bits(a.n), bits(a.d));
  if (Number(k) * (b - 3) > MAX_BITS) return null;
  return rat(a.n ** k, a.d ** k);
}

/** Exact integer square root, or null when n is not a perfect square. */
export function sqrtInt(n: bigint): bigint | null {
  if (n < 0n) return null;
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton refinement (Number() loses precision for big n).
  for (let i = 0; i < 200; i++) {
    const y = (x + n / x) >> 1n;
    if (abs(y - x) <= 1n) {
      x = y;
      break;
    }
    x = y;
  }
  for (let c = x - 2n; c <= x + 2n; c++) if (c >= 0n && c * c === n) return c;
  return null;
}

/** Exact k-th root of a rational when it exists. */
export function rootRat(a: Rat, k: number): Rat | null {
  if (k === 2) {
    const n = sqrtInt(a.n);
    const d = sqrtInt(a.d);
    return n !== null && d !== null ? { n, d } : null;
  }
  const neg = a.n < 0n;
  if (neg && k % 2 === 0) return null;
  const rootOf = (v: bigint): bigint | null => {
    const guess = BigInt(Math.round(Math.pow(Number(v), 1 / k)));
    for (let c = guess - 1n; c <= guess + 1n; c++) if (c >= 0n && c ** BigInt(k) === v) return c;
    return null;
  };
  const n = rootOf(abs(a.n));
  const d = rootOf(a.d);
  if (n === null || d === null) return null;
  return { n: neg ? -n : n, d };
}

export function toNumber(a: Rat): number {
  const n = Number(a.n);
  const d = Number(a.d);
  if (Number.isFinite(n) && Number.isFinite(d)) return n / d;
  // Scale both down to keep the ratio representable.
  const shift = BigInt(Math.max(bits(a.n), bits(a.d)) - 1000);
  const s = shift > 0n ? shift : 0n;
  return Number(a.n >> s) / Number(a.d >> s);
}

/** Parses a plain decimal literal such as "-12.80", ".4" or "1e-3" exactly. */
export function parseDecimal(s: string): Rat | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const frac = m[3] ?? '';
  let n = BigInt((m[2] || '0') + frac);
  let d = 10n ** BigInt(frac.length);
  if (m[4]) {
    const e = Number(m[4]);
    if (Math.abs(e) > 1000) return null;
    if (e >= 0) n *= 10n ** BigInt(e);
    else d *= 10n ** BigInt(-e);
  }
  return rat(m[1] === '-' ? -n : n, d);
}

export function ratToString(a: Rat): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}
