// Property-based fuzzing of argument validation (issue #12, points 4-6): timeouts, sizes,
// chunksize and typecodes. For each generated value, the error class is the one CPython 3.11
// raises for the same call (the model of each family below follows CPython's code path, and
// test/binder.test.ts checks its texts against python3), and no call waits past its timeout.
import fc from "fast-check";
import mp from "multiprocessing-ts";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as t from "./fixtures/pool_targets.js";

const kMargin = 1.5; // seconds of slack on a loaded machine
const kRuns = 40;

/** What a call did: its error class, or "ok"; and how long it took (s). */
function run(f: () => unknown): { kind: string; value?: unknown; secs: number } {
  const t0 = performance.now();
  try {
    const value = f();
    return { kind: "ok", value, secs: (performance.now() - t0) / 1000 };
  } catch (e: any) {
    return { kind: e?.name ?? typeof e, secs: (performance.now() - t0) / 1000 };
  }
}

const isReal = (v: unknown) => typeof v === "number" || typeof v === "bigint" || typeof v === "boolean";
const num = (v: unknown) => Number(v as number);
const isInt = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v)) || typeof v === "bigint" || typeof v === "boolean";

/**
 * Timeouts: short waits, zero, negatives, NaN, infinities, huge floats and ints, and non-numbers.
 * (Valid long waits, such as 2**40 s for a SemLock, are left out: CPython waits them too.)
 */
const timeoutArb = fc.oneof(
  fc.double({ min: 0.001, max: 0.05, noNaN: true }),
  fc.double({ min: -1e6, max: 0, noNaN: true }),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e300, 1e19, false),
  fc.bigInt({ min: 2n ** 64n, max: 2n ** 80n }),
  fc.bigInt({ min: -(2n ** 70n), max: -1n }),
  fc.string({ maxLength: 3 }),
  fc.constantFrom<unknown>([], [1], new Map(), Symbol.for("s")),
);

function checkTimeout(secs: number, v: unknown): void {
  const t = isReal(v) ? num(v) : 0;
  const limit = Number.isFinite(t) && t > 0 && t < 1 ? t : 0;
  expect(secs).toBeLessThan(limit + kMargin);
}

let pool: mp.Pool;
beforeAll(() => {
  pool = mp.Pool(1);
});
afterAll(() => {
  pool.terminate();
  pool.join();
});

