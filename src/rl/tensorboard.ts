// TensorBoard event files (`--log tensorboard`, run setting `log: ["tensorboard"]`): the
// scalars of metrics.jsonl per step and the sampled responses of rollouts.jsonl as text, in
// runDir/tensorboard/events.out.tfevents.*, for `tensorboard --logdir runs/`.
//
// Written here, not with an npm package: the only Node TFRecord writer on the registry
// (@roboflow/tfrecords 1.0.4, last published 2020, five dependencies) writes tf.Example records,
// not the Event protocol buffers TensorBoard reads; the format is small:
// - TFRecord framing (tensorflow/core/lib/io/record_writer.cc): uint64 length, uint32
//   masked CRC32C of the length, the bytes, uint32 masked CRC32C of the bytes (little-endian);
//   mask = ((crc >>> 15) | (crc << 17)) + 0xa282ead8.
// - tensorflow/core/util/event.proto: Event { double wall_time = 1; int64 step = 2;
//   string file_version = 3; Summary summary = 5; SessionLog session_log = 7; }
// - tensorflow/core/framework/summary.proto: Summary { repeated Value value = 1; }
//   Value { string tag = 1; float simple_value = 2; TensorProto tensor = 8; SummaryMetadata metadata = 9; }
//   SummaryMetadata { PluginData plugin_data = 1; } PluginData { string plugin_name = 1; }
// - tensor.proto: TensorProto { DataType dtype = 1 (DT_STRING = 7); TensorShapeProto tensor_shape = 2;
//   repeated bytes string_val = 8; } (a scalar: an empty shape), as tensorboard's text plugin writes it.
// - SessionLog { SessionStatus status = 1 (START = 1); }: written at the start of every process's
//   event file, at the first step it writes; when a run resumes at step s, TensorBoard drops the
//   events of steps >= s written before the interruption (its purge_orphaned_data), as
//   rollouts.jsonl and metrics.jsonl are cut back.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// ---- CRC32C (Castagnoli), table-driven ----
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, its masked CRC. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

// ---- protocol buffer encoding (the few wire types needed) ----
class Pb {
  private parts: number[] = [];
  private varint(v: number | bigint): void {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n; // two's complement, as int64 is encoded
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.parts.push(b);
    } while (x > 0n);
  }
  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(Math.trunc(v));
    return this;
  }
  double(field: number, v: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.parts.push(...b);
    return this;
  }
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.parts.push(...b);
    return this;
  }
  bytes(field: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? new TextEncoder().encode(v) : v;
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  message(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function event(step: number, fill?: (e: Pb) => void): Pb {
  const e = new Pb().double(1, Date.now() / 1000).int(2, step);
  fill?.(e);
  return e;
}

/** Appends events to one event file of `dir`. */
export class TensorBoardWriter {
  readonly file: string;
  private fd: number;

  /** Opens a new event file; `startStep`: the first step this session writes (a SessionLog START there). */
  constructor(dir: string, startStep: number) {
    fs.mkdirSync(dir, { recursive: true });
    // TensorBoard reads files whose name holds "tfevents", in name order: one file per process start.
    this.file = path.join(dir, `events.out.tfevents.${(Date.now() / 1000).toFixed(6)}.${os.hostname()}.${process.pid}`);
    this.fd = fs.openSync(this.file, 'a');
    this.write(event(0, (e) => e.bytes(3, 'brain.Event:2')));
    // Every session starts with a START: TensorBoard takes the first as the run's start and each
    // later one as a restart that drops the steps >= its step seen before (a resumed run's reruns).
    this.write(event(startStep, (e) => e.message(7, new Pb().int(1, 1))));
  }

  private write(e: Pb): void {
    fs.writeSync(this.fd, tfRecord(e.finish()));
  }

  /** Scalars of one step (non-finite values are skipped). */
  scalars(step: number, values: Record<string, number>): void {
    const summary = new Pb();
    let n = 0;
    for (const [tag, v] of Object.entries(values)) {
      if (!Number.isFinite(v)) continue;
      summary.message(1, new Pb().bytes(1, tag).float(2, v));
      n++;
    }
    if (n > 0) this.write(event(step, (e) => e.message(5, summary)));
  }

  /** A text (markdown) summary: TensorBoard's Text tab. */
  text(step: number, tag: string, markdown: string): void {
    const tensor = new Pb().int(1, 7).message(2, new Pb()).bytes(8, markdown);
    const metadata = new Pb().message(1, new Pb().bytes(1, 'text'));
    const value = new Pb().bytes(1, tag).message(8, tensor).message(9, metadata);
    this.write(event(step, (e) => e.message(5, new Pb().message(1, value))));
  }

  flush(): void {
    fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** The numbers of a metrics row as scalar tags: train/<key>, nested objects as train/<key>/<name> (validation: validation/<name>). */
export function metricScalars(m: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) {
    if (k === 'step') continue;
    if (typeof v === 'number') out[`train/${k}`] = v;
    else if (typeof v === 'boolean') out[`train/${k}`] = v ? 1 : 0;
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [n, x] of Object.entries(v)) if (typeof x === 'number') out[k === 'validation' ? `validation/${n}` : `train/${k}/${n}`] = x;
    }
  }
  return out;
}
