// Port of CPython's TestSimpleQueue (Lib/test/_test_multiprocessing.py).
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/misc.js";
import { track } from "../helpers/processes.js";

describe("TestSimpleQueue", () => {
  test("test_empty: empty() is right in the parent and in a child, before and after the child's puts", () => {
    const queue = mp.SimpleQueue();
    const child_can_start = mp.Event();
    const parent_can_continue = mp.Event();

    const proc = track(new mp.Process({ target: f._test_empty, args: [queue, child_can_start, parent_can_continue] }));
    proc.daemon = true;
    proc.start();

    expect(queue.empty()).toBe(true);

    child_can_start.set();
    parent_can_continue.wait();

    expect(queue.empty()).toBe(false);
    expect(queue.get()).toBe(true);
    expect(queue.get()).toBe(false);
    expect(queue.empty()).toBe(true);

    proc.join();
  });

  test("test_close: closing a SimpleQueue twice does not fail", () => {
    const queue = mp.SimpleQueue();
    queue.close();
    // closing a queue twice should not fail
    queue.close();
  });

  // CPython's test is cpython_only, on the private _reader and _writer Connections; this
  // SimpleQueue has one private channel for both ends, `_ch`, whose handle close() closes.
  test("test_closed: close() closes the queue's private handle (reader and writer)", () => {
    const queue = mp.SimpleQueue();
    queue.close();
    expect(() => queue._ch).toThrow(expect.objectContaining({ name: "OSError", message: "handle is closed" }));
  });
});
