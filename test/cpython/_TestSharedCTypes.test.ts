// Port of CPython's _TestSharedCTypes (Lib/test/_test_multiprocessing.py), "processes" flavour:
// Values of int, double, long long and a Structure, a double Array and a char Array, doubled by
// a child, with and without locks; and copy() of a Structure. c_longlong values are bigints.
import mp from "multiprocessing-ts";
import { Array as SharedArray, Value, copy, ctypes } from "multiprocessing-ts/sharedctypes";
import { describe, expect, test } from "vitest";
import * as f from "../fixtures/cpython/misc.js";
import { track } from "../helpers/processes.js";

const latin = (s: string): Buffer => Buffer.from(s, "latin1");
/** unittest's assertAlmostEqual: equal when rounded to 7 places. */
const assertAlmostEqual = (a: number, b: number): void => expect(Math.round((a - b) * 1e7)).toBe(0);

function test_sharedctypes(lock: boolean): void {
  const x: any = Value("i", 7, { lock });
  const y: any = Value(ctypes.c_double, 1.0 / 3.0, { lock });
  const z: any = Value(ctypes.c_longlong, 2n ** 33n, { lock });
  const foo: any = Value(f._Foo, 3, 2, { lock });
  const arr: any = SharedArray("d", Array.from({ length: 10 }, (_, i) => i), { lock });
  const string: any = SharedArray("c", 20, { lock });
  string.value = latin("hello");

  const p = track(new mp.Process({ target: f._double, args: [x, y, z, foo, arr, string] }));
  p.daemon = true;
  p.start();
  p.join();

  expect(x.value).toBe(14);
  assertAlmostEqual(y.value, 2.0 / 3.0);
  expect(z.value).toBe(2n ** 34n);
  expect(foo.x).toBe(6);
  assertAlmostEqual(foo.y, 4.0);
  for (let i = 0; i < 10; i++) assertAlmostEqual(arr[i], i * 2);
  expect(string.value).toEqual(latin("hellohello"));
}

describe("_TestSharedCTypes", () => {
  test("test_sharedctypes: a child doubles raw Values (int, double, long long, Structure) and Arrays (double, char)", () => {
    test_sharedctypes(false);
  });

  test("test_synchronize: the same with synchronized wrappers (lock=True)", () => {
    test_sharedctypes(true);
  });

  test("test_copy: copy() of a Structure is independent of the original", () => {
    const foo = new f._Foo(2, 5.0, 2n ** 33n);
    const bar = copy(foo);
    foo.x = 0;
    foo.y = 0;
    foo.z = 0n;
    expect(bar.x).toBe(2);
    assertAlmostEqual(bar.y, 5.0);
    expect(bar.z).toBe(2n ** 33n);
  });
});
