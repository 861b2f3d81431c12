// The one device-memory query: how many bytes a run may plan with on a device.
//
// Accelerators report their own memory (total, or what the caching allocator and driver leave
// free); the CPU reports host RAM. Every command that sizes work from memory asks here.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { deviceCaps } from './device.js';
import * as cuda from './cuda.js';

/**
 * Memory on `device` in bytes. 'total': the device's capacity (host RAM on CPU); 'free': what is
 * free now (os.freemem() on CPU); 'available': on CPU, what this process may still grow to
 * (availableHostBytes() + its own resident memory), on an accelerator the same as 'total'.
 * An accelerator that is not visible reports 0.
 */
export function deviceMemoryBytes(device: string, which: 'total' | 'free' | 'available' = 'total'): number {
  if (!deviceCaps(device).deviceMemory) {
    if (which === 'available') return availableHostBytes() + process.memoryUsage().rss;
    return which === 'total' ? os.totalmem() : os.freemem();
  }
  if (!cuda.isAvailable()) return 0;
  const s = cuda.memoryStats(device);
  return which === 'free' ? s.freeBytes : s.totalBytes;
}

/**
 * Host memory that can be had now without swapping: MemAvailable of /proc/meminfo (Linux: free
 * memory plus reclaimable page cache), else os.freemem(). `meminfo`: the file's text (tests).
 */
export function availableHostBytes(meminfo?: string): number {
  let text = meminfo;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/meminfo', 'utf8');
    } catch {
      text = '';
    }
  }
  const m = /^MemAvailable:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : os.freemem();
}
