// Peak resident memory of this process, resettable where Linux allows it: writing "5" to
// /proc/self/clear_refs sets VmHWM back to the current RSS (Linux >= 4.0), so one process can
// report the peak of each of several runs. Where that fails (not Linux, no permission), the peak
// is the process's since it started (process.resourceUsage().maxRSS) and `scope` says so.
import * as fs from 'node:fs';

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
