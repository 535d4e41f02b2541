// Port of CPython's _TestEvent (Lib/test/_test_multiprocessing.py), "processes" flavour.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/sync.js";
import { track } from "../helpers/processes.js";
import { TIMEOUT1, TimingWrapper, assertTimingAlmostEqual } from "./support.js";

describe("_TestEvent", () => {
  test("test_event: wait() times out while unset, returns True once set, and wakes when a child sets it", () => {
    const event = mp.Event();
    const wait = new TimingWrapper(event.wait.bind(event));
    expect(event.is_set()).toBe(false);
    expect(wait.call(0.0)).toBe(false);
    assertTimingAlmostEqual(wait.elapsed!, 0.0);
    expect(wait.call(TIMEOUT1)).toBe(false);
    assertTimingAlmostEqual(wait.elapsed!, TIMEOUT1);

    event.set();

    expect(event.is_set()).toBe(true);
    expect(wait.call()).toBe(true);
    assertTimingAlmostEqual(wait.elapsed!, 0.0);
    expect(wait.call(TIMEOUT1)).toBe(true);
    assertTimingAlmostEqual(wait.elapsed!, 0.0);

    event.clear();

    const p = track(new mp.Process({ target: f.test_event, args: [event] }));
    p.daemon = true;
    p.start();
    expect(wait.call()).toBe(true);
    p.join();
  });

  test("test_repr: an Event's repr says whether it is set", () => {
    const event = mp.Event();
    expect(mp.py.repr(event)).toMatch(/<Event at .* unset>/);
    event.set();
    expect(mp.py.repr(event)).toMatch(/<Event at .* set>/);
    event.clear();
    expect(mp.py.repr(event)).toMatch(/<Event at .* unset>/);
  });
});
