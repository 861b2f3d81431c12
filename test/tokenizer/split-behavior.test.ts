// The Split pre-tokenizer's five behaviours (src/tokenizer/split-behavior.ts) against HF
// tokenizers' own Split on the same strings and patterns. Gemma 3 asks for MergedWithPrevious on
// " "; the others are the rest of the same enum.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { translateRegex } from '../../src/tokenizer/pretokenize.js';
import { SPLIT_BEHAVIORS, splitWith } from '../../src/tokenizer/split-behavior.js';
import { generateStrings } from './parity-strings.js';

const PY = `
import json, sys
from tokenizers import Regex
from tokenizers.pre_tokenizers import Split
req = json.load(sys.stdin)
out = []
for pattern, is_regex, behavior in req["cases"]:
    split = Split(Regex(pattern) if is_regex else pattern, behavior=behavior.lower().replace("mergedwithprevious", "merged_with_previous").replace("mergedwithnext", "merged_with_next"))
    out.append([[p for p, _ in split.pre_tokenize_str(s)] for s in req["strings"]])
json.dump(out, sys.stdout)
`;

test('splitWith matches tokenizers Split for every behaviour, string and regex patterns', () => {
  const strings = ['the-final--countdown', '-a-', '--', 'a', '', ' two  spaces ', ...generateStrings(300, 5, ['-', '--', ' - '])];
  const patterns: Array<[string, boolean]> = [
    ['-', false],
    [' ', false],
    ['\\s+', true],
    ['\\p{N}+', true],
  ];
  const cases = patterns.flatMap(([p, isRegex]) => SPLIT_BEHAVIORS.map((b) => [p, isRegex, b] as const));
  const r = spawnSync('python3', ['-c', PY], { input: JSON.stringify({ cases, strings }), encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as string[][][];
  let compared = 0;
  cases.forEach(([pattern, isRegex, behavior], c) => {
    const re = isRegex ? translateRegex(pattern) : new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
    strings.forEach((s, i) => {
      const ours: string[] = [];
      splitWith(s, re, behavior, ours);
      assert.deepEqual(ours, expected[c]![i], `${behavior} on ${JSON.stringify(pattern)}: ${JSON.stringify(s)}`);
      compared++;
    });
  });
  assert.equal(compared, 20 * strings.length);
  // The documented example, spelled out.
  const out: string[] = [];
  splitWith('the-final--countdown', /-/gu, 'MergedWithPrevious', out);
  assert.deepEqual(out, ['the-', 'final-', '-', 'countdown']);
});
