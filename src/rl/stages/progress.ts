// Progress lines while a step generates: on a terminal one line rewritten in place, elsewhere
// (logs) plain lines; with a log callback, every line goes to it.

export class Progress {
  constructor(private readonly log: ((line: string) => void) | undefined) {}

  /** A throttled callback for the rollouts of step `step` (tokens, tok/s, rows still generating). */
  rollouts(step: number, start: number, rows: number): (tokens: number, active: number) => void {
    let last = 0;
    return (tokens, active) => {
      const now = performance.now();
      if (now - last < 2000) return;
      last = now;
      const rate = tokens / ((now - start) / 1000);
      this.line(`  step ${step} rollouts: ${tokens} tokens, ${rate.toFixed(0)} tok/s, ${active}/${rows} still generating`);
    };
  }

  /** Writes `text`; null ends a rewritten line. */
  line(text: string | null): void {
    if (this.log) {
      if (text) this.log(text);
      return;
    }
    if (process.stderr.isTTY) process.stderr.write(text === null ? '\r\x1b[K' : `\r\x1b[K${text}`);
    else if (text) process.stderr.write(text + '\n');
  }
}
