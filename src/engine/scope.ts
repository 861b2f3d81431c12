// Deterministic memory management for native tensors, which V8's GC cannot see.
//
//   tidy(() => { ...; return y })  frees every tensor created inside except what it returns
//                                  (returned tensors move to the enclosing scope);
//   t.keep()                        exempts a tensor from every scope (parameters, caches);
//   using t = ...; / t.dispose()    frees one tensor now.
//
// tidy is synchronous: tensors created after an `await` inside it belong to whatever scope
// is current then. Keep async work (I/O, reward workers) outside tidy blocks.

/** What a scope tracks. Implemented by Tensor. */
export interface Disposable {
  dispose(): void;
  /** The scope that will free this tensor, or null once kept or disposed. */
  scope: Disposable[] | null;
}

const stack: Disposable[][] = [];

export function track<T extends Disposable>(t: T): T {
  const top = stack[stack.length - 1];
  if (top) {
    top.push(t);
    t.scope = top;
  }
  return t;
}

export function untrack(t: Disposable): void {
  t.scope = null;
}

/** Runs fn; frees the tensors it created except those reachable from its result. */
export function tidy<T>(fn: () => T): T {
  const mine: Disposable[] = [];
  stack.push(mine);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of mine) if (t.scope === mine) t.dispose();
    throw e;
  }
  stack.pop();
  const returned = new Set<Disposable>();
  collect(result, returned, 0);
  const parent = stack[stack.length - 1] ?? null;
  for (const t of mine) {
    if (t.scope !== mine) continue; // kept, disposed, or moved
    if (returned.has(t)) {
      t.scope = parent;
      if (parent) parent.push(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

/** Finds tensors in a result: a tensor, or arrays / plain objects / Maps of them. */
function collect(value: unknown, out: Set<Disposable>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (isDisposable(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

function isDisposable(v: object): v is Disposable {
  return 'scope' in v && typeof (v as Disposable).dispose === 'function';
}

/** Depth of nested tidy scopes (0 outside any). */
export function scopeDepth(): number {
  return stack.length;
}
