// The BPE model: turns one pre-tokenized word into vocabulary ids.
//
// A word starts as one symbol per character (a Unicode code point; byte-level words only hold
// single-unit chars). A character missing from the vocab becomes its `<0xXX>` byte tokens when
// the model has byte_fallback (SentencePiece-style: Gemma 3), else <unk> (consecutive ones fused
// into one with fuse_unk), as in HF tokenizers.
//
// Merge order follows HF tokenizers exactly: repeatedly apply the applicable merge with the
// lowest rank, ties going to the leftmost pair. A binary heap keyed on (rank, position)
// keeps this O(n log n), so pathological pieces (thousands of spaces, long digit runs in
// tokenizers without digit splitting) stay fast. Results are cached per word, since natural
// text repeats words constantly.

import { byteTokenName } from './byte-fallback.js';

export interface BpeOptions {
  vocab: Map<string, number>;
  /** Merges in rank order, each a pair of vocab strings. */
  merges: Array<[string, string]>;
  /** Llama-3 sets this: a word that is itself in the vocab is emitted whole, merges skipped. */
  ignoreMerges?: boolean;
  unkToken?: string | null;
  /** Spell characters missing from the vocab as `<0xXX>` byte tokens (when all their bytes have one). */
  byteFallback?: boolean;
  /** Consecutive unknown characters give one <unk>, not one each. */
  fuseUnk?: boolean;
}

// A pair of ids packs into one number: ids stay below 2^21 (vocabularies are < 2M).
const PAIR_SHIFT = 2 ** 21;
// Heap entries pack (rank, left position) into one double: positions stay below 2^26.
const POS_SHIFT = 2 ** 26;
const CACHE_LIMIT = 200_000;
const CACHE_MAX_WORD = 256;
const utf8 = new TextEncoder();

export class BpeModel {
  readonly vocab: Map<string, number>;
  private readonly ignoreMerges: boolean;
  private readonly unkId: number | undefined;
  private readonly fuseUnk: boolean;
  /** byte -> id of its `<0xXX>` token, when byte fallback is on (-1: that byte has none). */
  private readonly byteIds: Int32Array | null;
  /** pair key -> merge rank */
  private readonly mergeRank = new Map<number, number>();
  /** merge rank -> id of the merged token */
  private readonly mergeResult: Int32Array;
  private readonly cache = new Map<string, number[]>();

  constructor(opts: BpeOptions) {
    this.vocab = opts.vocab;
    this.ignoreMerges = opts.ignoreMerges ?? false;
    this.unkId = opts.unkToken != null ? opts.vocab.get(opts.unkToken) : undefined;
    this.fuseUnk = opts.fuseUnk ?? false;
    this.byteIds = opts.byteFallback ? Int32Array.from({ length: 256 }, (_, b) => opts.vocab.get(byteTokenName(b)) ?? -1) : null;
    this.mergeResult = new Int32Array(opts.merges.length);
    opts.merges.forEach(([a, b], rank) => {
      const ia = this.vocab.get(a);
      const ib = this.vocab.get(b);
      const merged = this.vocab.get(a + b);
      if (ia === undefined || ib === undefined || merged === undefined) {
        throw new Error(`BPE merge #${rank} (${JSON.stringify(a)} ${JSON.stringify(b)}) uses a token missing from the vocab`);
      }
      const key = ia * PAIR_SHIFT + ib;
      // The first (lowest-rank) occurrence of a pair wins, as in HF.
      if (!this.mergeRank.has(key)) {
        this.mergeRank.set(key, rank);
        this.mergeResult[rank] = merged;
      }
    });
  }

  /** Ids for one byte-level word (the output of the pre-tokenizer for one piece). */
  encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const ids = this.encodeUncached(word);
    if (word.length <= CACHE_MAX_WORD) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  private encodeUncached(word: string): number[] {
    if (this.ignoreMerges) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) return [whole];
    }
    // Initial symbols: one per character; byte fallback may spell one as up to 4 byte tokens.
    const n = word.length;
    const ids = new Int32Array(3 * n); // a 1-unit char has up to 3 UTF-8 bytes, a 2-unit one 4
    let m = 0;
    let lastUnk = false;
    for (let i = 0; i < n; ) {
      const c = word.charCodeAt(i);
      const units = c >= 0xd800 && c <= 0xdbff && i + 1 < n ? 2 : 1; // a surrogate pair is one character
      const ch = units === 1 ? word[i]! : word.slice(i, i + 2);
      i += units;
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        ids[m++] = id;
        lastUnk = false;
        continue;
      }
      if (this.byteIds !== null) {
        const bytes = utf8.encode(ch);
        if (bytes.every((b) => this.byteIds![b]! >= 0)) {
          for (const b of bytes) ids[m++] = this.byteIds[b]!;
          lastUnk = false;
          continue;
        }
      }
      if (this.unkId === undefined) throw new Error(`BPE: character ${JSON.stringify(ch)} is not in the vocab and there is no unk token`);
      if (!(this.fuseUnk && lastUnk)) ids[m++] = this.unkId;
      lastUnk = true;
    }
    if (m <= 1) return Array.from(ids.subarray(0, m));

    // Doubly linked list over symbol slots; a merge keeps the left slot and kills the right.
    const prev = new Int32Array(m);
    const next = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < m ? i + 1 : -1;
    }
    const heap = new MinHeap();
    const pushPair = (left: number): void => {
      const right = next[left]!;
      if (right < 0) return;
      const rank = this.mergeRank.get(ids[left]! * PAIR_SHIFT + ids[right]!);
      if (rank !== undefined) heap.push(rank * POS_SHIFT + left);
    };
    for (let i = 0; i < m - 1; i++) pushPair(i);

    while (heap.size > 0) {
      const top = heap.pop();
      const rank = Math.floor(top / POS_SHIFT);
      const left = top - rank * POS_SHIFT;
      const right = next[left]!;
      // Stale entry: the slot was merged away (-2), is now last, or now forms a different pair.
      if (right < 0 || prev[left] === -2) continue;
      if (this.mergeRank.get(ids[left]! * PAIR_SHIFT + ids[right]!) !== rank) continue;
      ids[left] = this.mergeResult[rank]!;
      const after = next[right]!;
      next[left] = after;
      if (after >= 0) prev[after] = left;
      prev[right] = -2; // mark dead
      next[right] = -1;
      if (prev[left]! >= 0) pushPair(prev[left]!);
      pushPair(left);
    }

    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
    return out;
  }
}

/** Minimal binary min-heap of numbers. */
class MinHeap {
  private items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(v: number): void {
    const a = this.items;
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
