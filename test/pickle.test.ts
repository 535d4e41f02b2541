// The pickle codec (src/shared/pickle.ts) against CPython 3.11: byte-exact dumps, python3 reading
// what we write, every type of the value table both ways, and the refusals.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { dumps, loads, PicklingError, PyFloat, registerGlobal, UnpicklingError } from "../dist/shared/pickle.js";
import { EOFError, float, IndexError, KeyError, ModuleNotFoundError, NameError, OSError, PermissionError, RecursionError, repr, RuntimeError, tuple, ValueError, ZeroDivisionError } from "multiprocessing-ts/py";

const peer = fileURLToPath(new URL("./pickle_peer.py", import.meta.url));
const hasPython = spawnSync("python3", ["--version"]).status === 0;

function python(request: unknown): any[] {
  const r = spawnSync("python3", [peer], { input: JSON.stringify(request), maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3 failed (${r.signal ?? r.status} ${r.error ?? ""}): ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

const isTuple = (v: unknown): boolean => Array.isArray(v) && (v as any)[Symbol.for("multiprocessing-ts.tuple")] === true;

/** The same description pickle_peer.py gives of a Python value, for the JavaScript one. */
function desc(v: unknown, seen = new Map<unknown, number>()): unknown {
  if (v === null || v === undefined) return ["NoneType", "None"];
  if (typeof v === "boolean") return ["bool", v ? "True" : "False"];
  if (typeof v === "bigint") return ["int", v.toString()];
  if (typeof v === "number" || v instanceof PyFloat) {
    const n = Number(v);
    if (typeof v === "number" && Number.isInteger(n) && !Object.is(n, -0)) return ["int", String(n)];
    const b = Buffer.alloc(8);
    b.writeDoubleBE(n);
    return ["float", b.toString("hex")];
  }
  if (typeof v === "function") return ["type", `<class '${v.name}'>`];
  if (typeof v === "string") return ["str", Buffer.from(v, "utf16le").toString("hex")];
  if (v instanceof Uint8Array) return ["bytes", Buffer.from(v).toString("hex")];
  if (isTuple(v)) return ["tuple", (v as unknown[]).map((x) => desc(x, seen))];
  if (seen.has(v)) return ["ref", seen.get(v)];
  seen.set(v, seen.size);
  if (Array.isArray(v)) return ["list", v.map((x) => desc(x, seen))];
  if (v instanceof Set) return ["set", [...v].map((x) => desc(x, seen)).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))];
  if (v instanceof Map) return ["dict", [...v].map(([k, x]) => [desc(k, seen), desc(x, seen)])];
  if (v instanceof Error && "args" in v) {
    const attrs = Object.keys(v).filter((k) => !["args", "errno", "strerror"].includes(k)).sort();
    return [v.name, desc(tuple(...(v as any).args), seen), attrs.map((k) => [k, desc((v as any)[k], seen)])];
  }
  return ["dict", Object.entries(v as object).map(([k, x]) => [desc(k, seen), desc(x, seen)])];
}

const range = (n: number, f: (i: number) => unknown = (i) => i): unknown[] => Array.from({ length: n }, (_, i) => f(i));

// [what, the JavaScript value, the same Python value]: the mapping is exact for all of them.
const cases: [string, () => unknown, string][] = [
  ["None, True and False", () => [null, true, false], "[None, True, False]"],
  ["ints of every opcode size", () => [0, 1, 255, 256, 65535, 65536, -1, -256, 2 ** 31 - 1, -(2 ** 31)], "[0, 1, 255, 256, 65535, 65536, -1, -256, 2**31-1, -2**31]"],
  ["longs, negative longs and big ints", () => [2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 63n, -(2n ** 63n), 2n ** 64n, -(2n ** 100n), -128n * 2n ** 56n, 2n ** 2100n, -(2n ** 2100n)], "[2**31, -2**31-1, 2**53-1, -(2**53-1), 2**63, -2**63, 2**64, -2**100, -128 * 2**56, 2**2100, -2**2100]"],
  ["floats, integral floats and the specials", () => [1.5, -0.25, float(2), -0, Infinity, -Infinity, NaN, float(1e300), 5e-324], "[1.5, -0.25, 2.0, -0.0, float('inf'), float('-inf'), float('nan'), 1e300, 5e-324]"],
  ["strings: empty, ASCII, non-ASCII, astral, long, lone surrogate", () => ["", "a", "é", "日本", "😀", "x".repeat(300), "\ud800"], "['', 'a', 'é', '日本', '😀', 'x'*300, '\\ud800']"],
  ["repeated strings are memoized", () => ["ab", "ab", { ab: 1 }], "['ab', 'ab', {'ab': 1}]"],
  ["bytes", () => [Buffer.from(""), Buffer.from("ab"), Buffer.alloc(300, 7)], "[b'', b'ab', bytes([7])*300]"],
  ["lists, with batches of 1000", () => [[], [1], [1, 2], range(1000), range(1001), range(2500)], "[[], [1], [1, 2], list(range(1000)), list(range(1001)), list(range(2500))]"],
  ["tuples of every length opcode", () => [tuple(), tuple(1), tuple(1, 2), tuple(1, 2, 3), tuple(1, 2, 3, 4), tuple(tuple(5), [2])], "[(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), (tuple([5]), [2])]"],
  ["dicts with str keys, with batches of 1000", () => [{}, { a: 1 }, { a: 1, b: [2] }, Object.fromEntries(range(1000, (i) => [`k${i}`, i]) as [string, unknown][]), Object.fromEntries(range(1001, (i) => [`j${i}`, i]) as [string, unknown][])], "[{}, {'a': 1}, {'a': 1, 'b': [2]}, {f'k{i}': i for i in range(1000)}, {f'j{i}': i for i in range(1001)}]"],
  ["a __proto__ key is an ordinary key", () => JSON.parse('{"__proto__": 1, "constructor": 2}'), "{'__proto__': 1, 'constructor': 2}"],
  ["Maps with non-str keys", () => new Map<unknown, unknown>([[1, "a"], [2n ** 70n, "b"], [tuple(1, 2), "c"], [null, "d"], [1.5, "f"], ["s", "g"]]), "{1: 'a', 2**70: 'b', (1, 2): 'c', None: 'd', 1.5: 'f', 's': 'g'}"],
  ["sets", () => [new Set(), new Set([1, 2, 3]), new Set(range(1000)), new Set(range(1001))], "[set(), {1, 2, 3}, set(range(1000)), set(range(1001))]"],
  // Protocol 2 writes Python 3-only classes as their Python 2 base (exceptions.OSError, ImportError).
  ["more builtin exceptions a CPython peer raises (protocol 3+)", () => [new ZeroDivisionError("division by zero"), new NameError("n"), new PermissionError(13, "denied"), new ModuleNotFoundError("m"), new RecursionError("r")], "[ZeroDivisionError('division by zero'), NameError('n'), PermissionError(13, 'denied'), ModuleNotFoundError('m'), RecursionError('r')]"],
  ["builtin exceptions with their args", () => [new ValueError("x"), new KeyError("k"), new RuntimeError("a", 1), new IndexError(), new OSError("o")], "[ValueError('x'), KeyError('k'), RuntimeError('a', 1), IndexError(), OSError('o')]"],
  ["an exception with attributes (its state, BUILD)", () => Object.assign(new ValueError("x"), { detail: "more" }), "(lambda e: (setattr(e, 'detail', 'more'), e)[1])(ValueError('x'))"],
  ["classes by reference", () => [ValueError, KeyError, ValueError], "[ValueError, KeyError, ValueError]"],
  ["shared references", () => { const a = [1]; return [a, a, { x: a }]; }, "(lambda a: [a, a, {'x': a}])([1])"],
  ["a list that contains itself", () => { const a: unknown[] = []; a.push(a); return a; }, "(lambda a: (a.append(a), a)[1])([])"],
  ["a tuple inside a list inside that tuple", () => { const l: unknown[] = []; const t = tuple(l); l.push(t); return t; }, "(lambda l: (l.append((l,)), l[0])[1])([])"],
  ["a dict that contains itself", () => { const d: any = {}; d.self = d; return d; }, "(lambda d: (d.__setitem__('self', d), d)[1])({})"],
  ["payloads of 64 KiB and more go outside frames", () => [Buffer.alloc(70000, 1), "y".repeat(70000), 5], "[bytes([1])*70000, 'y'*70000, 5]"],
  ["many small items across frames", () => range(40000), "list(range(40000))"],
  ["records across frames", () => range(3000, (i) => ({ id: i, name: `n${i}`, tags: tuple(i, "t") })), "[{'id': i, 'name': 'n'+str(i), 'tags': (i, 't')} for i in range(3000)]"],
];
// A frame that reaches 64 KiB with the 1000th item of a batch closes after the next MARK, not before APPENDS.
cases.push(["a frame that fills up at the end of a batch", () => [Buffer.alloc(600), ...range(1499, (k) => Buffer.alloc(62).fill(Buffer.from([(k + 1) % 256, (k + 1) >> 8])))], "[bytes(600)] + [bytes([i % 256, i // 256]) * 31 for i in range(1, 1500)]"]);
const typeCases = cases.length;
// Lists whose frames close at every position around 64 KiB (the frame boundary logic).
for (let n = 21760; n <= 22000; n += 41) cases.push([`list(range(${n})) (frame boundary)`, () => range(n), `list(range(${n}))`]);

describe.skipIf(!hasPython)("pickle against python3", () => {
  const fromPython = hasPython ? python({ mode: "dump", exprs: cases.map((c) => c[2]) }) : [];

  test.each(cases.map((c, i) => [c[0], i] as const))("dumps writes CPython's exact bytes: %s", (_name, i) => {
    const value = cases[i]![1]();
    for (const p of [2, 3, 4, 5] as const) {
      expect(dumps(value, { protocol: p }).toString("hex"), `protocol ${p}`).toBe(fromPython[i].hex[p]);
    }
  });

  test.each(cases.map((c, i) => [c[0], i] as const))("loads reads what CPython writes with protocols 0-5, type-exact: %s", (_name, i) => {
    for (const p of cases[i]![0].includes("protocol 3+") ? [3, 4, 5] : [0, 1, 2, 3, 4, 5]) {
      // Compared as JSON text: toEqual on 40,000-item descriptions takes seconds.
      expect(JSON.stringify(desc(loads(Buffer.from(fromPython[i].hex[p], "hex")))), `protocol ${p}`).toBe(JSON.stringify(fromPython[i].desc));
    }
  });

  test("python3 reads what dumps writes, type-exact, for every protocol", () => {
    // The large frame cases are left to the byte-exact test: their types are those of the small ones.
    const items = cases.slice(0, typeCases).filter((c) => !c[0].includes("frames")).flatMap((c) => [2, 3, 4, 5].map((p) => ({ expr: c[2], hex: dumps(c[1](), { protocol: p as 2 }).toString("hex") })));
    const answers = python({ mode: "load", items });
    const names = cases.slice(0, typeCases).filter((c) => !c[0].includes("frames")).map((c) => c[0]);
    answers.forEach((a, k) => {
      const what = `${names[Math.floor(k / 4)]} protocol ${2 + (k % 4)}`;
      expect(a.error, what).toBeUndefined();
      if (what.includes("protocol 3+") && k % 4 === 0) return;
      expect(a.same, `${what}: python3 read ${a.repr}, expected ${a.expected}`).toBe(true);
    });
  });

  test("python3 reads values whose mapping is not byte-exact: a Uint16Array as bytes, undefined as None, 1e20 as an int", () => {
    const items = [
      { expr: "b'\\x01\\x00\\x02\\x00'", hex: dumps(new Uint16Array([1, 2])).toString("hex") },
      { expr: "[None, None]", hex: dumps([undefined, null]).toString("hex") },
      { expr: "10**20", hex: dumps(1e20).toString("hex") },
      { expr: "{'a': 1}", hex: dumps(Object.assign(Object.create(null), { a: 1 })).toString("hex") },
    ];
    for (const a of python({ mode: "load", items })) expect(a.same, `${a.repr} vs ${a.expected}`).toBe(true);
  });

  test("builtin types travel as values: Python's float arrives as <class 'float'>, py.float goes as float", () => {
    const names = ["int", "float", "str", "bool", "bytes", "bytearray", "list", "tuple", "dict", "set", "frozenset", "complex", "object", "type", "range", "slice"];
    const script = `import pickle, sys\nfor p in range(6): sys.stdout.write(pickle.dumps([2.25, None, 'junk', float, ${names.join(", ")}], protocol=p).hex() + "\\n")`;
    const r = spawnSync("python3", ["-c", script], { encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const hex of r.stdout.trim().split("\n")) {
      const got = loads(Buffer.from(hex, "hex")) as unknown[];
      expect(repr(got)).toBe(`[2.25, None, 'junk', <class 'float'>, ${names.map((n) => `<class '${n}'>`).join(", ")}]`);
    }
    // Back to Python: the markers and py.float are the types again.
    const back = dumps([float, ...(loads(Buffer.from(r.stdout.split("\n")[4]!, "hex")) as unknown[]).slice(3)]);
    const check = spawnSync("python3", ["-c", "import pickle, sys; print(pickle.loads(bytes.fromhex(sys.stdin.read())))"], { input: back.toString("hex"), encoding: "utf8", timeout: 30_000 });
    expect(check.stdout).toBe(`[<class 'float'>, <class 'float'>, ${names.map((n) => `<class '${n}'>`).join(", ")}]\n`);
    expect(dumps(float).toString("hex")).toBe(dumps((loads(Buffer.from(r.stdout.split("\n")[4]!, "hex")) as unknown[])[3]).toString("hex"));
  });

  test("loads reads the JavaScript types of the value table", () => {
    const [r] = python({
      mode: "dump",
      exprs: ["[{1: 'a'}, {'a': 1}, (1, 2), bytearray(b'xy'), 2**60, 2.0, 2.5, frozenset([1]), {'__proto__': {'polluted': 1}}, KeyError('k')]"],
    });
    for (const p of [2, 3, 4, 5]) {
      const v = loads(Buffer.from(r.hex[p], "hex")) as any[];
      expect(v[0]).toBeInstanceOf(Map);
      expect(v[0].get(1)).toBe("a");
      expect(Object.getPrototypeOf(v[1])).toBe(Object.prototype);
      expect(v[1]).toEqual({ a: 1 });
      expect(isTuple(v[2])).toBe(true);
      expect(Buffer.isBuffer(v[3]) && v[3].toString()).toBe("xy");
      expect(v[4]).toBe(2n ** 60n);
      expect(v[5]).toBeInstanceOf(PyFloat);
      expect(Number(v[5])).toBe(2);
      expect(v[6]).toBe(2.5);
      expect(v[7]).toEqual(new Set([1]));
      expect(Object.getPrototypeOf(v[8])).toBe(Object.prototype);
      expect(Object.getOwnPropertyNames(v[8])).toEqual(["__proto__"]);
      expect(({} as any).polluted).toBeUndefined();
      expect(v[9]).toBeInstanceOf(KeyError);
      expect(String(v[9])).toBe("'k'");
    }
  });
});

describe("pickle in JavaScript", () => {
  test("round trips keep every type of the value table", () => {
    const shared = [1];
    const value = {
      none: null, t: true, f: false, i: 7, neg: -70000, big: 2n ** 80n, nbig: -(2n ** 80n), fl: 0.5, pf: float(3),
      s: "héllo", b: Buffer.from([0, 255]), l: [1, [2]], tu: tuple(1, "a"), d: { x: { y: 1 } },
      m: new Map<unknown, unknown>([[1, "one"], [tuple(1, 2), "pair"]]), set: new Set(["a", 1]),
      e: new ValueError("bad"), shared: [shared, shared],
    };
    for (const p of [2, 3, 4, 5] as const) {
      const back = loads(dumps(value, { protocol: p })) as any;
      expect(desc(back)).toEqual(desc(value));
      expect(back.shared[0]).toBe(back.shared[1]);
      expect(back.e).toBeInstanceOf(ValueError);
      expect(back.e.message).toBe("bad");
      expect(back.pf).toBeInstanceOf(PyFloat);
      expect(String(back.pf)).toBe("3.0");
      expect(typeof back.i).toBe("number");
      expect(typeof back.big).toBe("bigint");
    }
  });

  test("a dict that gets a non-str key after being shared becomes the same Map everywhere", () => {
    // {'a': d, 1: 'x'} where d is the dict itself: the dict is referenced (BINGET) before its int key arrives.
    // What CPython writes for: d = {}; d['a'] = d; d[1] = 'x'
    const data = Buffer.from("80049511000000000000007d94288c01619468004b018c017894752e", "hex");
    const d = loads(data) as Map<unknown, unknown>;
    expect(d).toBeInstanceOf(Map);
    expect(d.get("a")).toBe(d);
    expect(d.get(1)).toBe("x");
  });

  test("exception attributes travel as their state (BUILD)", () => {
    const e = new ValueError("x") as any;
    e.code = 5;
    e.detail = "more";
    const back = loads(dumps(e)) as any;
    expect(back).toBeInstanceOf(ValueError);
    expect(back.detail).toBe("more");
  });

  test("dumps refuses values with no pickle meaning, naming their path and the fix", () => {
    expect(() => dumps({ a: [1, { handler: () => 1 }] })).toThrow(PicklingError);
    expect(() => dumps({ a: [1, { handler: function named() {} }] })).toThrow(/<function named> at value\.a\[1\]\.handler: .*registerGlobal/);
    expect(() => dumps([Symbol("s")])).toThrow(/Can't pickle <Symbol\(s\)> at value\[0\]/);
    class Point { x = 1; }
    expect(() => dumps(new Map([["p", new Point()]]))).toThrow(/Can't pickle <Point object> at value\["p"\]: .*registerGlobal/);
    expect(() => dumps(new Map([[[1], 2]]))).toThrow("Can't pickle a dict key of type 'list' at value[<list key>]: Python's dict keys must be hashable");
    expect(() => dumps({ s: new Set([new Set()]) })).toThrow("Can't pickle a set item of type 'set' at value.s{item 0}");
    class MyError extends ValueError {}
    expect(() => dumps(new MyError("x"))).toThrow(/Can't pickle MyError/);
    expect(() => dumps(1, { protocol: 1 as any })).toThrow(PicklingError);
  });

  test("dumps refuses nesting deeper than 1000 levels instead of overflowing the stack", () => {
    let deep: unknown = [];
    for (let i = 0; i < 5000; i++) deep = [deep];
    expect(() => dumps(deep)).toThrow(/maximum recursion depth exceeded/);
  });

  test("loads refuses globals that are not on the allowlist, naming them, and never imports", () => {
    expect(() => loads(Buffer.from("\x80\x04cos\nsystem\n.", "latin1"))).toThrow(new UnpicklingError("global 'os.system' is forbidden"));
    const stackGlobal = Buffer.from("80048c086275696c74696e73948c046576616c9493942e", "hex");
    expect(() => loads(stackGlobal)).toThrow("global 'builtins.eval' is forbidden");
    expect(() => loads(Buffer.from("\x80\x02c__builtin__\neval\n.", "latin1"))).toThrow("global 'builtins.eval' is forbidden");
    // Builtin types are values, never callables beyond data (float, set, bytes...).
    expect(() => loads(Buffer.from("\x80\x04cbuiltins\ntype\n(Vx\ntR.", "latin1"))).toThrow("global 'builtins.type' cannot be called from a pickle");
    expect(() => loads(Buffer.from("\x80\x04cbuiltins\nobject\n)R.", "latin1"))).toThrow("global 'builtins.object' cannot be called from a pickle");
    expect(() => loads(Buffer.from("\x80\x04cbuiltins\ngetattr\n.", "latin1"))).toThrow("global 'builtins.getattr' is forbidden");
    expect(loads(Buffer.from("\x80\x04cbuiltins\nfloat\n(V1.5\ntR.", "latin1"))).toEqual(float(1.5));
  });

  test("registerGlobal adds a global, its rebuild and its reducer", () => {
    class Token {
      constructor(public typeid: string, public address: unknown, public id: string) {}
    }
    registerGlobal("multiprocessing.managers", "Token", {
      type: Token,
      newobj: () => Object.create(Token.prototype),
      setstate: (obj: Token, state: unknown) => {
        const [typeid, address, id] = state as [string, unknown, string];
        Object.assign(obj, { typeid, address, id });
      },
      reduce: (t: Token) => ({ args: [], state: tuple(t.typeid, t.address, t.id), newobj: true }),
    });
    const t = new Token("dict", tuple("127.0.0.1", 5000), "7f");
    const back = loads(dumps(t)) as Token;
    expect(back).toBeInstanceOf(Token);
    expect(back.address).toEqual(["127.0.0.1", 5000]);
    // What CPython writes for multiprocessing.managers.Token('dict', ('127.0.0.1', 5000), '7f'):
    const cpython = Buffer.from("80049545000000000000008c18" + Buffer.from("multiprocessing.managers").toString("hex") + "948c05546f6b656e9493942981948c0464696374948c093132372e302e302e31944d88138694" + "8c02376694879462" + "2e", "hex");
    if (hasPython) {
      const r = spawnSync("python3", ["-c", "import pickle,sys; from multiprocessing.managers import Token; sys.stdout.write(pickle.dumps(Token('dict', ('127.0.0.1', 5000), '7f')).hex())"]);
      expect(dumps(t).toString("hex")).toBe(r.stdout.toString());
      const fromPy = loads(Buffer.from(r.stdout.toString(), "hex")) as Token;
      expect(fromPy).toBeInstanceOf(Token);
      expect(fromPy.id).toBe("7f");
    }
    void cpython;
  });

  test("loads gives CPython's errors for malformed and truncated input", () => {
    const err = (hex: string) => {
      try {
        loads(Buffer.from(hex, "latin1"));
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
      return "no error";
    };
    expect(err("\x80\x04")).toBe("EOFError: Ran out of input");
    expect(err("")).toBe("EOFError: Ran out of input");
    expect(err("\x80\x04\x95")).toBe("UnpicklingError: pickle data was truncated");
    expect(err("\x80\x06N.")).toBe("ValueError: unsupported pickle protocol: 6");
    expect(err("\xff")).toBe("UnpicklingError: invalid load key, '\\xff'.");
    expect(err("\x80\x04.")).toBe("UnpicklingError: unpickling stack underflow");
    expect(err("\x80\x04(.")).toBe("UnpicklingError: unexpected MARK found");
    expect(err("\x80\x04e.")).toBe("UnpicklingError: could not find MARK");
    expect(err("\x80\x04h\x00.")).toBe("UnpicklingError: Memo value not found at index 0");
    expect(err("\x80\x04NQ.")).toMatch(/^UnpicklingError: A load persistent id instruction was encountered/);
    expect(err("\x80\x04\x8b\xff\xff\xff\xff.")).toBe("UnpicklingError: LONG pickle has negative byte count");
    expect(err("\x80\x04\x8c\x01\xff.")).toBe("UnpicklingError: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte");
    expect(err("\x80\x04\x97.")).toMatch(/out-of-band data/);
    expect(err("\x80\x04X\xff\xff\xff\x7f.")).toBe("UnpicklingError: pickle data was truncated");
    expect(err("\x80\x04K\x01K\x01a.")).toBe("UnpicklingError: 'int' object has no attribute 'append'");
    expect(err("\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00NN")).toBe("UnpicklingError: pickle data was truncated");
    expect(err("\x80\x04N.garbage")).toBe("no error");
    expect(loads(Buffer.from("(lp0\nI1\naI01\naS'x'\naF1.5\naL12L\na.", "latin1"))).toEqual([1, true, "x", 1.5, 12]);
    expect(() => loads("x" as any)).toThrow(/a bytes-like object is required/);
  });

  test("loads enforces its limits: size, depth, int digits, memo", () => {
    expect(() => loads(dumps("x".repeat(100)), { maxBytes: 50 })).toThrow(/exceeds maxBytes \(50\)/);
    let deep: unknown = 1;
    for (let i = 0; i < 50; i++) deep = [deep];
    expect(() => loads(dumps(deep), { maxDepth: 20 })).toThrow(/nesting deeper than maxDepth \(20\)/);
    expect(loads(dumps(deep), { maxDepth: 60 })).toEqual(deep);
    expect(() => loads(dumps(10n ** 200n), { maxIntDigits: 100 })).toThrow(/exceeds maxIntDigits \(100\)/);
    expect(() => loads(Buffer.from("\x80\x04\x8b\x00\x00\x00\x7f.", "latin1"))).toThrow(UnpicklingError);
    expect(() => loads(dumps(range(100, (i) => `s${i}`)), { maxMemo: 10 })).toThrow(/maxMemo \(10\)/);
  });

  test("the globals option allowlists a global for one call only", () => {
    // CPython: pickle.dumps(fractions.Fraction(1, 3), 4)
    const data = Buffer.from("80049522000000000000008c096672616374696f6e73948c084672616374696f6e9493944b014b03869452942e", "hex");
    expect(() => loads(data)).toThrow("global 'fractions.Fraction' is forbidden");
    const globals = { "fractions.Fraction": { call: ([n, d]: unknown[]) => ({ n, d }) } };
    expect(loads(data, { globals })).toEqual({ n: 1, d: 3 });
    expect(() => loads(data)).toThrow("global 'fractions.Fraction' is forbidden");
  });

  test("py.float(x) is a float whose value is integral: repr 2.0, arithmetic as a number", () => {
    const f = float(2);
    expect(repr(f)).toBe("2.0");
    expect(repr([float(1e16), float(-0), float("inf"), float(" 1.5 ")])).toBe("[1e+16, -0.0, inf, 1.5]");
    expect((f as any) + 1).toBe(3);
    expect(() => float("x")).toThrow("could not convert string to float: 'x'");
  });

  test("exceptions made by the CommonJS build pickle in the ESM build and back", () => {
    const require = createRequire(import.meta.url);
    const cjsPy = require("../dist/cjs/py.js");
    const cjsPickle = require("../dist/cjs/shared/pickle.js");
    const [e, cls] = loads(cjsPickle.dumps([new cjsPy.ZeroDivisionError("z"), cjsPy.KeyError])) as [Error, unknown];
    expect(e).toBeInstanceOf(ZeroDivisionError);
    expect(cls).toBe(KeyError);
    expect(cjsPickle.loads(dumps(new ValueError("v")))).toBeInstanceOf(ValueError);
  });

  test("the errors keep Python's class names and hierarchy", () => {
    const e = new UnpicklingError("x");
    expect(e.name).toBe("UnpicklingError");
    expect(e).toBeInstanceOf(Error);
    expect(new EOFError("x")).toBeInstanceOf(Error);
  });
});
