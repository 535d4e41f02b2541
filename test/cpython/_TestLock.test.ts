// Port of CPython's _TestLock (Lib/test/_test_multiprocessing.py), "processes" flavour.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";

describe("_TestLock", () => {
  test("test_lock: acquire, a failed non-blocking acquire, release, and a second release raises", () => {
    const lock = mp.Lock();
    expect(lock.acquire()).toBe(true);
    expect(lock.acquire(false)).toBe(false);
    expect(lock.release()).toBeUndefined();
    expect(() => lock.release()).toThrow(expect.objectContaining({ name: expect.stringMatching(/^(ValueError|ThreadError)$/) }));
  });

  test("test_rlock: an RLock is acquired three times, released three times, and a fourth release raises", () => {
    const lock = mp.RLock();
    expect(lock.acquire()).toBe(true);
    expect(lock.acquire()).toBe(true);
    expect(lock.acquire()).toBe(true);
    expect(lock.release()).toBeUndefined();
    expect(lock.release()).toBeUndefined();
    expect(lock.release()).toBeUndefined();
    expect(() => lock.release()).toThrow(expect.objectContaining({ name: expect.stringMatching(/^(AssertionError|RuntimeError)$/) }));
  });

  test("test_lock_context: a Lock works as a context manager", () => {
    const lock = mp.Lock();
    lock.with(() => {});
    // the `using` form: acquire, then release at the end of the scope
    {
      lock.acquire();
      using _held = lock;
    }
    expect(lock.acquire(false)).toBe(true);
  });
});
