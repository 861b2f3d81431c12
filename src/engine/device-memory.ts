// The one device-memory query: how many bytes a run may plan with on a device.
//
// Accelerators report their own memory (total, or what the caching allocator and driver leave
// free); the CPU reports host RAM. Every command that sizes work from memory asks here.
import * as os from 'node:os';
import { deviceCaps } from './device.js';
import * as cuda from './cuda.js';

/**
 * Memory on `device` in bytes. 'total': the device's capacity (host RAM on CPU); 'free': what is
 * free now (os.freemem() on CPU). An accelerator that is not visible reports 0.
 */
export function deviceMemoryBytes(device: string, which: 'total' | 'free' = 'total'): number {
  if (!deviceCaps(device).deviceMemory) return which === 'total' ? os.totalmem() : os.freemem();
  if (!cuda.isAvailable()) return 0;
  const s = cuda.memoryStats(device);
  return which === 'total' ? s.totalBytes : s.freeBytes;
}
