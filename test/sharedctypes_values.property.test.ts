// Property test of issue #12 point 5 (shared ctypes part): for each typecode, any index and any
// value either stores what CPython would store (integers wrap like C) or raises one of Python's
// error classes, leaving the array unchanged: never a silent change of a stored value.
import { execFile } from "node:child_process";
import fc from "fast-check";
import { RawArray, Value, type Typecode } from "multiprocessing-ts/sharedctypes";
import mp from "multiprocessing-ts";
import { describe, expect, test } from "vitest";

const { TypeError, IndexError, OverflowError, ValueError } = mp.py;
const pythonErrors = [TypeError, IndexError, OverflowError, ValueError];
const N = 4;
const hasPython = await new Promise<boolean>((res) => execFile("python3", ["--version"], (err) => res(!err)));

const intBits: Record<string, [number, boolean]> = {
  b: [8, true], B: [8, false], h: [16, true], H: [16, false], i: [32, true], I: [32, false],
  l: [64, true], L: [64, false], q: [64, true], Q: [64, false],
};

/** What CPython stores for `v` under `code`, or "refuse" when it raises. */
function model(code: string, v: unknown): { ok: true; value: unknown } | { ok: false } {
  if (code in intBits) {
    const [bits, signed] = intBits[code]!;
    let n: bigint;
    if (typeof v === "boolean") n = v ? 1n : 0n;
    else if (typeof v === "bigint") n = v;
    else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
    else return { ok: false };
    const w = signed ? BigInt.asIntN(bits, n) : BigInt.asUintN(bits, n);
    return { ok: true, value: bits === 64 ? w : Number(w) };
  }
  if (code === "d" || code === "f") {
    let x: number;
    if (typeof v === "number") x = v;
    else if (typeof v === "boolean") x = v ? 1 : 0;
    else if (typeof v === "bigint") {
      x = Number(v);
      if (!Number.isFinite(x)) return { ok: false };
    } else return { ok: false };
    return { ok: true, value: code === "f" ? Math.fround(x) : x };
  }
  if (code === "c") {
    if (v instanceof Uint8Array && v.length === 1) return { ok: true, value: Buffer.from(v) };
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 255) return { ok: true, value: Buffer.from([v]) };
    return { ok: false };
  }
  if (code === "u") {
    if (typeof v === "string" && [...v].length === 1) return { ok: true, value: v };
    return { ok: false };
  }
  throw new Error(`no model for ${code}`);
}

/** The slot a key reaches, as Python indexes (True is 1), or null when Python raises. */
function slotOf(k: unknown): number | null {
  if (typeof k === "boolean") return k ? 1 : 0;
  if (typeof k === "number" && Number.isInteger(k) && k >= -N && k < N) return k < 0 ? k + N : k;
  return null;
}

const values = fc.oneof(
  fc.integer(),
  fc.integer({ min: -300, max: 300 }),
  fc.double(),
  fc.constantFrom(1e300, -1e300, 2 ** 53, 2 ** 60, -0, NaN, Infinity, 0.5),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom(10n ** 400n, -(10n ** 400n)),
  fc.boolean(),
  fc.constantFrom(null, undefined, "a", "", "ab", "é"),
  fc.uint8Array({ minLength: 0, maxLength: 2 }).map((u) => Buffer.from(u)),
);
const keys = fc.oneof(
  fc.integer({ min: -8, max: 8 }),
  fc.constantFrom(NaN, null, undefined, "a", true, false, 1.5, -0.5, Infinity, -Infinity, 1e300),
);
const codes: Typecode[] = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d", "c", "u"];

function isPythonError(e: unknown): boolean {
  return pythonErrors.some((C) => e instanceof C);
}