describe("timeouts", () => {
  test("SemLock waits (Lock.acquire on a held lock): TypeError, OSError EINVAL or a bounded wait, as CPython", () => {
    const l = mp.Lock();
    l.acquire();
    fc.assert(
      fc.property(timeoutArb, (v) => {
        const r = run(() => l.acquire(true, v as any));
        let want: string;
        if (!isReal(v)) want = "TypeError";
        else if (Number.isNaN(num(v)) || num(v) + Date.now() / 1000 >= 2 ** 63) want = "OSError";
        else want = "ok";
        expect(r.kind).toBe(want);
        if (r.kind === "ok") expect(r.value).toBe(false);
        checkTimeout(r.secs, v);
      }),
      { numRuns: kRuns },
    );
  });

  test("Event.wait and Queue.put on a full queue follow the same rules", () => {
    const e = mp.Event();
    const q = mp.Queue(1);
    q.put(0);
    fc.assert(
      fc.property(timeoutArb, fc.boolean(), (v, useQueue) => {
        const r = run(() => (useQueue ? q.put(1, true, v as any) : e.wait(v as any)));
        let want: string;
        if (!isReal(v)) want = "TypeError";
        else if (Number.isNaN(num(v)) || num(v) + Date.now() / 1000 >= 2 ** 63) want = "OSError";
        else want = useQueue ? "Full" : "ok";
        expect(r.kind).toBe(want);
        checkTimeout(r.secs, v);
      }),
      { numRuns: kRuns },
    );
    q.close();
  });

  test("connection.wait family (Connection.poll, Queue.get): TypeError, ValueError, OverflowError as CPython's selectors", () => {
    const [a, b] = mp.Pipe();
    const q = mp.Queue();
    fc.assert(
      fc.property(fc.oneof(timeoutArb, fc.constantFrom(2 ** 40, 3e6, 2147483.648)), fc.boolean(), (v, useQueue) => {
        const r = run(() => (useQueue ? q.get(true, v as any) : b.poll(v as any)));
        let want: string;
        const n = isReal(v) ? num(v) : 0;
        if (!isReal(v)) want = "TypeError";
        else if (Number.isNaN(n)) want = "ValueError";
        else if (n <= 0) want = useQueue ? "Empty" : "ok";
        else if (n === Infinity || n > 2147483.647) want = "OverflowError";
        else want = useQueue ? "Empty" : "ok";
        expect(r.kind).toBe(want);
        checkTimeout(r.secs, v);
      }),
      { numRuns: kRuns },
    );
    a.close();
    b.close();
    q.close();
  });

  test("threading waits (AsyncResult.get on a pending task): checked only when waiting, as CPython", () => {
    const done = pool.apply_async(t.square, [3]);
    done.wait(30);
    const busy = mp.Pool(1); // its worker sleeps through the whole test
    const pending = busy.apply_async(t.sleepy, [30]);
    try {
      fc.assert(
        fc.property(fc.oneof(timeoutArb, fc.constantFrom(2 ** 40, 1e10)), (v) => {
          expect(done.get(v as any)).toBe(9); // ready: the timeout is never looked at
          const r = run(() => pending.get(v as any));
          let want: string;
          if (!isReal(v)) want = "TypeError";
          else if (Number.isNaN(num(v)) || num(v) <= 0) want = "TimeoutError";
          else if (num(v) > 9223372036.854775) want = "OverflowError";
          else want = "TimeoutError";
          expect(r.kind).toBe(want);
          checkTimeout(r.secs, v);
        }),
        { numRuns: kRuns },
      );
    } finally {
      busy.terminate();
      busy.join();
    }
  });
});

/** Sizes and counts: ints small and huge, floats, NaN, infinities, bigints, bools, None, strings. */
const sizeArb = fc.oneof(
  fc.integer({ min: -5, max: 20 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e300, 2 ** 31, 2 ** 40, true, false, null, "a"),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
);

describe("sizes and counts", () => {
  test("Queue(maxsize): TypeError / OverflowError as CPython, never a fractional size", () => {
    fc.assert(
      fc.property(sizeArb, (v) => {
        const r = run(() => mp.Queue(v as any));
        let want: string;
        if (!isReal(v)) want = "TypeError";
        else if (num(v) <= 0) want = "ok";
        else if (!isInt(v)) want = "TypeError";
        else if (num(v) > 2147483647) want = "OverflowError";
        else want = "ok";
        expect(r.kind).toBe(want);
        if (r.kind === "ok") {
          const q = r.value as mp.Queue;
          expect(Number.isInteger(q.qsize())).toBe(true);
          q.close();
        }
      }),
      { numRuns: kRuns },
    );
  });

  test("Semaphore(value): TypeError, OverflowError, OSError as CPython", () => {
    fc.assert(
      fc.property(sizeArb, (v) => {
        const r = run(() => mp.Semaphore(v as any));
        let want: string;
        if (!isInt(v)) want = "TypeError";
        else if (num(v) > 2147483647 || num(v) < -2147483648) want = "OverflowError";
        else if (num(v) < 0) want = "OSError";
        else want = "ok";
        expect(r.kind).toBe(want);
      }),
      { numRuns: kRuns },
    );
  });

  test("send_bytes(buf, offset, size) sends exactly the bytes CPython would, or raises its error", () => {
    const [a, b] = mp.Pipe();
    const buf = Buffer.from("0123456789");
    fc.assert(
      fc.property(sizeArb, fc.oneof(sizeArb, fc.constant(undefined)), (offset, size) => {
        const r = run(() => a.send_bytes(buf, offset as any, size as any));
        // CPython: the comparisons first (TypeError for what does not compare with int), then the
        // range checks, then the slice (TypeError for a non-int).
        let want: string;
        const s = size === undefined ? null : size;
        if (!isReal(offset) || (s !== null && !isReal(s))) want = "TypeError";
        else if (num(offset) < 0) want = "ValueError";
        else if (10 < num(offset)) want = "ValueError";
        else if (s !== null && num(s) < 0) want = "ValueError";
        else if (s !== null && num(offset) + num(s) > 10) want = "ValueError";
        else if (!isInt(offset) || (s !== null && !isInt(s))) want = "TypeError";
        else want = "ok";
        expect(r.kind).toBe(want);
        if (r.kind === "ok") {
          const o = num(offset);
          expect(b.recv_bytes()).toEqual(buf.subarray(o, s === null ? 10 : o + num(s)));
        }
        expect(b.poll(0)).toBe(false); // nothing else was sent
      }),
      { numRuns: 80 },
    );
    a.close();
    b.close();
  });

  test("Pool(processes): refused at once, as CPython, for floats, huge counts and non-numbers", () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(1e300, 2 ** 40, Infinity, NaN, "a", 0, -1), fc.bigInt({ min: 2n ** 20n, max: 2n ** 80n })), (v) => {
        const r = run(() => mp.Pool(v as any));
        if (r.kind === "ok") (r.value as mp.Pool).terminate();
        let want: string;
        if (!isReal(v)) want = "TypeError";
        else if (num(v) < 1) want = "ValueError";
        else if (!isInt(v)) want = "TypeError";
        else want = "OSError"; // more than the thread limit: CPython's fork() would fail (EAGAIN)
        expect(r.kind).toBe(want);
        expect(r.secs).toBeLessThan(kMargin);
      }),
      { numRuns: kRuns },
    );
  });
});

