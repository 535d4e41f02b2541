// Fuzzing the unpickler (src/shared/pickle/reader.ts) with fast-check: random bytes, opcode soup
// and mutations (truncations, flips, insertions) of valid pickles. loads() must return or throw
// one of its documented classes, quickly, and never touch a prototype.
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import { dumps, loads, UnpicklingError } from "../dist/shared/pickle.js";
import { EOFError, KeyError, OSError, ValueError, float, tuple } from "multiprocessing-ts/py";

const protoSnapshot = () => ({
  object: Object.getOwnPropertyNames(Object.prototype).sort().join(),
  array: Object.getOwnPropertyNames(Array.prototype).sort().join(),
  fn: Object.getOwnPropertyNames(Function.prototype).sort().join(),
});
const before = protoSnapshot();

class PrototypeChanged extends Error {}
const builtinProtos = new Set<unknown>([Object.prototype, Array.prototype, Map.prototype, Set.prototype, Buffer.prototype]);
/** Every object of a result keeps the prototype of its kind (dicts: Object.prototype). */
function checkPrototypes(root: unknown): void {
  const seen = new Set<unknown>();
  const todo = [root];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === null || typeof v !== "object" || seen.has(v)) continue;
    seen.add(v);
    const proto = Object.getPrototypeOf(v);
    if (!builtinProtos.has(proto) && !(v instanceof Error) && !(v instanceof Number) && !["PickleGlobal", "PyBuiltinType"].includes(proto?.constructor?.name)) {
      throw new PrototypeChanged(`a loaded object has prototype ${String(proto)}`);
    }
    if (v instanceof Map) for (const [k, x] of v) todo.push(k, x);
    else if (v instanceof Set) for (const x of v) todo.push(x);
    else if (!ArrayBuffer.isView(v)) for (const k of Object.getOwnPropertyNames(v)) todo.push((v as any)[k]);
  }
}

/** Runs loads() and checks the outcome: a value, or a documented error, in bounded time. */
function check(data: Uint8Array): void {
  // A generous bound (the machine may be busy): a hang or a quadratic blow-up takes far longer.
  const start = performance.now();
  try {
    checkPrototypes(loads(data));
  } catch (e) {
    if (e instanceof PrototypeChanged) throw e;
    const documented = e instanceof UnpicklingError || e instanceof EOFError || e instanceof ValueError;
    if (!documented) throw new Error(`undocumented error for ${Buffer.from(data).toString("hex")}: ${(e as Error)?.stack ?? e}`);
  }
  const ms = performance.now() - start;
  if (ms > 1500) throw new Error(`loads took ${ms.toFixed(0)} ms for ${data.length} bytes: ${Buffer.from(data).toString("hex")}`);
  if (({} as any).polluted !== undefined || ({} as any).__proto__ !== Object.prototype) throw new Error("Object.prototype was changed");
}

// Values to pickle, mutate and feed back.
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null), fc.boolean(), fc.integer(), fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    fc.double(), fc.integer().map((n) => float(n)), fc.string(), fc.string({ unit: "binary" }),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    fc.constantFrom("__proto__", "constructor", "prototype", "polluted"),
    fc.string().map((s) => new ValueError(s)), fc.constant(new KeyError("k")), fc.constant(new OSError("o")),
  ),
  node: fc.oneof({ depthSize: "small" }, tie("leaf"), tie("list"), tie("tuple"), tie("dict"), tie("map"), tie("set")),
  list: fc.array(tie("node"), { maxLength: 5 }),
  tuple: fc.array(tie("node"), { maxLength: 5 }).map((a) => tuple(...a)),
  dict: fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "polluted")), tie("node"), { maxKeys: 5 }).map((d) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(d)) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
  map: fc.array(fc.tuple(fc.oneof(fc.integer(), fc.string(), fc.constant(null)), tie("node")), { maxLength: 4 }).map((e) => new Map(e)),
  set: fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 5 }).map((a) => new Set(a)),
})).node;

const pickled = fc.tuple(value, fc.constantFrom(2, 3, 4, 5)).map(([v, p]) => dumps(v, { protocol: p as 2 }));

// Opcode soup: fragments that reach every load_* with arguments that are often valid.
const fragments = [
  "(", ".", "0", "1", "2", "N", "\x88", "\x89", "K\x01", "M\xff\xff", "J\xff\xff\xff\xff", "\x8a\x01\x80", "\x8b\x02\x00\x00\x00\x01\x02",
  "G?\xf0\x00\x00\x00\x00\x00\x00", "I01\n", "I12\n", "L5L\n", "F1.5\n", "S'a'\n", "U\x01a", "T\x01\x00\x00\x00a", "Vx\\u00e9\n",
  "\x8c\x09__proto__", "\x8c\x08polluted", "\x8c\x0bconstructor", "\x8c\x09prototype", "\x8c\x01a", "X\x01\x00\x00\x00b",
  "C\x01z", "B\x01\x00\x00\x00z", "\x96\x01\x00\x00\x00\x00\x00\x00\x00z", "]", "}", ")", "\x8f", "l", "d", "t", "\x85", "\x86", "\x87",
  "a", "e", "s", "u", "\x90", "\x91", "\x94", "q\x00", "r\x01\x00\x00\x00", "p2\n", "h\x00", "h\x01", "j\x00\x00\x00\x00", "g0\n",
  "\x8c\x08builtins", "\x8c\nValueError", "\x8c\x03set", "\x8c\tbytearray", "\x93", "cbuiltins\nValueError\n", "c__builtin__\nset\n",
  "cos\nsystem\n", "c_codecs\nencode\n", "R", "\x81", "\x92", "b", "ibuiltins\nKeyError\n", "o", "\x95\x01\x00\x00\x00\x00\x00\x00\x00",
  "\x80\x04", "\x80\x02", "\x98", "\x97", "Q", "P1\n", "\x82\x01",
].map((f) => Buffer.from(f, "latin1"));
const soup = fc.array(fc.constantFrom(...fragments), { maxLength: 40 }).map((parts) => Buffer.concat([Buffer.from([0x80, 4]), ...parts, Buffer.from(".")]));

