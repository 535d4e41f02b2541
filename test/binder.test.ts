// The binder (src/shared/binder.ts): Python's binding rules on a declared signature, and the
// TypeErrors / converter errors of public calls compared with python3's for the same calls.
import { execFileSync } from "node:child_process";
import mp from "multiprocessing-ts";
import * as sc from "multiprocessing-ts/sharedctypes";
import { SharedMemory, ShareableList, SharedMemoryManager } from "multiprocessing-ts/shared_memory";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { alwaysValue, anyValue, callableValue, noArgs, p, sig } from "../src/shared/binder.js";
import * as cv from "../src/shared/convert.js";
import * as t from "./fixtures/pool_targets.js";

function outcome(f: () => unknown): string {
  try {
    f();
    return "ok";
  } catch (e: any) {
    return `${e?.name}: ${e?.message}`;
  }
}

describe("binding a declared signature", () => {
  const GET = sig("Queue.get", [p("block", cv.truthy, { default: true }), p("timeout", null, { default: null })], { method: true });
  const PUT = sig("Queue.put", [p("obj", null, { object: anyValue }), p("block", null, { default: true }), p("timeout", null, { default: null })], { method: true });
  const MAP = sig("Pool.map", [p("func", null, { object: callableValue }), p("iterable"), p("chunksize", null, { default: null })], { method: true });
  const ACQ = sig("acquire", [p("block", null, { default: true }), p("timeout", null, { default: null })], { style: "c" });
  const KWONLY = sig("f", [p("a"), p("b", null, { kind: "keyword-only", default: 2 }), p("c", null, { kind: "keyword-only" })]);
  const VAR = sig("Value", [p("t"), p("args", null, { kind: "var-positional" }), p("lock", null, { kind: "keyword-only", default: true })]);

  test("any prefix of the positionals, then a keyword object with the rest", () => {
    expect(GET.bind([])).toEqual([true, null]);
    expect(GET.bind([false])).toEqual([false, null]);
    expect(GET.bind([true, 1])).toEqual([true, 1]);
    expect(GET.bind([{ timeout: 1 }])).toEqual([true, 1]);
    expect(GET.bind([false, { timeout: 1 }])).toEqual([false, 1]);
    expect(MAP.bind([{ func: "f", iterable: [1] }])).toEqual(["f", [1], null]);
    expect(MAP.bind(["f", { iterable: [1], chunksize: 2 }])).toEqual(["f", [1], 2]);
  });

  test("undefined is an omitted argument, in any position", () => {
    expect(GET.bind([undefined, 2])).toEqual([true, 2]);
    expect(GET.bind([undefined, { timeout: 3 }])).toEqual([true, 3]);
    expect(GET.bind([true, undefined, undefined])).toEqual([true, null]);
  });

  test("a plain object where a value goes is the value; class instances are never keywords", () => {
    expect(PUT.bind([{ a: 1 }])).toEqual([{ a: 1 }, true, null]);
    expect(PUT.bind([{ timeout: 5 }])).toEqual([{ timeout: 5 }, true, null]); // obj is required: a value
    expect(PUT.bind([1, { timeout: 5 }])).toEqual([1, true, 5]);
    const m = new Map([["timeout", 1]]);
    expect(PUT.bind([m])).toEqual([m, true, null]);
    const callableObj = { __call__: () => 1 };
    expect(MAP.bind([callableObj, [1]])[0]).toBe(callableObj);
  });

  test("keyword-only and *args parameters", () => {
    expect(KWONLY.bind([1, { c: 3 }])).toEqual([1, 2, 3]);
    expect(outcome(() => KWONLY.bind([1]))).toBe("TypeError: f() missing 1 required keyword-only argument: 'c'");
    expect(outcome(() => KWONLY.bind([1, 2, { c: 3 }]))).toBe("TypeError: f() takes 1 positional argument but 2 positional arguments (and 1 keyword-only argument) were given");
    expect(VAR.bind(["i", 1, 2, { lock: false }])).toEqual(["i", [1, 2], false]);
    expect(VAR.bind(["i"])).toEqual(["i", [], true]);
    expect(outcome(() => VAR.bind(["P", { x: 1 }]))).toBe("TypeError: Value() got an unexpected keyword argument 'x'");
  });

  test("CPython's TypeError texts for Python functions", () => {
    expect(outcome(() => GET.bind([{ timout: 1 }]))).toBe("TypeError: Queue.get() got an unexpected keyword argument 'timout'");
    expect(outcome(() => GET.bind([true, 1, 2]))).toBe("TypeError: Queue.get() takes from 1 to 3 positional arguments but 4 were given");
    expect(outcome(() => MAP.bind(["f", [1], { func: "g" }]))).toBe("TypeError: Pool.map() got multiple values for argument 'func'");
    expect(outcome(() => MAP.bind([]))).toBe("TypeError: Pool.map() missing 2 required positional arguments: 'func' and 'iterable'");
    expect(outcome(() => PUT.bind([]))).toBe("TypeError: Queue.put() missing 1 required positional argument: 'obj'");
    expect(outcome(() => sig("g", [p("a"), p("b"), p("c")]).bind([]))).toBe("TypeError: g() missing 3 required positional arguments: 'a', 'b', and 'c'");
    expect(outcome(() => noArgs("Queue.qsize", [1]))).toBe("TypeError: Queue.qsize() takes 1 positional argument but 2 were given");
    expect(outcome(() => noArgs("current_process", [1], false))).toBe("TypeError: current_process() takes 0 positional arguments but 1 was given");
  });

  test("Argument Clinic's texts for C methods", () => {
    expect(outcome(() => ACQ.bind([true, 1, 2]))).toBe("TypeError: acquire() takes at most 2 arguments (3 given)");
    expect(outcome(() => ACQ.bind([{ x: 1 }]))).toBe("TypeError: 'x' is an invalid keyword argument for acquire()");
    expect(outcome(() => ACQ.bind([true, { block: false }]))).toBe("TypeError: argument for acquire() given by name ('block') and position (1)");
    expect(outcome(() => ACQ.bind([{ block: 1, timeout: 2, x: 3 }]))).toBe("TypeError: acquire() takes at most 2 keyword arguments (3 given)");
    const SORT = sig("sort", [p("key", null, { kind: "keyword-only", default: null }), p("reverse", null, { kind: "keyword-only", default: false })], { style: "c", id: "test:sort" });
    expect(outcome(() => SORT.bind([1, { kye: 1 }]))).toBe("TypeError: sort() takes no positional arguments");
    expect(SORT.bind([{ reverse: true }])).toEqual([null, true]);
  });

  // The manager's referents (managers/signatures.ts): list, dict and the slot wrappers are C.
  const c = (name: string, options: { default?: unknown } = {}) => p(name, null, { kind: "positional-only", object: alwaysValue, ...options });
  const APPEND = sig("list.append", [c("object")], { style: "builtin", id: "test:list.append" });
  const POP = sig("list.pop", [c("index", { default: -1 })], { style: "builtin", id: "test:list.pop" });
  const INSERT = sig("list.insert", [c("index"), c("object")], { style: "builtin", id: "test:list.insert" });
  const INDEX = sig("list.index", [c("value"), c("start", { default: 0 }), c("stop", { default: null })], { style: "builtin", id: "test:list.index" });
  const REVERSE = sig("list.reverse", [], { style: "builtin", id: "test:list.reverse" });
  const SETITEM = sig("list.__setitem__", [c("key"), c("value")], { style: "slot-unpack", id: "test:list.__setitem__" });
  const LEN = sig("list.__len__", [], { style: "slot", id: "test:list.__len__" });
  const UPDATE = sig("dict.update", [c("E", { default: undefined }), p("F", null, { kind: "var-keyword" })], { style: "builtin", id: "test:dict.update" });
  const NS = sig("Namespace.__init__", [p("kwds", null, { kind: "var-keyword" })], { method: true, id: "test:Namespace" });

  test("C builtins' and slot wrappers' texts (METH_O, METH_NOARGS, _PyArg_CheckPositional, check_num_args)", () => {
    expect(outcome(() => APPEND.bind([]))).toBe("TypeError: list.append() takes exactly one argument (0 given)");
    expect(outcome(() => APPEND.bindWire([1], { object: 2 }))).toBe("TypeError: list.append() takes no keyword arguments");
    expect(outcome(() => POP.bind([1, 2]))).toBe("TypeError: pop expected at most 1 argument, got 2");
    expect(outcome(() => INSERT.bind([1]))).toBe("TypeError: insert expected 2 arguments, got 1");
    expect(outcome(() => INDEX.bind([]))).toBe("TypeError: index expected at least 1 argument, got 0");
    expect(outcome(() => REVERSE.bind([1]))).toBe("TypeError: list.reverse() takes no arguments (1 given)");
    expect(outcome(() => SETITEM.bind([1]))).toBe("TypeError:  expected 2 arguments, got 1");
    expect(outcome(() => LEN.bind([1]))).toBe("TypeError: expected 0 arguments, got 1");
    expect(outcome(() => LEN.bindWire([], { x: 1 }))).toBe("TypeError: wrapper __len__() takes no keyword arguments");
    // A positional-only parameter takes a plain object as its value, even an empty one.
    expect(APPEND.bind([{}])).toEqual([{}]);
    expect(INSERT.bind([0, { object: 1 }])).toEqual([0, { object: 1 }]);
  });

  test("**kwargs collects the keywords no parameter names", () => {
    expect(NS.bind([{ x: 1, y: 2 }])).toEqual([{ x: 1, y: 2 }]);
    expect(NS.bind([])).toEqual([{}]);
    expect(outcome(() => NS.bind([1]))).toBe("TypeError: Namespace.__init__() takes 1 positional argument but 2 were given");
    expect(UPDATE.bind([{ a: 1 }])).toEqual([{ a: 1 }, {}]); // the mapping: E is positional-only
    expect(UPDATE.bind([[["a", 1]], { b: 2 }])).toEqual([[["a", 1]], { b: 2 }]);
    expect(outcome(() => UPDATE.bind([1, 2, 3]))).toBe("TypeError: update expected at most 1 argument, got 3");
  });

  test("split() gives Python's (args, kwds) of a call; bindWire() binds them; accepts() counts positionals", () => {
    expect(GET.split([false, { timeout: 1, block: undefined }])).toEqual([[false], { timeout: 1 }]);
    expect(GET.split([undefined, 2])).toEqual([[true, 2], null]);
    expect(PUT.split([{ timeout: 5 }])).toEqual([[{ timeout: 5 }], null]);
    expect(UPDATE.split([{ a: 1 }, { b: 2 }])).toEqual([[{ a: 1 }], { b: 2 }]);
    const args = [1, 2];
    expect(GET.split(args)[0]).toBe(args); // unchanged: no copy
    expect(PUT.bindWire([], { obj: { a: 1 }, timeout: 2 })).toEqual([{ a: 1 }, true, 2]);
    expect(GET.bindWire([{ timeout: 3 }], null)).toEqual([true, 3]);
    expect(outcome(() => GET.bindWire([], { timout: 1 }))).toBe("TypeError: Queue.get() got an unexpected keyword argument 'timout'");
    expect([POP.accepts(0), POP.accepts(1), POP.accepts(2), INSERT.accepts(1), INSERT.accepts(2)]).toEqual([true, true, false, false, true]);
  });
});

