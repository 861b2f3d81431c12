// A response cut off by the length limit while writing its final box has no answer: the box's
// content is whatever the model had written so far. The training reward never credits it,
// whatever the reward mode or preset (the paper's grader gave such a response 0 as well).
import { findBoxes, matchBrace } from './latex.js';

/** Whether the last `\boxed{`/`\fbox{` of `text` never closes. */
export function endsInUnclosedBox(text: string): boolean {
  // Fast path: no box, or balanced braces from the first box on (no box can be left open).
  const a = text.indexOf('\\boxed');
  const b = text.indexOf('\\fbox');
  const first = a < 0 ? b : b < 0 ? a : Math.min(a, b);
  if (first < 0) return false;
  let depth = 0;
  for (let i = first; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92)
      i++; // backslash: skip the escaped character (\{ is not a brace)
    else if (c === 123) depth++;
    else if (c === 125 && depth > 0) depth--;
  }
  if (depth === 0) return false;
  const boxes = findBoxes(text);
  const last = boxes[boxes.length - 1];
  if (!last || last.end !== text.length) return false;
  const open = text.indexOf('{', last.start);
  return open >= 0 && matchBrace(text, open) < 0;
}
