// multiprocessing-ts/py: Python's str()/repr() of JavaScript values, range, len, exceptions.
import { describe, expect, test } from "vitest";
import { KeyError, OSError, ValueError, len, range, repr, str, tuple } from "multiprocessing-ts/py";

describe("py builtins", () => {
  test("repr and str follow Python's formatting", () => {
    expect(repr([0, 1, "a", null, true, false])).toBe("[0, 1, 'a', None, True, False]");
    expect(repr(tuple(1))).toBe("(1,)");
    expect(repr(tuple(1, "x"))).toBe("(1, 'x')");
    expect(repr({ k: [1, 2] })).toBe("{'k': [1, 2]}");
    expect(repr(new Map([[1, "a"]]))).toBe("{1: 'a'}");
    expect(repr(new Set())).toBe("set()");
    expect(repr(Buffer.from([0, 0xff, 0x27]))).toBe(`b"\\x00\\xff'"`);
    expect(repr("it's")).toBe(`"it's"`);
    expect(repr(2n ** 70n)).toBe("1180591620717411303424");
    expect(repr(1e-5)).toBe("1e-05");
    expect(str("plain")).toBe("plain");
    expect(str(null)).toBe("None");
  });

  test("exceptions print as Python's", () => {
    expect(repr(new ValueError("boom"))).toBe("ValueError('boom')");
    expect(str(new KeyError("k"))).toBe("'k'");
    expect(new OSError(32, "Broken pipe").message).toBe("[Errno 32] Broken pipe");
    expect(new ValueError("x")).toBeInstanceOf(Error);
  });

  test("range is lazy and re-iterable; len measures it", () => {
    const r = range(2, 10, 3);
    expect([...r]).toEqual([2, 5, 8]);
    expect([...r]).toEqual([2, 5, 8]);
    expect(len(r)).toBe(3);
    expect([...new range(3)]).toEqual([0, 1, 2]);
    expect([...range(5, 0, -2)]).toEqual([5, 3, 1]);
    expect(String(range(3))).toBe("range(0, 3)");
    expect(() => range(1, 2, 0)).toThrow("range() arg 3 must not be zero");
    expect(() => len(5)).toThrow("object of type 'int' has no len()");
  });
});