// --- against python3 -----------------------------------------------------------------------------

function hasPython(): boolean {
  try {
    execFileSync("python3", ["-c", "import multiprocessing"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const python = hasPython();

/** [our call, the same call in Python]; each Python line runs with mp, l (held Lock), q, a/b (Pipe), e, c (held Condition), pool, r. */
const cases: [string, () => unknown, string][] = [
  ["unexpected keyword", () => r.get({ timout: 1 } as any), "r.get(timout=1)"],
  ["multiple values", () => (r.get as any)(1, { timeout: 2 }), "r.get(1, timeout=2)"],
  ["too many", () => (r.get as any)(1, 2), "r.get(1, 2)"],
  ["wait keyword", () => r.wait({ x: 1 } as any), "r.wait(x=1)"],
  ["acquire clinic", () => (lock.acquire as any)(true, 1, 2), "l.acquire(True, 1, 2)"],
  ["acquire keyword", () => lock.acquire({ x: 1 } as any), "l.acquire(x=1)"],
  ["acquire str timeout", () => lock.acquire(true, "1" as any), "l.acquire(True, '1')"],
  ["acquire str block", () => lock.acquire("a" as any), "l.acquire('a')"],
  ["acquire NaN", () => lock.acquire(true, NaN), "l.acquire(True, float('nan'))"],
  ["acquire inf", () => lock.acquire(true, Infinity), "l.acquire(True, float('inf'))"],
  ["queue get keyword", () => q.get({ x: 1 } as any), "q.get(x=1)"],
  ["queue get NaN", () => q.get(true, NaN), "q.get(True, float('nan'))"],
  ["queue get inf", () => q.get(true, Infinity), "q.get(True, float('inf'))"],
  ["queue get 1e300", () => q.get(true, 1e300), "q.get(True, 1e300)"],
  ["queue get str", () => q.get(true, "a" as any), "q.get(True, 'a')"],
  ["queue put missing", () => (q.put as any)(), "q.put()"],
  ["Queue(1.5)", () => mp.Queue(1.5), "mp.Queue(1.5)"],
  ["Queue('a')", () => mp.Queue("a" as any), "mp.Queue('a')"],
  ["Queue(2**40)", () => mp.Queue(2 ** 40), "mp.Queue(2**40)"],
  ["Semaphore(1e300)", () => mp.Semaphore(1e300), "mp.Semaphore(1e300)"],
  ["Semaphore keyword", () => mp.Semaphore({ x: 2 } as any), "mp.Semaphore(x=2)"],
  ["send_bytes 1.5", () => a.send_bytes(Buffer.alloc(10), 1.5), "a.send_bytes(bytes(10), 1.5)"],
  ["send_bytes NaN", () => a.send_bytes(Buffer.alloc(10), NaN), "a.send_bytes(bytes(10), float('nan'))"],
  ["send_bytes str", () => a.send_bytes(Buffer.alloc(10), "a" as any), "a.send_bytes(bytes(10), 'a')"],
  ["send_bytes size 1.5", () => a.send_bytes(Buffer.alloc(10), 0, 1.5), "a.send_bytes(bytes(10), 0, 1.5)"],
  ["send_bytes negative", () => a.send_bytes(Buffer.alloc(10), -1), "a.send_bytes(bytes(10), -1)"],
  ["send_bytes too long", () => a.send_bytes(Buffer.alloc(10), 4, 7), "a.send_bytes(bytes(10), 4, 7)"],
  ["send_bytes missing", () => (a.send_bytes as any)(), "a.send_bytes()"],
  ["recv_bytes negative", () => b.recv_bytes(-1), "b.recv_bytes(-1)"],
  ["poll NaN", () => b.poll(NaN), "b.poll(float('nan'))"],
  ["poll inf", () => b.poll(Infinity), "b.poll(float('inf'))"],
  ["poll 1e300", () => b.poll(1e300), "b.poll(1e300)"],
  ["poll 3e6", () => b.poll(3e6), "b.poll(3e6)"],
  ["poll str", () => b.poll("a" as any), "b.poll('a')"],
  ["poll keyword", () => b.poll({ x: 1 } as any), "b.poll(x=1)"],
  ["event NaN", () => ev.wait(NaN), "e.wait(float('nan'))"],
  ["event str", () => ev.wait("a" as any), "e.wait('a')"],
  ["condition 1e300", () => cond.wait(1e300), "c.wait(1e300)"],
  ["barrier str", () => mp.Barrier(2).wait("a" as any), "mp.Barrier(2).wait('a')"],
  ["barrier inf", () => mp.Barrier(2).wait(Infinity), "mp.Barrier(2).wait(float('inf'))"],
  ["connection.wait str", () => mp.connection.wait([b], "a" as any), "mp.connection.wait([b], 'a')"],
  ["connection.wait missing", () => (mp.connection.wait as any)(), "mp.connection.wait()"],
  ["map(f, 5)", () => pool.map(t.square, 5 as any), "pool.map(abs, 5)"],
  ["map(f, null)", () => pool.map(t.square, null as any), "pool.map(abs, None)"],
  ["map missing", () => (pool.map as any)(t.square), "pool.map(abs)"],
  ["map too many", () => (pool.map as any)(t.square, [1], 1, 2, 3), "pool.map(abs, [1], 1, 2, 3)"],
  ["map chunksize inf", () => pool.map(t.square, [1, 2, 3], Infinity), "pool.map(abs, [1, 2, 3], float('inf'))"],
  ["map chunksize str", () => pool.map(t.square, [1, 2, 3], "a" as any), "pool.map(abs, [1, 2, 3], 'a')"],
  ["imap chunksize 0", () => pool.imap(t.square, [1, 2, 3], 0), "pool.imap(abs, [1, 2, 3], 0)"],
  ["imap chunksize null", () => pool.imap(t.square, [1, 2, 3], null as any), "pool.imap(abs, [1, 2, 3], None)"],
  ["apply_async missing", () => (pool.apply_async as any)(), "pool.apply_async()"],
  ["apply keyword", () => pool.apply(t.square, { args: [1], x: 1 } as any), "pool.apply(abs, args=(1,), x=1)"],
  ["get timeout str", () => pool.apply_async(t.sleepy, [1]).get("a" as any), "pool.apply_async(time.sleep, (1,)).get('a')"],
  ["get timeout 1e300", () => pool.apply_async(t.sleepy, [1]).get(1e300), "pool.apply_async(time.sleep, (1,)).get(1e300)"],
  ["get timeout 2**40", () => pool.apply_async(t.sleepy, [1]).get(2 ** 40), "pool.apply_async(time.sleep, (1,)).get(2**40)"],
  ["Pool(1e300)", () => mp.Pool(1e300), "mp.Pool(1e300)"],
  ["Pool(1.5)", () => mp.Pool(1.5), "mp.Pool(1.5)"],
  ["Pool(0)", () => mp.Pool(0), "mp.Pool(0)"],
  ["Pool('a')", () => mp.Pool("a" as any), "mp.Pool('a')"],
  ["Pool keyword", () => mp.Pool({ x: 1 } as any), "mp.Pool(x=1)"],
  ["Pool initializer", () => mp.Pool(1, { initializer: 5 as any }), "mp.Pool(1, initializer=5)"],
  ["Pool maxtasksperchild", () => mp.Pool(1, null, [], 1.5), "mp.Pool(1, None, (), 1.5)"],
  ["Pool too many", () => (mp.Pool as any)(1, null, [], null, null, 1), "mp.Pool(1, None, (), None, None, 1)"],
  ["Process keyword", () => new (mp.Process as any)({ x: 1 }), "mp.Process(x=1)"],
  ["Process too many", () => new (mp.Process as any)(null, null, null, [], {}, 1), "mp.Process(None, None, None, (), {}, 1)"],
  ["Lock(1)", () => (mp.Lock as any)(1), "mp.Lock(1)"],
  ["Value missing", () => (mp.Value as any)(), "mp.Value()"],
  ["Value keyword", () => mp.Value("i", { x: 1 } as any), "mp.Value('i', x=1)"],
  ["Array missing", () => (mp.Array as any)("i"), "mp.Array('i')"],
  ["Array('i', 1e300)", () => mp.Array("i", 1e300), "mp.Array('i', 1e300)"],
  ["Array('i', 2n**70n)", () => mp.Array("i", 2n ** 70n as any), "mp.Array('i', 2**70)"],
  ["sharedctypes.Value keyword", () => sc.Value("i", 0, { x: 1 } as any), "sc.Value('i', 0, x=1)"],
  ["sharedctypes.Value(lock=False)", () => sc.Value({ typecode_or_type: "i", lock: false }), "sc.Value(typecode_or_type='i', lock=False)"],
  ["sharedctypes.Array positional lock", () => (sc.Array as any)("i", 3, false), "sc.Array('i', 3, False)"],
  ["sharedctypes.Array missing", () => (sc.Array as any)("i"), "sc.Array('i')"],
  ["sharedctypes.Array keywords", () => sc.Array({ typecode_or_type: "i", size_or_initializer: 3 }), "sc.Array(typecode_or_type='i', size_or_initializer=3)"],
  ["sharedctypes.RawArray keyword", () => sc.RawArray("i", { size: 3 } as any), "sc.RawArray('i', size=3)"],
  ["sharedctypes.RawArray too many", () => (sc.RawArray as any)("i", 3, 4), "sc.RawArray('i', 3, 4)"],
  ["sharedctypes.RawValue two values", () => (sc.RawValue as any)("i", 1, 2), "sc.RawValue('i', 1, 2)"],
  ["sharedctypes.RawValue keyword", () => sc.RawValue({ typecode_or_type: "i", x: 1 } as any), "sc.RawValue(typecode_or_type='i', x=1)"],
  ["sharedctypes.synchronized keyword", () => sc.synchronized(sc.RawValue("i"), { lokc: null } as any), "sc.synchronized(sc.RawValue('i'), lokc=None)"],
  ["Listener keyword", () => new mp.connection.Listener({ adress: ["127.0.0.1", 0] } as any), "mp.connection.Listener(adress=('127.0.0.1', 0))"],
  ["Listener too many", () => new (mp.connection.Listener as any)(["127.0.0.1", 0], "AF_INET", 1, null, 5), "mp.connection.Listener(('127.0.0.1', 0), 'AF_INET', 1, None, 5)"],
  ["Listener multiple values", () => new (mp.connection.Listener as any)(["127.0.0.1", 0], { address: ["127.0.0.1", 0] }), "mp.connection.Listener(('127.0.0.1', 0), address=('127.0.0.1', 0))"],
  ["Client missing", () => (mp.connection.Client as any)(), "mp.connection.Client()"],
  ["Client keyword", () => mp.connection.Client(["127.0.0.1", 1], { famly: null } as any), "mp.connection.Client(('127.0.0.1', 1), famly=None)"],
  ["Client too many", () => (mp.connection.Client as any)(["127.0.0.1", 1], null, null, 5), "mp.connection.Client(('127.0.0.1', 1), None, None, 5)"],
  ["SharedMemory keyword", () => new SharedMemory({ craete: true } as any), "SharedMemory(craete=True)"],
  ["SharedMemory too many", () => new (SharedMemory as any)(null, true, 10, 5), "SharedMemory(None, True, 10, 5)"],
  ["SharedMemory multiple values", () => new (SharedMemory as any)(null, { create: true, name: null, size: 1 }), "SharedMemory(None, create=True, name=None, size=1)"],
  ["ShareableList positional name", () => new (ShareableList as any)([1], "x"), "ShareableList([1], 'x')"],
  ["ShareableList keyword", () => new ShareableList({ nmae: "x" } as any), "ShareableList(nmae='x')"],
  ["smm.SharedMemory missing", () => (smm.SharedMemory as any)(), "smm.SharedMemory()"],
  ["smm.SharedMemory too many", () => (smm.SharedMemory as any)(10, 20), "smm.SharedMemory(10, 20)"],
  ["smm.ShareableList missing", () => (smm.ShareableList as any)(), "smm.ShareableList()"],
  ["smm.ShareableList keyword", () => smm.ShareableList({ sequence: [1], x: 1 } as any), "smm.ShareableList(sequence=[1], x=1)"],
  ["Barrier missing", () => (mp.Barrier as any)(), "mp.Barrier()"],
  ["get_context keyword", () => mp.get_context({ x: 1 } as any), "mp.get_context(x=1)"],
  ["set_start_method missing", () => (mp.set_start_method as any)(), "mp.set_start_method()"],
  ["get_start_method too many", () => (mp.get_start_method as any)(1, 2), "mp.get_start_method(1, 2)"],
  ["Pipe keyword", () => mp.Pipe({ x: 1 } as any), "mp.Pipe(x=1)"],
];

let lock: mp.Lock, q: mp.Queue, a: mp.Connection, b: mp.Connection, ev: mp.Event, cond: mp.Condition, pool: mp.Pool, r: mp.pool.AsyncResult<number>, smm: SharedMemoryManager;
let expected: Record<string, string> = {};

beforeAll(() => {
  if (!python) return;
  const script = `
import multiprocessing as mp, multiprocessing.connection, multiprocessing.sharedctypes as sc, json, sys, time
from multiprocessing.shared_memory import SharedMemory, ShareableList
from multiprocessing.managers import SharedMemoryManager
if __name__ == "__main__":
    l = mp.Lock(); l.acquire(); q = mp.Queue(); a, b = mp.Pipe(); e = mp.Event(); c = mp.Condition(); c.acquire()
    pool = mp.Pool(1); r = pool.apply_async(time.sleep, (2,)); smm = SharedMemoryManager(); smm.start()
    out = {}
    for name, line in json.loads(sys.argv[1]):
        try:
            v = eval(line)
            out[name] = "ok"
        except BaseException as ex:
            out[name] = type(ex).__name__ + ": " + str(ex)
    pool.terminate(); smm.shutdown()
    print(json.dumps(out))
`;
  const input = JSON.stringify(cases.map(([n, , line]) => [n, line]));
  expected = JSON.parse(execFileSync("python3", ["-c", script, input], { encoding: "utf8", timeout: 60_000 }));
  lock = mp.Lock();
  lock.acquire();
  q = mp.Queue();
  [a, b] = mp.Pipe();
  ev = mp.Event();
  cond = mp.Condition();
  cond.acquire();
  pool = mp.Pool(1);
  smm = new SharedMemoryManager();
  smm.start();
  r = pool.apply_async(t.sleepy, [2]);
}, 90_000);

afterAll(() => {
  if (!python) return;
  pool.terminate();
  pool.join();
  smm.shutdown();
  q.close();
  a.close();
  b.close();
});

describe.skipIf(!python)("errors of public calls, against python3 for the same calls", () => {
  test.each(cases.map(([n, f]) => [n, f] as const))("%s raises as CPython does", (name, f) => {
    let got = outcome(f);
    if (got === "ok" && expected[name] !== "ok") got = "ok (no error)";
    expect(got).toBe(expected[name]);
  });
});
