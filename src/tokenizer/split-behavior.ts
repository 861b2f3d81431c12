// How a Split pre-tokenizer cuts a piece around the pattern's matches (HF's SplitDelimiterBehavior).
//
// For "the-final--countdown" split on "-":
//   Isolated            the | - | final | - | - | countdown
//   MergedWithPrevious  the- | final- | - | countdown
//   MergedWithNext      the | -final | - | -countdown
//   Removed             the | final | countdown
//   Contiguous          the | - | final | -- | countdown
// Gemma 3's tokenizer.json asks for MergedWithPrevious on " ", after a normalizer that has
// already turned every space into "▁": there it never cuts, but it must be understood.

export type SplitBehavior = 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Removed' | 'Contiguous';

export const SPLIT_BEHAVIORS: readonly SplitBehavior[] = ['Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Removed', 'Contiguous'];

/** Appends the non-empty pieces of `text` cut at the matches of `re` (flags g) to `out`. */
export function splitWith(text: string, re: RegExp, behavior: SplitBehavior, out: string[]): void {
  // Alternating spans: [start, end, isMatch], covering the text in order.
  const spans: Array<[number, number, boolean]> = [];
  re.lastIndex = 0;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++; // an empty match cuts nothing
      continue;
    }
    if (m.index > last) spans.push([last, m.index, false]);
    spans.push([m.index, m.index + m[0].length, true]);
    last = m.index + m[0].length;
  }
  if (last < text.length) spans.push([last, text.length, false]);

  const push = (a: number, b: number) => {
    if (b > a) out.push(text.slice(a, b));
  };
  switch (behavior) {
    case 'Isolated':
      for (const [a, b] of spans) push(a, b);
      return;
    case 'Removed':
      for (const [a, b, isMatch] of spans) if (!isMatch) push(a, b);
      return;
    case 'MergedWithPrevious': {
      let start = 0;
      for (const [, b, isMatch] of spans) {
        if (isMatch) {
          push(start, b);
          start = b;
        }
      }
      push(start, text.length);
      return;
    }
    case 'MergedWithNext': {
      let start = 0;
      for (const [a, , isMatch] of spans) {
        if (isMatch) {
          push(start, a);
          start = a;
        }
      }
      push(start, text.length);
      return;
    }
    case 'Contiguous': {
      let i = 0;
      while (i < spans.length) {
        const [a, , isMatch] = spans[i]!;
        let b = spans[i]![1];
        // Adjacent matches join into one piece.
        while (isMatch && i + 1 < spans.length && spans[i + 1]![2]) b = spans[++i]![1];
        push(a, b);
        i++;
      }
      return;
    }
  }
}
