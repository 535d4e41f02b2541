// Port of CPython's _TestPoolWorkerErrors (Lib/test/_test_multiprocessing.py).
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/pool.js";

describe("_TestPoolWorkerErrors", () => {
  test("test_async_error_callback: a failing task's error reaches error_callback and get()", () => {
    const p = mp.Pool(2);
    const scratchpad: unknown[] = [null];
    const errback = (exc: unknown) => {
      scratchpad[0] = exc;
    };
    const res = p.apply_async(f.raising, [], {}, null, errback);
    expect(() => res.get()).toThrow(mp.py.KeyError);
    expect(scratchpad[0]).toBeTruthy();
    expect(scratchpad[0]).toBeInstanceOf(mp.py.KeyError);
    p.close();
    p.join();
  });

  test("test_unpickleable_result: a result that cannot be pickled raises MaybeEncodingError, twenty times, without losing workers", () => {
    const p = mp.Pool(2);
    for (let iteration = 0; iteration < 20; iteration++) {
      const scratchpad: any[] = [null];
      const errback = (exc: unknown) => {
        scratchpad[0] = exc;
      };
      const res = p.apply_async(f.unpickleable_result, [], {}, null, errback);
      expect(() => res.get()).toThrow(expect.objectContaining({ name: "MaybeEncodingError" }));
      const wrapped = scratchpad[0];
      expect(wrapped).toBeTruthy();
      expect(wrapped.name).toBe("MaybeEncodingError");
      expect(wrapped.exc).not.toBe(null);
      expect(wrapped.exc).not.toBeUndefined();
      expect(wrapped.value).not.toBe(null);
      expect(wrapped.value).not.toBeUndefined();
    }
    p.close();
    p.join();
  });
});
