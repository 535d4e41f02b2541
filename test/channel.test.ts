// The shared-memory byte channel under Queue, Pipe and socket connections (src/shared/channel.ts):
// wake-ups that must never be lost, however two threads interleave.
import { Worker } from "node:worker_threads";
import { describe, expect, test } from "vitest";
import { Channel } from "../dist/shared/channel.js";

/** Closes the only writer of `n` channels while a reader thread is about to sleep on each. */
async function closeWhileReaderSleeps(n: number, spin: boolean): Promise<number> {
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const timeoutMs = 1000;
  const w = new Worker(new URL("./fixtures/channel_reader.mjs", import.meta.url), { workerData: { flag, spin, timeoutMs } });
  try {
    const slow = new Promise<number>((res, rej) => {
      w.once("message", res);
      w.once("error", rej);
    });
    for (let i = 1; i <= n; i++) {
      const ch = Channel.create(4096);
      w.postMessage(ch.sab);
      while (Atomics.load(flag, 0) !== i); // the reader is on its way to sleep
      // Land the close anywhere in the few microseconds between its last look and its sleep.
      const until = performance.now() + Math.random() * 0.01;
      while (performance.now() < until);
      ch.addHandle("writer", -1);
      const limit = performance.now() + 5 * timeoutMs;
      while (Atomics.load(flag, 1) !== i && performance.now() < limit);
    }
    w.postMessage(null);
    return await slow;
  } finally {
    await w.terminate();
  }
}

describe("Channel", () => {
  // Before the fix about 1 read in 250-1,000 slept its whole timeout (forever for a recv() without one):
  // the reader slept on the unchanged tail after the close's notify had gone.
  test("a reader about to sleep for data wakes at once when the last writer closes", async () => {
    expect(await closeWhileReaderSleeps(10_000, false)).toBe(0);
  });

  test("a reader with an adaptive spin (socket connections) wakes at once when the last writer closes", async () => {
    expect(await closeWhileReaderSleeps(10_000, true)).toBe(0);
  });
});
