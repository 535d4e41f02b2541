// ShareableList: CPython's exact byte layout and format string, slot rounding, NUL stripping,
// type changes in place, every error with its text, Python's equality in count/index, indexing
// through a Proxy (negative indices too), repr, attaching by name and from children.
import { execFile } from "node:child_process";
import mp from "multiprocessing-ts";
import { IndexError, KeyError, TypeError, ValueError, repr } from "multiprocessing-ts/py";
import { ShareableList } from "multiprocessing-ts/shared_memory";
import { afterEach, describe, expect, test } from "vitest";
import * as t from "./fixtures/shm_targets.js";
import { spawn } from "./helpers/processes.js";

const hasPython = await new Promise<boolean>((res) => execFile("python3", ["--version"], (err) => res(!err)));
const made: ShareableList[] = [];
/** A new list, unlinked after the test. */
function make<T>(seq?: Iterable<T> | null, opts?: { name?: string }): ShareableList<T> {
  const sl = new ShareableList<T>(seq, opts);
  made.push(sl);
  return sl;
}
afterEach(() => {
  for (const sl of made.splice(0)) {
    sl.shm.close();
    try {
      sl.shm.unlink();
    } catch {
      // a test unlinked it already
    }
  }
});

function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected an exception");
}

const example = ["howdy", Buffer.from("HoWdY"), -273.154, 100, null, true, 42];

describe("ShareableList layout", () => {
  test("the format string and size are CPython's for the documented example", () => {
    const sl = make(example);
    expect(sl.format).toBe("8s8sdqxxxxxx?xxxxxxxx?q");
    expect(sl.shm.size).toBe(191);
    expect(sl.length).toBe(7);
    expect([...sl]).toEqual(example);
  });

  test.runIf(hasPython)("the bytes in the segment are the bytes CPython writes", async () => {
    const py = `
from multiprocessing import shared_memory
sl = shared_memory.ShareableList(['howdy', b'HoWdY', -273.154, 100, None, True, 42, '', 'x' * 8, 'é' * 7, 2**62, -1, False, 1e300])
print(bytes(sl.shm.buf).hex())
sl[0] = 'changed'; sl[3] = 'str!'; sl[4] = 7; sl[5] = b'by'
print(bytes(sl.shm.buf).hex())
sl.shm.close(); sl.shm.unlink()`;
    const out = await new Promise<string>((res, rej) => execFile("python3", ["-c", py], (err, so) => (err ? rej(err) : res(so))));
    const [before, after] = out.trim().split("\n");
    const sl = make(["howdy", Buffer.from("HoWdY"), -273.154, 100, null, true, 42, "", "x".repeat(8), "é".repeat(7), 2n ** 62n, -1, false, 1e300]);
    expect(sl.shm.buf!.toString("hex")).toBe(before);
    sl[0] = "changed";
    sl[3] = "str!";
    sl[4] = 7;
    sl[5] = Buffer.from("by");
    expect(sl.shm.buf!.toString("hex")).toBe(after);
  });

  test("str and bytes slots are rounded up to a multiple of 8 past their length", () => {
    const sl = make(["", "1234567", "12345678", Buffer.alloc(9, 1)]);
    expect(sl.format).toBe("8s8s16s16s");
  });

  test("trailing NULs of str and bytes are stripped on read", () => {
    const sl = make(["a\0\0", Buffer.from([1, 0, 0])]);
    expect(sl[0]).toBe("a");
    expect(sl[1]).toEqual(Buffer.from([1]));
  });

  test("an empty list has length 0, format '' and 16 bytes", () => {
    const sl = make();
    expect(sl.length).toBe(0);
    expect(sl.format).toBe("");
    expect(sl.shm.size).toBe(16);
    expect(sl.count("any")).toBe(0);
    expect(thrown(() => sl.index(null)).message).toBe("None not in this container");
  });

  test("int64 items read back as numbers, or bigint beyond 2**53", () => {
    const sl = make([2n ** 62n, -(2n ** 63n), 5n, 1.5]);
    expect(sl[0]).toBe(2n ** 62n);
    expect(sl[1]).toBe(-(2n ** 63n));
    expect(sl[2]).toBe(5);
    expect(sl[3]).toBe(1.5);
  });
});

