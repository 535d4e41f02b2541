// Port of CPython's _TestSemaphore (Lib/test/_test_multiprocessing.py), "processes" flavour.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import { TIMEOUT1, TIMEOUT2, TIMEOUT3, TimingWrapper, assertReturnsIfImplemented, assertTimingAlmostEqual, get_value } from "./support.js";

function _test_semaphore(sem: mp.Semaphore): void {
  assertReturnsIfImplemented(2, get_value, sem);
  expect(sem.acquire()).toBe(true);
  assertReturnsIfImplemented(1, get_value, sem);
  expect(sem.acquire()).toBe(true);
  assertReturnsIfImplemented(0, get_value, sem);
  expect(sem.acquire(false)).toBe(false);
  assertReturnsIfImplemented(0, get_value, sem);
  expect(sem.release()).toBeUndefined();
  assertReturnsIfImplemented(1, get_value, sem);
  expect(sem.release()).toBeUndefined();
  assertReturnsIfImplemented(2, get_value, sem);
}

describe("_TestSemaphore", () => {
  test("test_semaphore: a Semaphore(2) counts down to 0, refuses a non-blocking acquire, and counts up past 2", () => {
    const sem = mp.Semaphore(2);
    _test_semaphore(sem);
    expect(sem.release()).toBeUndefined();
    assertReturnsIfImplemented(3, get_value, sem);
    expect(sem.release()).toBeUndefined();
    assertReturnsIfImplemented(4, get_value, sem);
  });

  test("test_bounded_semaphore: a BoundedSemaphore(2) counts like a Semaphore within its bound", () => {
    const sem = mp.BoundedSemaphore(2);
    _test_semaphore(sem);
  });

  test("test_timeout: acquire with block false and with timeouts returns False after the given time", () => {
    const sem = mp.Semaphore(0);
    const acquire = new TimingWrapper(sem.acquire.bind(sem));
    expect(acquire.call(false)).toBe(false);
    assertTimingAlmostEqual(acquire.elapsed!, 0.0);
    expect(acquire.call(false, null)).toBe(false);
    assertTimingAlmostEqual(acquire.elapsed!, 0.0);
    expect(acquire.call(false, TIMEOUT1)).toBe(false);
    assertTimingAlmostEqual(acquire.elapsed!, 0);
    expect(acquire.call(true, TIMEOUT2)).toBe(false);
    assertTimingAlmostEqual(acquire.elapsed!, TIMEOUT2);
    expect(acquire.call({ timeout: TIMEOUT3 })).toBe(false);
    assertTimingAlmostEqual(acquire.elapsed!, TIMEOUT3);
  });
});
