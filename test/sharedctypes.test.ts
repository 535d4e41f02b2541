// Value, Array, RawValue, RawArray: every typecode's storage and wraparound, Python's errors,
// list-like indexing and slicing, reprs, and writes from a child seen by the parent.
import mp from "multiprocessing-ts";
import { copy, ctypes, synchronized, type Typecode } from "multiprocessing-ts/sharedctypes";
import { inspect } from "node:util";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/targets.js";
import { spawn } from "./helpers/processes.js";

describe("Value", () => {
  test.each([
    ["b", 200, -56], ["B", 256, 0], ["B", -1, 255], ["h", 40000, -25536], ["h", 70000, 4464], ["H", -1, 65535],
    ["i", 2 ** 31, -2147483648], ["i", -(2 ** 31) - 1, 2147483647], ["i", 2 ** 32 + 5, 5], ["i", 2n ** 64n, 0],
    ["I", -1, 4294967295], ["l", 2n ** 63n, -(2n ** 63n)], ["L", -1, 2n ** 64n - 1n], ["q", 2n ** 63n, -9223372036854775808n],
    ["Q", -1, 18446744073709551615n], ["Q", 2n ** 64n + 3n, 3n], ["i", true, 1],
  ] as [Typecode, number | bigint | boolean, number | bigint][])("Value('%s', %s) wraps to %s like C", (code, input, out) => {
    expect(mp.Value(code, input).value).toBe(out);
    const v = mp.Value(code, 0);
    v.value = input as any;
    expect(v.value).toBe(out);
  });

  test("'f' rounds to float32, 'd' keeps doubles, 'c' holds one byte, 'u' one character", () => {
    expect(mp.Value("f", 0.1).value).toBe(0.10000000149011612);
    expect(mp.Value("f", 16777217).value).toBe(16777216);
    expect(mp.Value("d", 3).value).toBe(3);
    expect(mp.Value("c", Buffer.from("x")).value).toEqual(Buffer.from("x"));
    expect(mp.Value("c", 65).value).toEqual(Buffer.from("A"));
    expect(mp.Value("u", "z").value).toBe("z");
    expect(mp.Value(ctypes.c_bool, 1).value).toBe(true);
  });

  test("integer codes refuse floats and strings with Python's TypeError", () => {
    expect(() => mp.Value("i", 1.5)).toThrow("'float' object cannot be interpreted as an integer");
    // @ts-expect-error a str for an integer code: the runtime TypeError is what is tested
    expect(() => mp.Value("i", "3")).toThrow("'str' object cannot be interpreted as an integer");
    const v = mp.Value("i", 0);
    expect(() => (v.value = 1.7)).toThrow(mp.py.TypeError);
    expect(() => mp.Value("c", 256)).toThrow("one character bytes, bytearray or integer expected");
    expect(() => mp.Value("u", "ab")).toThrow("one character unicode string expected");
    // @ts-expect-error "x" is no typecode: the runtime TypeError is what is tested
    expect(() => mp.Value("x", 1)).toThrow("this type has no size");
    // ctypes.c_bool has the code "?", but as a string it is no typecode of sharedctypes (CPython too).
    // @ts-expect-error "?" is no typecode: the runtime TypeError is what is tested
    expect(() => mp.RawValue("?", 1)).toThrow("this type has no size");
    expect(String(mp.RawValue(mp.sharedctypes.ctypes.c_bool, 1))).toBe("c_bool(True)");
    // @ts-expect-error one initial value too many: the runtime TypeError is what is tested
    expect(() => mp.Value("i", 1, 2)).toThrow("__init__ expected at most 1 argument, got 2");
  });

  test("the lock option follows Python's rules", () => {
    expect(String(mp.Value("i", 0).get_lock())).toBe("<RLock(None, 0)>");
    const l = mp.Lock();
    expect(mp.Value("i", 0, { lock: l }).get_lock()).toBe(l);
    const raw = mp.Value("i", 5, { lock: false });
    expect(String(raw)).toBe("c_int(5)");
    expect((raw as any).get_lock).toBeUndefined();
    expect(() => mp.Value("i", 0, { lock: "navalue" as any })).toThrow("'navalue' has no method 'acquire'");
    expect(() => mp.Value("i", 0, { lock: 0 as any })).toThrow("0 has no method 'acquire'");
  });

  test("reprs are Python's, through String, print and util.inspect", () => {
    const v = mp.Value("i", 0);
    expect(String(v)).toBe("<Synchronized wrapper for c_int(0)>");
    expect(inspect(v)).toBe("<Synchronized wrapper for c_int(0)>");
    expect(mp.py.str(mp.Value("q", 1))).toBe("<Synchronized wrapper for c_long(1)>");
    expect(String(mp.Value("d", 1.5))).toBe("<Synchronized wrapper for c_double(1.5)>");
    expect(String(mp.Value("c", Buffer.from("x")))).toBe("<Synchronized wrapper for c_char(b'x')>");
    expect(String(mp.RawValue("i", 5))).toBe("c_int(5)");
    expect(() => mp.py.len(mp.Value("i", 0))).toThrow("object of type 'Synchronized' has no len()");
  });

  test("with() holds the lock; get_obj() is the raw value", () => {
    const v = mp.Value("i", 1);
    v.with(() => {
      v.value += 1;
      expect(String(v.get_lock())).toBe("<RLock(MainProcess, 1)>");
    });
    expect(v.get_obj().value).toBe(2);
  });

  test("a child's writes are seen by the parent, for every kind of value", () => {
    const vals: [Typecode, unknown][] = [["i", -7], ["d", 2.5], ["q", 2n ** 40n], ["c", Buffer.from("z")]];
    const shared = vals.map(([code]) => mp.Value(code, 0 as any));
    const procs = vals.map(([, x], i) => spawn({ target: t.writeValue, args: [shared[i]!, x] }));
    for (const p of procs) p.join();
    expect(shared.map((s) => s.value)).toEqual(vals.map(([, x]) => x));
  });

  test("sharedctypes.copy and synchronized", () => {
    const r = mp.RawValue("i", 3);
    const c = copy(r);
    c.value = 4;
    expect(r.value).toBe(3);
    const s = synchronized(r);
    expect(String(s)).toBe("<Synchronized wrapper for c_int(3)>");
    expect(() => synchronized(s as any)).toThrow("object already synchronized");
  });
});

