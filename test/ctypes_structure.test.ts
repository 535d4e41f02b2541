// ctypes' class names on raw shared objects, and ctypes.Structure in Value/Array, as Python's
// docs use them ("Shared ctypes Objects"); texts checked against CPython's for the same calls.
import { execFileSync } from "node:child_process";
import mp from "multiprocessing-ts";
import { ctypes, copy, RawArray, RawValue, Value, Array as SharedArray } from "multiprocessing-ts/sharedctypes";
import { repr } from "multiprocessing-ts/py";
import { describe, expect, test } from "vitest";
import { classNameOf, Pair, pairCopies, squarePairs } from "./fixtures/byref_targets.js";
import { spawn } from "./helpers/processes.js";

function error(fn: () => unknown): string {
  try {
    fn();
  } catch (e: any) {
    return `${e.name}: ${e.message}`;
  }
  return "no error";
}

describe("raw ctypes objects carry ctypes' class names", () => {
  test("RawValue('i') and Value('i', 0, { lock: false }) are c_int; RawArray('d', 2) is c_double_Array_2", () => {
    expect(RawValue("i").constructor.name).toBe("c_int");
    expect(Value("i", 0, { lock: false }).constructor.name).toBe("c_int");
    expect(RawValue(ctypes.c_double, 1.5).constructor.name).toBe("c_double");
    expect(RawArray("d", 2).constructor.name).toBe("c_double_Array_2");
    expect(RawArray("b", [1, 2, 3]).constructor.name).toBe("c_byte_Array_3");
    expect(RawValue("i")).toBeInstanceOf(mp.sharedctypes.CScalar);
    expect(RawArray("d", 2)).toBeInstanceOf(mp.sharedctypes.CArray);
  });

  test("reprs and copies keep the names", () => {
    expect(repr(RawValue("i", 5))).toBe("c_int(5)");
    expect(repr(RawArray("d", 2))).toMatch(/^<multiprocessing\.sharedctypes\.c_double_Array_2 object at 0x[0-9a-f]+>$/);
    expect(copy(RawArray("i", [1, 2, 3])).constructor.name).toBe("c_int_Array_3");
    expect(copy(RawValue("h", 3)).constructor.name).toBe("c_short");
  });

  test("deleting an item: a raw array says what ctypes says, a synchronized one what Python's wrapper says", () => {
    const raw = RawArray("i", 3);
    expect(error(() => delete (raw as any)[0])).toBe("TypeError: Array does not support item deletion");
    expect(error(() => delete (SharedArray("i", 3) as any)[0])).toBe("AttributeError: 'SynchronizedArray' object has no attribute '__delitem__'");
  });

  test("a raw array sent to a child keeps its class name there", () => {
    const q = mp.Queue();
    const p = spawn({ target: classNameOf, args: [q, RawArray("d", 2)] });
    const p2 = spawn({ target: classNameOf, args: [q, RawValue("i")] });
    expect([q.get(true, 30), q.get(true, 30)].sort()).toEqual(["c_double_Array_2", "c_int"]);
    p.join(30);
    p2.join(30);
  });
});