describe("chunksize", () => {
  test("map(f, xs, chunksize): CPython's result or error, never a truncated list", () => {
    const xs = [1, 2, 3];
    fc.assert(
      fc.property(fc.oneof(sizeArb, fc.integer({ min: 1, max: 5 })), (c) => {
        const r = run(() => pool.map(t.square, xs, c as any));
        let want: string;
        if (c === null) want = "ok";
        else if (!isReal(c)) want = "TypeError";
        else if (num(c) <= 0) want = "ok"; // CPython: [None, None, None]
        else if (!isInt(c) || (typeof c === "bigint" && c > 2n ** 63n - 1n)) want = "ValueError";
        else want = "ok";
        expect(r.kind).toBe(want);
        if (r.kind === "ok") expect(r.value).toEqual(c !== null && num(c) <= 0 ? [null, null, null] : [1, 4, 9]);
      }),
      { numRuns: kRuns },
    );
  });

  test("imap(f, xs, chunksize): ValueError below 1 and for non-ints, TypeError for non-numbers", () => {
    fc.assert(
      fc.property(fc.oneof(sizeArb, fc.integer({ min: 1, max: 5 })), (c) => {
        const r = run(() => [...(pool.imap(t.square, [1, 2, 3], c as any) as Iterable<number>)]);
        let want: string;
        if (!isReal(c)) want = "TypeError";
        else if (num(c) < 1) want = "ValueError";
        else if (!isInt(c) || (typeof c === "bigint" && c > 2n ** 63n - 1n)) want = "ValueError";
        else want = "ok";
        expect(r.kind).toBe(want);
        if (r.kind === "ok") expect(r.value).toEqual([1, 4, 9]);
      }),
      { numRuns: kRuns },
    );
  });
});

describe("typecodes", () => {
  const valid = new Set(["c", "u", "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"]);
  test("Value(typecode) and RawArray(typecode, 2): TypeError for what CPython does not know, a value for what it does", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...valid), fc.constant("?"), fc.string({ maxLength: 2 })), (tc) => {
        const r = run(() => mp.RawArray(tc as any, 2));
        expect(r.kind).toBe(valid.has(tc) ? "ok" : "TypeError");
        const v = run(() => mp.Value(tc as any));
        expect(v.kind).toBe(valid.has(tc) ? "ok" : "TypeError");
      }),
      { numRuns: kRuns },
    );
  });
});