describe("shared ctypes values: CPython's result or CPython's error class, never a silent change", () => {
  for (const code of codes) {
    test(`a[k] = v on a '${code}' array stores what CPython stores or raises, and changes nothing else`, () => {
      fc.assert(
        fc.property(keys, values, (k, v) => {
          const a = RawArray(code, N) as any;
          const before = [...a];
          let err: unknown = null;
          try {
            a[k as any] = v;
          } catch (e) {
            err = e;
          }
          const slot = slotOf(k);
          const m = model(code, v);
          if (slot === null || !m.ok) {
            expect(isPythonError(err), `a[${String(k)}] = ${String(v)} raised ${String(err)}`).toBe(true);
            expect([...a]).toEqual(before);
            return;
          }
          expect(err).toBe(null);
          expect(a[slot]).toEqual(m.value);
          const after = [...a];
          after[slot] = before[slot];
          expect(after).toEqual(before);
        }),
        { numRuns: 300 },
      );
    });

    test(`Value('${code}', v) holds what CPython holds or raises`, () => {
      fc.assert(
        fc.property(values.filter((v) => v !== undefined), (v) => { // Value(code, undefined) is Value(code): zero
          let err: unknown = null;
          let got: unknown;
          try {
            got = Value(code, v as any).value;
          } catch (e) {
            err = e;
          }
          const m = model(code, v);
          if (!m.ok) {
            expect(isPythonError(err), `Value('${code}', ${String(v)}) raised ${String(err)}`).toBe(true);
            return;
          }
          expect(err).toBe(null);
          expect(got).toEqual(m.value);
        }),
        { numRuns: 200 },
      );
    });
  }

  test("reading with a key Python refuses raises TypeError (a[null], a[NaN]); a[true] reads a[1]", () => {
    const a = RawArray("i", [5, 6, 7]) as any;
    for (const k of [null, NaN, undefined, Infinity]) expect(() => a[k as any]).toThrow(TypeError);
    expect(() => a[null as any]).toThrow("indices must be integers");
    expect(a[true as any]).toBe(6);
    expect(() => (a[null as any] = 7)).toThrow("indices must be integer");
  });
});

describe("error texts are CPython's for the same calls", () => {
  const calls: [string, string, () => unknown][] = [
    ["a[NaN] = 7", "a[float('nan')] = 7", () => ((RawArray("i", 3) as any)[NaN] = 7)],
    ["a[null] = 7", "a[None] = 7", () => ((RawArray("i", 3) as any)[null as any] = 7)],
    ['a["a"] = 7', "a['a'] = 7", () => ((RawArray("i", 3) as any)["a"] = 7)],
    ["a[1.5] = 7", "a[1.5] = 7", () => ((RawArray("i", 3) as any)[1.5] = 7)],
    ["a[null]", "a[None]", () => (RawArray("i", 3) as any)[null as any]],
    ["a[5]", "a[5]", () => (RawArray("i", 3) as any)[5]],
    ["Value('i', 1e300)", "Value('i', 1e300)", () => Value("i", 1e300)],
    ["a[0] = 1e300", "a[0] = 1e300", () => ((RawArray("i", 3) as any)[0] = 1e300)],
    ["Value('i', 1.5)", "Value('i', 1.5)", () => Value("i", 1.5)],
    ["Value('d', 10n ** 400n)", "Value('d', 10**400)", () => Value("d", 10n ** 400n)],
    ["Value('d', 'x')", "Value('d', 'x')", () => Value("d", "x" as any)],
    ["Value('c', 300)", "Value('c', 300)", () => Value("c", 300)],
    ["Value('u', 'ab')", "Value('u', 'ab')", () => Value("u", "ab")],
    ["del raw[0]", "del a[0]", () => delete (RawArray("i", 3) as any)[0]],
  ];

  test.runIf(hasPython)("each refusal has CPython's class and message (ours may add the fix after it)", async () => {
    const script = ["from multiprocessing.sharedctypes import RawArray, Value", "for src in " + JSON.stringify(calls.map((c) => c[1])) + ":",
      "    a = RawArray('i', 3)", "    try:", "        exec(src)", "        print('no error')", "    except Exception as e:", "        print(type(e).__name__ + ': ' + str(e))"].join("\n");
    const theirs = (await new Promise<string>((res, rej) => execFile("python3", ["-c", script], (err, out) => (err ? rej(err) : res(out))))).trim().split("\n");
    calls.forEach(([label, , fn], i) => {
      let ours = "no error";
      try {
        fn();
      } catch (e: any) {
        ours = `${e.name}: ${e.message}`;
      }
      expect(ours.startsWith(theirs[i]!), `${label}: ours ${ours} / CPython ${theirs[i]}`).toBe(true);
    });
  });
});
