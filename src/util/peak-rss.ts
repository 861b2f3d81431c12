// Peak resident memory of this process: the number a user compares with their machine's RAM
// (what `/usr/bin/time -v` calls "Maximum resident set size"). peakRssBytes is the process's
// peak (benchmark results); peakRssMeter measures the peak of one part of a process where Linux
// allows resetting it: writing "5" to /proc/self/clear_refs sets VmHWM back to the current RSS
// (Linux >= 4.0). Where that fails (not Linux, no permission), the meter reports the process's
// peak since it started and its `scope` says so.
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

export interface PeakRss {
  /** Peak RSS in KiB over `scope`. */
  peakKiB: number;
  /** RSS when the measurement started (memory freed by an earlier run may still be held by the allocator). */
  startKiB: number | null;
  /** 'run': VmHWM was reset when the measurement started; 'process': the process's peak since it started. */
  scope: 'run' | 'process';
}

function status(field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Starts a peak measurement; the returned function reads the peak since then (or since the process started). */
export function peakRssMeter(): () => PeakRss {
  let reset = false;
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
    reset = status('VmHWM') !== null;
  } catch {
    reset = false;
  }
  const startKiB = status('VmRSS');
  return () => ({
    peakKiB: (reset ? status('VmHWM') : null) ?? process.resourceUsage().maxRSS,
    startKiB,
    scope: reset ? 'run' : 'process',
  });
}