describe("ShareableList items", () => {
  test("sl[i] and sl[-1] read and write through the shared bytes", () => {
    const sl = make([1, 2, 3]);
    sl[-1] = 30;
    sl[0] = -1;
    expect(sl[-1]).toBe(30);
    expect(sl[2]).toBe(30);
    expect(sl[-3]).toBe(-1);
    expect(len(sl)).toBe(3);
  });

  test("assigning a value of another type changes the item's format in place", () => {
    const sl = make(example);
    sl[4] = "some";
    expect(sl.format).toBe("8s8sdq8sxxxxxxx?q");
    expect(sl[4]).toBe("some");
    sl[5] = 3.5;
    sl[2] = Buffer.from("by");
    expect(sl.format).toBe("8s8s8sq8sdq");
    expect([sl[2], sl[5]]).toEqual([Buffer.from("by"), 3.5]);
    sl[1] = "str into"; // a bytes slot keeps its format; the value reads back as str
    expect(sl[1]).toBe("str into");
    sl[6] = null;
    sl[3] = false;
    expect([sl[6], sl[3]]).toEqual([null, false]);
  });

  test("a str or bytes longer than its slot raises ValueError and leaves the item unchanged", () => {
    const sl = make(["howdy"]);
    const e = thrown(() => (sl[0] = "x".repeat(9)));
    expect(e).toBeInstanceOf(ValueError);
    expect(e.message).toBe("bytes/str item exceeds available storage");
    expect(sl[0]).toBe("howdy");
  });

  test("out-of-range indices raise IndexError with CPython's two texts", () => {
    const sl = make([1, 2]);
    expect(thrown(() => sl[2])).toBeInstanceOf(IndexError);
    expect(thrown(() => sl[2]).message).toBe("index out of range");
    expect(thrown(() => sl[-3]).message).toBe("index out of range");
    expect(thrown(() => (sl[5] = 1)).message).toBe("assignment index out of range");
    expect(thrown(() => (sl as any)[1.5]).message).toBe("list indices must be integers or slices, not float");
  });

  test("unsupported types raise KeyError naming the class; ints beyond int64 raise struct.error", () => {
    const e = thrown(() => new ShareableList([[1]] as any));
    expect(e).toBeInstanceOf(KeyError);
    expect(e.message).toBe("<class 'list'>");
    expect(thrown(() => new ShareableList([{}] as any)).message).toBe("<class 'dict'>");
    const sl = make<any>([1]);
    const big = thrown(() => (sl[0] = 2n ** 64n));
    expect(big.name).toBe("error");
    expect(big.message).toBe("argument out of range");
    expect(thrown(() => new ShareableList([2n ** 63n])).message).toBe("argument out of range");
  });

  test("count and index use Python's ==, and index names a missing value by its repr", () => {
    const sl = make([1, true, 1.0, "1", Buffer.from("1"), null]);
    expect(sl.count(1)).toBe(3); // 1 == True == 1.0 in Python
    expect(sl.count("1")).toBe(1);
    expect(sl.count(Buffer.from("1"))).toBe(1);
    expect(sl.index(null)).toBe(5);
    expect(sl.index(Buffer.from("1"))).toBe(4);
    expect(thrown(() => sl.index(100)).message).toBe("100 not in this container");
    expect(thrown(() => sl.index("zz")).message).toBe("'zz' not in this container");
  });

  test("repr lists the items and the segment's name; .shm is the SharedMemory", () => {
    const sl = make(example);
    expect(repr(sl)).toBe(`ShareableList(['howdy', b'HoWdY', -273.154, 100, None, True, 42], name='${sl.shm.name}')`);
    expect(sl.shm.constructor.name).toBe("SharedMemory");
    expect(sl.shm.name).toMatch(/^psm_[0-9a-f]{8}$/);
  });

  test("a string is a sequence of characters; a name creates or attaches", () => {
    const named = make("howdy", { name: `sltest_${process.pid}` });
    expect([...named]).toEqual(["h", "o", "w", "d", "y"]);
    const twin = new ShareableList(null, { name: `sltest_${process.pid}` });
    twin[0] = "H";
    expect(named[0]).toBe("H");
    expect(twin.format).toBe("8s8s8s8s8s");
    twin.shm.close();
  });

  test("__reduce__ gives what attaches to the same list by name (pickle's round trip)", () => {
    const sl = make([1, "two"]);
    const [cls, args] = sl.__reduce__();
    const copy = new cls(...args);
    copy[0] = 10;
    expect(sl[0]).toBe(10);
    expect(copy.shm.name).toBe(sl.shm.name);
    copy.shm.close();
  });

  test("items of a closed list cannot be read", () => {
    const sl = make([1]);
    sl.shm.close();
    expect(thrown(() => sl[0])).toBeInstanceOf(TypeError);
  });
});

describe.concurrent("ShareableList across processes", () => {
  test("a child attaches by name, reads the items, and its writes are seen", () => {
    const sl = make([5, "abc", 2.5, "last slot"]);
    const q = mp.Queue();
    const p = spawn({ target: t.shareableListChild, args: [sl.shm.name, q] });
    expect(q.get(true, 30)).toEqual([[5, "abc", 2.5, "last slot"], "q8sd16s"]);
    p.join(30);
    expect(p.exitcode).toBe(0);
    expect(sl[0]).toBe(-5);
    expect(sl[-1]).toBe("from child");
  });

  test("a ShareableList passed as a Process argument re-attaches and changes types in place", () => {
    const sl = make([1, 2, 3]);
    const p = spawn({ target: t.setItem, args: [sl, 1, "two"] });
    p.join(30);
    expect(p.exitcode).toBe(0);
    expect([...sl]).toEqual([1, "two", 3]);
    expect(sl.format).toBe("q8sq");
  });
});

function len(x: { length: number }): number {
  return x.length;
}