describe("Array", () => {
  test("indexes, slices and assigns like a Python list", () => {
    const a = mp.Array("i", mp.py.range(10));
    expect([a.length, mp.py.len(a), a[3], a[-1], a[-10]]).toEqual([10, 10, 3, 9, 0]);
    expect(() => a[10]).toThrow("invalid index");
    expect(() => a[-11]).toThrow(mp.py.IndexError);
    expect(() => (a[10] = 1)).toThrow("invalid index");
    expect(() => a[1.5]).toThrow("indices must be integers");
    expect(a.slice(2, 5)).toEqual([2, 3, 4]);
    expect(a.slice(null, null, -3)).toEqual([9, 6, 3, 0]);
    expect(a.slice(100, 200)).toEqual([]);
    expect(a.slice(-3)).toEqual([7, 8, 9]);
    a.set_slice(0, 3, [7, 8, 9]);
    a.set_slice(null, null, 2, mp.py.range(5));
    expect([...a]).toEqual([0, 8, 1, 3, 2, 5, 3, 7, 4, 9]);
    expect(() => a.set_slice(0, 3, [1, 2])).toThrow("Can only assign sequence of same size");
    expect(() => delete (a as any)[0]).toThrow("'SynchronizedArray' object has no attribute '__delitem__'");
    expect(0 in a).toBe(true);
    expect(10 in a).toBe(false);
  });

  test("slice assignment stores each number as an element assignment would, item by item as ctypes does", () => {
    const a = mp.Array("b", 4);
    a.set_slice(null, null, [127, 128, -129, 256]);
    expect(a.slice()).toEqual([127, -128, 127, 0]); // C wraparound
    expect(() => a.set_slice(null, null, [1, 2])).toThrow("Can only assign sequence of same size");
    expect(() => a.set_slice(null, null, [1, 2, 3.5, 4])).toThrow("'float' object cannot be interpreted as an integer");
    expect(a.slice()).toEqual([1, 2, 127, 0]); // the items before the bad one are in, as in CPython
    const f = mp.RawArray("f", 2);
    f.set_slice(null, null, [0.1, -0]);
    expect(f.slice()).toEqual([Math.fround(0.1), -0]);
    const big = mp.RawArray("i", 100_000);
    big.set_slice(null, null, [...mp.py.range(100_000)]);
    expect(big.slice(99_998)).toEqual([99_998, 99_999]);
    expect(big.slice().length).toBe(100_000);
  });

  test("sizes, initializers and constructor errors", () => {
    expect([...mp.Array("i", 3)]).toEqual([0, 0, 0]);
    expect(mp.Array("d", [0.5, 1.5]).slice()).toEqual([0.5, 1.5]);
    expect(mp.Array("i", 0).length).toBe(0);
    expect(() => mp.Array("i", -1)).toThrow("Array length must be >= 0, not -1");
    expect(() => mp.Array("i", [1.5])).toThrow("'float' object cannot be interpreted as an integer");
    // @ts-expect-error "x" is no typecode: the runtime TypeError is what is tested
    expect(() => mp.Array("x", 3)).toThrow("this type has no size");
    expect(mp.Array("B", [255, 256, -1]).slice()).toEqual([255, 0, 255]);
    expect(mp.Array("q", [1, -1]).slice()).toEqual([1n, -1n]);
  });

  test("'c' arrays have value and raw, and slices are bytes", () => {
    const s = mp.Array("c", Buffer.from("hello"), {}) as mp.sharedctypes.SynchronizedString;
    expect(s.constructor.name).toBe("SynchronizedString");
    const big = mp.Array("c", 10) as mp.sharedctypes.SynchronizedString;
    expect(big.value).toEqual(Buffer.alloc(0));
    big.value = Buffer.from("hello");
    expect(big.value).toEqual(Buffer.from("hello"));
    expect(big.raw).toEqual(Buffer.from("hello\0\0\0\0\0"));
    expect(big.slice(0, 5)).toEqual(Buffer.from("hello"));
    expect(big[0]).toEqual(Buffer.from("h"));
    // @ts-expect-error an int item is valid Python (CPython stores 66 as b'B') but does not compile (a
    // TypeScript index signature reads and writes one type, Buffer; MIGRATION.md "Stricter than Python"):
    // the runtime conversion is what is tested
    big[1] = 66;
    expect(big.value).toEqual(Buffer.from("hBllo"));
    expect(() => (big.value = Buffer.alloc(11))).toThrow("byte string too long");
    expect(() => (big.value = "str" as any)).toThrow("bytes expected instead of str instance");
    expect(s.value).toEqual(Buffer.from("hello"));
  });

  test("reprs name the C array type", () => {
    expect(String(mp.Array("i", 10))).toMatch(/^<SynchronizedArray wrapper for <multiprocessing\.sharedctypes\.c_int_Array_10 object at 0x[0-9a-f]+>>$/);
    expect(String(mp.RawArray("d", 2))).toMatch(/^<multiprocessing\.sharedctypes\.c_double_Array_2 object at 0x[0-9a-f]+>$/);
  });

  test("get_obj() is the raw typed array over the same memory", () => {
    const a = mp.Array("i", 4);
    const raw = a.get_obj() as Int32Array;
    expect(raw).toBeInstanceOf(Int32Array);
    raw[2] = 42;
    expect(a[2]).toBe(42);
  });

  test("a child fills an Array (inside a nested argument) and the parent sees it", () => {
    const a = mp.Array("i", 5);
    const p = spawn({ target: t.fillArray, args: [a, 10] });
    p.join();
    expect(a.slice()).toEqual([10, 11, 12, 13, 14]);
  });
});
