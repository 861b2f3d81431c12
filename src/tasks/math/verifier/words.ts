// Numbers written in words ("five", "twenty-one", "one hundred and five", "two thousand") and
// verbal set descriptions ("all real numbers", "no solution(s)"), as the values they name.
// English only; the number grammar is the usual short scale (units, tens, hundred, thousand,
// million, billion), the one models write when they spell an answer out.

const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const SCALES: Record<string, bigint> = { thousand: 1000n, million: 1000000n, billion: 1000000000n, trillion: 1000000000000n };

/** The integer a phrase of number words names, or null ("twenty-one" → 21, "a hundred" → 100). */
export function wordsToNumber(input: string): bigint | null {
  const s = input.toLowerCase().trim().replace(/[-,]/g, ' ');
  if (!/^[a-z ]+$/.test(s) || s.length > 120) return null;
  const words = s.split(/\s+/).filter((w) => w !== 'and');
  if (words.length === 0) return null;
  let neg = false;
  if (words[0] === 'minus' || words[0] === 'negative') {
    neg = true;
    words.shift();
  }
  let total = 0n;
  let group = 0n;
  let seen = false;
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    if (w === 'a' && k === 0 && words.length > 1) {
      group = 1n;
      continue;
    }
    if (w in UNITS) group += BigInt(UNITS[w]!);
    else if (w in TENS) group += BigInt(TENS[w]!);
    else if (w === 'hundred') group = (group || 1n) * 100n;
    else if (w in SCALES) {
      total += (group || 1n) * SCALES[w]!;
      group = 0n;
    } else return null;
    seen = true;
  }
  if (!seen) return null;
  const v = total + group;
  return neg ? -v : v;
}

/** A verbal description of a set: the LaTeX it means, or null. */
export function verbalSet(input: string): string | null {
  const s = input.toLowerCase().replace(/\s+/g, ' ').replace(/[.]$/, '').trim();
  if (
    /^(?:x ?\\?in ?)?(?:all|any|every) real(?: numbers?| values?(?: of [a-z])?)?$|^(?:all )?reals$|^the (?:set of )?real numbers$|^\(?-\\infty ?, ?\\infty\)?$/.test(
      s,
    )
  )
    return '\\mathbb{R}';
  if (/^(?:there (?:is|are) )?no (?:real )?(?:solutions?|roots?|values?|such [a-z]+)(?: exists?)?$|^(?:the )?empty set$|^none$|^no such [a-z]+$/.test(s))
    return '\\emptyset';
  return null;
}

/** A base written in words or after "base": 101_{\text{two}}, 101_{two}, 101 in base 2, 101 (base two). */
export function baseInWords(s: string): string {
  const num = (w: string) => (/^\d{1,2}$/.test(w) ? w : (wordsToNumber(w)?.toString() ?? null));
  const sub = /^(.*?)_\{?(?:\\text\s*\{)?\s*([A-Za-z]{3,12})\s*\}?\}?$/.exec(s);
  if (sub) {
    const b = num(sub[2]!);
    if (b) return `${sub[1]}_{${b}}`;
  }
  const plain = s
    .replace(/\\text\s*\{([^{}]*)\}/g, ' $1 ')
    .replace(/\s+/g, ' ')
    .trim();
  const phrase = /^(.*?)\s*\(?\s*(?:in\s+)?base[\s-]+([A-Za-z]{3,12}|\d{1,2})\s*\)?$/.exec(plain);
  if (phrase && /^[\s(]*[0-9A-Za-z]+[\s)]*$/.test(phrase[1]!)) {
    const b = num(phrase[2]!);
    if (b) return `${phrase[1]!.trim()}_{${b}}`;
  }
  return s;
}
