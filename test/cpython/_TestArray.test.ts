// Port of CPython's _TestArray (Lib/test/_test_multiprocessing.py), "processes" flavour.
// `arr[4:8] = seq[4:8] = array('i', [1, 2, 3, 4])` is spelled with set_slice (API.md).
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import { array_f } from "../fixtures/cpython/sharedctypes.js";
import { track } from "../helpers/processes.js";

function test_array(raw = false): void {
  const seq = [680, 626, 934, 821, 150, 233, 548, 982, 714, 831];
  const arr: any = raw ? mp.RawArray("i", seq) : mp.Array("i", seq);

  expect(mp.py.len(arr)).toBe(seq.length);
  expect(arr[3]).toBe(seq[3]);
  expect([...arr.slice(2, 7)]).toEqual(seq.slice(2, 7));

  const four = [1, 2, 3, 4];
  arr.set_slice(4, 8, four);
  seq.splice(4, 4, ...four);

  expect([...arr.slice()]).toEqual(seq);

  array_f(seq);

  const p = track(new mp.Process({ target: array_f, args: [arr] }));
  p.daemon = true;
  p.start();
  p.join();

  expect([...arr.slice()]).toEqual(seq);
}

describe("_TestArray", () => {
  test("test_array: an Array indexes and slices like the list it came from, and sees a child's updates", () => {
    test_array();
  });

  test("test_array_from_size: an Array made from a size is zeroed, three times over", () => {
    const size = 10;
    for (let k = 0; k < 3; k++) {
      const arr: any = mp.Array("i", size);
      expect(mp.py.len(arr)).toBe(size);
      expect([...arr]).toEqual(Array(size).fill(0));
      arr.set_slice(0, size, mp.py.range(10));
      expect([...arr]).toEqual([...mp.py.range(10)]);
    }
  });

  test("test_rawarray: a RawArray indexes and slices like the list it came from, and sees a child's updates", () => {
    test_array(true);
  });

  test("test_getobj_getlock_obj: get_lock()/get_obj() follow the lock argument, and lock=False or RawArray has neither", () => {
    const arr1 = mp.Array("i", [...mp.py.range(10)]);
    arr1.get_lock();
    arr1.get_obj();

    const arr2 = mp.Array("i", [...mp.py.range(10)], { lock: null });
    arr2.get_lock();
    arr2.get_obj();

    const lock = mp.Lock();
    const arr3 = mp.Array("i", [...mp.py.range(10)], { lock });
    const lock3 = arr3.get_lock();
    arr3.get_obj();
    expect(lock3).toBe(lock);

    const arr4 = mp.Array("i", mp.py.range(10), { lock: false });
    expect("get_lock" in arr4).toBe(false);
    expect("get_obj" in arr4).toBe(false);
    expect(() => mp.Array("i", mp.py.range(10), { lock: "notalock" as any })).toThrow(expect.objectContaining({ name: "AttributeError" }));

    const arr5 = mp.RawArray("i", mp.py.range(10));
    expect("get_lock" in arr5).toBe(false);
    expect("get_obj" in arr5).toBe(false);
  });
});
