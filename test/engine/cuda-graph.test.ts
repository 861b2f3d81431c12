// CUDA graph capture's error order (src/engine/cuda.ts), with a fake addon: no GPU is needed for
// the logic that decides which error the user sees. When the captured work fails, ending the
// abandoned capture fails too (an invalidated capture); the work's error is the root cause and is
// what propagates, and capture is still ended (the native end restores the stream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CUDAGraph, type GraphNative } from '../../src/engine/cuda.js';
import type { GraphHandle } from '../../src/engine/native.js';

function fake(o: { beginFails?: boolean; endFails?: boolean } = {}): { lib: GraphNative; calls: string[] } {
  const calls: string[] = [];
  const h = {} as GraphHandle;
  const lib: GraphNative = {
    graphNew: (d) => {
      calls.push(`new ${d}`);
      return h;
    },
    graphCaptureBegin: () => {
      calls.push('begin');
      if (o.beginFails) throw new Error('capture_begin failed');
    },
    graphCaptureEnd: () => {
      calls.push('end');
      if (o.endFails) throw new Error('operation failed due to a previous error during capture');
    },
    graphRegisterGenerator: () => {
      calls.push('register');
    },
    graphReplay: () => {
      calls.push('replay');
    },
    graphReset: () => {
      calls.push('reset');
    },
  };
  return { lib, calls };
}

test("the captured work's error is what the user sees; capture is still ended", () => {
  const { lib, calls } = fake({ endFails: true });
  const g = new CUDAGraph('cuda:1', lib);
  let caught: unknown;
  try {
    g.capture(() => {
      calls.push('work');
      throw new Error('the root cause: an op synchronised during capture');
    });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error);
  assert.match(caught.message, /the root cause/);
  assert.match(String((caught as Error & { captureEndError?: Error }).captureEndError?.message), /previous error during capture/);
  assert.deepEqual(calls, ['new 1', 'begin', 'work', 'end']);
});

test("a failing end with successful work propagates the end's error; a failing begin runs nothing", () => {
  const a = fake({ endFails: true });
  assert.throws(() => new CUDAGraph(0, a.lib).capture(() => 7), /previous error during capture/);
  const b = fake({ beginFails: true });
  let ran = false;
  assert.throws(
    () =>
      new CUDAGraph(0, b.lib).capture(() => {
        ran = true;
      }),
    /capture_begin failed/,
  );
  assert.equal(ran, false);
  assert.deepEqual(b.calls, ['new 0', 'begin']);
});

test("a successful capture returns the work's value and ends once", () => {
  const { lib, calls } = fake();
  assert.equal(
    new CUDAGraph('cuda:2', lib).capture(() => 42),
    42,
  );
  assert.deepEqual(calls, ['new 2', 'begin', 'end']);
});
