// Peak resident memory of this process, for benchmark results: the number a user compares with
// their machine's RAM (what `/usr/bin/time -v` calls "Maximum resident set size").
import * as fs from 'node:fs';

/**
 * Peak RSS of this process in bytes: VmHWM from /proc/self/status (Linux), else
 * process.resourceUsage().maxRSS (KiB on every platform Node supports).
 */
export function peakRssBytes(status?: string): number {
  let text = status;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/status', 'utf8');
    } catch {
      text = '';
    }
  }
  const m = /^VmHWM:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}
