// A response cut off by the length limit while writing its final box has no answer: the box's
// content is whatever the model had written so far. The training reward never credits it,
// whatever the reward mode or preset (the paper's grader gave such a response 0 as well).
import { findBoxes, matchBrace } from './latex.js';

/** Whether the last `\boxed{`/`\fbox{` of `text` never closes. */
export function endsInUnclosedBox(text: string): boolean {
  const boxes = findBoxes(text);
  const last = boxes[boxes.length - 1];
  if (!last || last.end !== text.length) return false;
  const open = text.indexOf('{', last.start);
  return open >= 0 && matchBrace(text, open) < 0;
}
