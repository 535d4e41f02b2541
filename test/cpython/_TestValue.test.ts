// Port of CPython's _TestValue (Lib/test/_test_multiprocessing.py), "processes" flavour.
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";
import { codes_values, value_test } from "../fixtures/cpython/sharedctypes.js";
import { track } from "../helpers/processes.js";

function test_value(raw = false): void {
  const values = raw
    ? codes_values.map(([code, value]) => mp.RawValue(code as "i", value as number))
    : codes_values.map(([code, value]) => mp.Value(code as "i", value as number));
  values.forEach((sv, i) => expect(sv.value).toEqual(codes_values[i]![1]));

  const proc = track(new mp.Process({ target: value_test, args: [values] }));
  proc.daemon = true;
  proc.start();
  proc.join();

  values.forEach((sv, i) => expect(sv.value).toEqual(codes_values[i]![2]));
}

describe("_TestValue", () => {
  test("test_value: Values of five typecodes hold their values and see a child's stores", () => {
    test_value();
  });

  test("test_rawvalue: RawValues of five typecodes hold their values and see a child's stores", () => {
    test_value(true);
  });

  test("test_getobj_getlock: get_lock()/get_obj() follow the lock argument, and lock=False or RawValue has neither", () => {
    const val1 = mp.Value("i", 5);
    val1.get_lock();
    val1.get_obj();

    const val2 = mp.Value("i", 5, { lock: null });
    val2.get_lock();
    val2.get_obj();

    const lock = mp.Lock();
    const val3 = mp.Value("i", 5, { lock });
    const lock3 = val3.get_lock();
    val3.get_obj();
    expect(lock3).toBe(lock);

    const arr4 = mp.Value("i", 5, { lock: false });
    expect("get_lock" in arr4).toBe(false);
    expect("get_obj" in arr4).toBe(false);

    expect(() => mp.Value("i", 5, { lock: "navalue" as any })).toThrow(expect.objectContaining({ name: "AttributeError" }));

    const arr5 = mp.RawValue("i", 5);
    expect("get_lock" in arr5).toBe(false);
    expect("get_obj" in arr5).toBe(false);
  });
});