// A denser soup around the places a prototype could be reached: dict keys and BUILD states.
const protoFragments = ["}", "]", "(", "N", "\x8c\x09__proto__", "s", "u", "\x94", "h\x00", "b", "cbuiltins\nValueError\n", ")", "R"].map((f) => Buffer.from(f, "latin1"));
const protoSoup = fc.array(fc.constantFrom(...protoFragments), { maxLength: 16 }).map((parts) => Buffer.concat([Buffer.from([0x80, 4]), ...parts, Buffer.from(".")]));

describe("loads() under fuzzing", () => {
  afterAll(() => {
    expect(protoSnapshot()).toEqual(before);
  });

  test("random bytes give a value or a documented error, never a crash or a hang", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => check(b)), { numRuns: 1500 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => check(Buffer.concat([Buffer.from([0x80, 4]), b]))), { numRuns: 1500 });
  });

  test("opcode soup reaching every load_* gives a value or a documented error and never pollutes a prototype", () => {
    fc.assert(fc.property(soup, (b) => check(b)), { numRuns: 3000 });
    const known = ["}\x8c\x09__proto__}s", "}(\x8c\x09__proto__Nu", "cbuiltins\nValueError\n)R}\x8c\x09__proto__}sb"];
    const examples = known.map((k) => [Buffer.from(`\x80\x04${k}.`, "latin1")] as [Buffer]);
    fc.assert(fc.property(protoSoup, (b) => check(b)), { numRuns: 3000, examples });
  });

  test("valid pickles round trip, and their truncations are refused with EOFError or UnpicklingError", () => {
    fc.assert(
      fc.property(pickled, fc.nat(), (data, cut) => {
        loads(data);
        const n = cut % data.length;
        try {
          loads(data.subarray(0, n));
        } catch (e) {
          if (!(e instanceof UnpicklingError || e instanceof EOFError)) throw e;
          return;
        }
        throw new Error(`a truncated pickle loaded: ${data.subarray(0, n).toString("hex")}`);
      }),
      { numRuns: 800 },
    );
  });

  test("mutated pickles (flipped, inserted and deleted bytes) give a value or a documented error", () => {
    const mutation = fc.tuple(pickled, fc.array(fc.tuple(fc.constantFrom("flip", "insert", "delete"), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }));
    fc.assert(
      fc.property(mutation, ([data, edits]) => {
        const b = [...data];
        for (const [kind, at, byte] of edits) {
          const i = at % (b.length + 1);
          if (kind === "flip" && i < b.length) b[i] = byte;
          else if (kind === "insert") b.splice(i, 0, byte);
          else if (kind === "delete") b.splice(i, 1);
        }
        check(Uint8Array.from(b));
      }),
      { numRuns: 1500 },
    );
  });

  test("hostile lengths and counts are refused before anything large is allocated", () => {
    const cases = [
      "\x80\x04\x8b\xff\xff\xff\x7f",             // LONG4 of 2 GiB
      "\x80\x04X\xff\xff\xff\xff",                 // BINUNICODE of 4 GiB
      "\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f", // BINBYTES8 of 2^63
      "\x80\x04\x95\xff\xff\xff\xff\xff\xff\x00\x00", // FRAME of 2^48
      "\x80\x04\x96\x00\x00\x00\x00\x01\x00\x00\x00", // BYTEARRAY8 of 4 GiB
      "\x80\x04Nr\xff\xff\xff\xffj\xff\xff\xff\xff.", // memo index 2^32-1 is fine
      "\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x7f\x85R.", // bytearray(2**31) is not allocated
    ];
    for (const c of cases) check(Buffer.from(c, "latin1"));
  });

  test("large adversarial inputs take linear time: dicts turning into Maps over a deep stack, long APPEND chains, many MARKs", () => {
    const big = (parts: string[]) => Buffer.from("\x80\x04" + parts.join("") + ".", "latin1");
    // 30,000 of each: linear work is a few ms; a quadratic one would pass the 1.5 s bound of check().
    const n = 30_000;
    check(big(["N".repeat(n), "}K\x01K\x01s0".repeat(n)]));
    check(big(["]".repeat(n), "a".repeat(n - 1)]));
    check(big(["(".repeat(2 * n)]));
    check(big(["]\x94(", "h\x00".repeat(n), "e"]));
    check(big(["}\x94(", "\x8c\x01ah\x00".repeat(n), "u"]));
  });
});