describe("ctypes.Structure", () => {
  test("fields read and write as properties; constructor takes positionals or a keyword object", () => {
    const p = new Pair(1.5, 2);
    expect([p.x, p.n]).toEqual([1.5, 2]);
    p.n = 7.0;
    expect(p.n).toBe(7);
    expect(new Pair({ n: 5 }).n).toBe(5);
    expect(new Pair().x).toBe(0);
    expect(error(() => new Pair(1, 2, 3))).toBe("TypeError: too many initializers");
    expect(error(() => (p.n = 1.5))).toBe("TypeError: 'float' object cannot be interpreted as an integer");
    expect(repr(p)).toMatch(/^<__main__\.Pair object at 0x[0-9a-f]+>$/);
  });

  test("Value(Point, ...) is a SynchronizedPoint whose fields take the lock; lock: false gives the Point", () => {
    const v = Value(Pair, 1.5, 2) as any;
    expect(v.constructor.name).toBe("SynchronizedPair");
    expect([v.x, v.n]).toEqual([1.5, 2]);
    v.n = 3;
    expect(v.get_obj().n).toBe(3);
    expect(repr(v)).toMatch(/^<SynchronizedPair wrapper for <__main__\.Pair object at 0x[0-9a-f]+>>$/);
    const raw = Value(Pair, [4, 5], { lock: false }) as any;
    expect(raw).toBeInstanceOf(Pair);
    expect([raw.x, raw.n]).toEqual([4, 5]);
  });

  test("Array(Point, [[...], ...]) holds Points in shared memory; a child's writes are seen by the parent", () => {
    const A = SharedArray(Pair, [[1.5, 1], [-2, 2], [3, 3]]) as any;
    expect(A.constructor.name).toBe("SynchronizedArray");
    expect(A.length).toBe(3);
    const v = RawValue(Pair) as any;
    const p = spawn({ target: squarePairs, args: [A, v] });
    p.join(30);
    expect(p.exitcode).toBe(0);
    expect([...A].map((a: Pair) => [a.x, a.n])).toEqual([[2.25, 2], [4, 3], [9, 4]]);
    expect([v.x, v.n]).toEqual([-1, 99]);
    expect(repr(A.get_obj ? RawArray(Pair, 2) : null)).toMatch(/Pair_Array_2 object/);
  });

  test("elements are views: writing a[i].x changes the array; a[i] = [x, n] copies in; copy() is independent", () => {
    const A = RawArray(Pair, 2) as any;
    A[0].x = 2.5;
    A[1] = [7, 8];
    expect([A[0].x, A[1].x, A[1].n]).toEqual([2.5, 7, 8]);
    const c = copy(A) as any;
    A[1].x = 0;
    expect(c[1].x).toBe(7);
    expect(c.constructor.name).toBe("Pair_Array_2");
    expect(error(() => (A[0] = 5))).toBe("TypeError: expected Pair instance, got int");
    const s = copy(Value(Pair, 1, 2, { lock: false }) as any) as any;
    expect([s.x, s.n]).toEqual([1, 2]);
  });

  test("a Structure in a queue travels as a copy of its bytes, as ctypes pickles it (a shared one too)", () => {
    const q = mp.Queue();
    const out = mp.Queue();
    const shared = RawValue(Pair, 2.5, 3) as any;
    const p = spawn({ target: pairCopies, args: [q, out] });
    q.put(new Pair(1.5, 2));
    q.put(shared);
    const [isPair, ax, an, bx, bn, made] = out.get(true, 30) as [boolean, number, number, number, number, Pair];
    expect([isPair, ax, an, bx, bn]).toEqual([true, 1.5, 2, 2.5, 1000]);
    expect(shared.n).toBe(3); // the child changed its copy
    expect(made).toBeInstanceOf(Pair);
    expect([made.x, made.n]).toEqual([7, 8]);
    p.join(30);
  });
});

// The texts above, against python3 for the same calls (skipped without python3).
const hasPython = (() => {
  try {
    execFileSync("python3", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasPython)("ctypes texts, against python3", () => {
  test("errors, reprs and class names are CPython's for the same calls", () => {
    const calls: [string, () => unknown][] = [
      ["Pair(1, 2, 3)", () => new Pair(1, 2, 3)],
      ["setattr(Pair(1, 2), 'n', 1.5)", () => ((new Pair(1, 2) as any).n = 1.5)],
      ["RawArray('i', 3).__delitem__(0)", () => delete (RawArray("i", 3) as any)[0]],
      ["Array('i', 3).__delitem__(0)", () => delete (SharedArray("i", 3) as any)[0]],
      ["RawArray(Pair, 2).__setitem__(0, 5)", () => ((RawArray(Pair, 2) as any)[0] = 5)],
      ["print(type(RawArray('d', 2)).__name__)", () => RawArray("d", 2).constructor.name],
      ["print(type(RawValue('i')).__name__)", () => RawValue("i").constructor.name],
      ["print(type(copy(RawArray(Pair, 2))).__name__)", () => copy(RawArray(Pair, 2) as any).constructor.name],
      ["print(repr(RawValue('h', 3)))", () => repr(RawValue("h", 3))],
      ["print(type(Value(Pair, 1.5, 2)).__name__)", () => (Value(Pair, 1.5, 2) as any).constructor.name],
    ];
    const script = [
      "import ctypes, sys",
      "from multiprocessing.sharedctypes import RawArray, RawValue, Array, Value, copy",
      "class Pair(ctypes.Structure):",
      "    _fields_ = [('x', ctypes.c_double), ('n', ctypes.c_int)]",
      "for line in sys.argv[1:]:",
      "    try:",
      "        exec(line)",
      "    except Exception as e:",
      "        print(type(e).__name__ + ': ' + str(e))",
    ].join("\n");
    const theirs = execFileSync("python3", ["-c", script, ...calls.map(([py]) => py)], { encoding: "utf8" }).trimEnd().split("\n");
    const ours = calls.map(([, f]) => {
      try {
        return String(f());
      } catch (e: any) {
        return `${e.name}: ${e.message}`;
      }
    });
    expect(ours).toEqual(theirs);
  });
});
