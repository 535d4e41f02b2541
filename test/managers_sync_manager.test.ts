// Manager() and SyncManager: every factory of CPython's, proxies with Python's class names and
// reprs, str() = the referent's repr, copies vs live nested proxies, errors with the referent's
// class and message, RemoteError for creation errors and unexposed methods, indexing, len,
// for...of, and the _async twins.
import mp from "multiprocessing-ts";
import { RemoteError, SyncManager } from "multiprocessing-ts/managers";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { len, repr, str, tuple } from "multiprocessing-ts/py";
import * as t from "./fixtures/manager_targets.js";

let m: SyncManager;
beforeAll(() => {
  m = mp.Manager();
});
afterAll(() => {
  m.shutdown();
  expect(m._process.exitcode).toBe(0);
});

describe("Manager()", () => {
  test("returns a started SyncManager whose server is a named process of the tree", () => {
    expect(m).toBeInstanceOf(SyncManager);
    expect(m._process.name).toMatch(/^SyncManager-\d+$/);
    expect(m._process.is_alive()).toBe(true);
    expect(typeof m.address).toBe("string");
  });

  test("every factory of CPython's SyncManager returns a proxy with Python's class name and repr", () => {
    const made: Record<string, any> = {
      Queue: m.Queue(), JoinableQueue: m.JoinableQueue(), Event: m.Event(), Lock: m.Lock(), RLock: m.RLock(), Semaphore: m.Semaphore(),
      BoundedSemaphore: m.BoundedSemaphore(), Condition: m.Condition(), Barrier: m.Barrier(2), list: m.list(), dict: m.dict(),
      Value: m.Value("i", 0), Array: m.Array("i", [1]), Namespace: m.Namespace(),
    };
    const classes = Object.fromEntries(Object.entries(made).map(([k, v]) => [k, v.constructor.name]));
    expect(classes).toEqual({
      Queue: "AutoProxy[Queue]", JoinableQueue: "AutoProxy[JoinableQueue]", Event: "EventProxy", Lock: "AcquirerProxy", RLock: "AcquirerProxy",
      Semaphore: "AcquirerProxy", BoundedSemaphore: "AcquirerProxy", Condition: "ConditionProxy", Barrier: "BarrierProxy", list: "ListProxy",
      dict: "DictProxy", Value: "ValueProxy", Array: "ArrayProxy", Namespace: "NamespaceProxy",
    });
    expect(repr(made.dict)).toMatch(/^<DictProxy object, typeid 'dict' at 0x[0-9a-f]+>$/);
    expect(repr(made.Queue)).toMatch(/^<AutoProxy\[Queue\] object, typeid 'Queue' at 0x[0-9a-f]+>$/);
    for (const p of Object.values(made)) p._close();
  });

  test("m.Pool() is a pool in the server: map() through the proxy", () => {
    const pool = m.Pool(2);
    try {
      expect(pool.constructor.name).toBe("PoolProxy");
      expect(pool.map(t.pool_store_square, [])).toEqual([]);
      const d = m.dict();
      expect(pool.map(t.pool_store_square, [[d, 2], [d, 3]])).toEqual([2, 3]);
      expect(d.copy()).toEqual(new Map([[2, 4], [3, 9]]));
    } finally {
      pool.terminate();
    }
  });

  test("a Pool made before the Manager uses its proxies (its workers adopt the manager published since)", () => {
    const pool = mp.Pool(2);
    pool.map(t.pool_store_square, []); // the workers are up before the manager exists
    const m2 = mp.Manager();
    try {
      const d = m2.dict();
      expect(pool.map(t.pool_store_square, [[d, 1], [d, 2], [d, 3]], 1)).toEqual([1, 2, 3]);
      expect(str(d)).toBe("{1: 1, 2: 4, 3: 9}");
    } finally {
      pool.terminate();
      m2.shutdown();
    }
  });

  test("str(proxy) is the referent's repr; values come back as copies; proxies do not compare equal", () => {
    const d = m.dict();
    d.__setitem__(1, "a");
    d.__setitem__("1", "b");
    expect(str(d)).toBe("{1: 'a', '1': 'b'}");
    d.lst = [1];
    d.lst.push(2); // mutates a copy
    expect(d.lst).toEqual([1]);
    expect(d.keys()).toEqual([1, "1", "lst"]);
    expect(d === d.copy()).toBe(false);
    const l = m.list([[88, 99]]);
    expect(Array.isArray(l[0])).toBe(true);
  });

  test("a proxy stored in a managed dict or list comes back live", () => {
    const inner = m.dict({ water: 10 });
    const outer = m.dict({ inner });
    outer.inner.blankets = 5;
    expect(inner.blankets).toBe(5);
    outer.clear();
    expect(inner.water).toBe(10);
    const l = m.list([inner]);
    l[0].marmots = 1;
    expect(inner.marmots).toBe(1);
  });

  test("referent errors are re-raised with their class and message", () => {
    const d = m.dict();
    const l = m.list([1]);
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e: any) {
        return `${e.name}: ${str(e)}`;
      }
      return "no error";
    };
    expect(err(() => d.missing)).toBe("KeyError: 'missing'");
    expect(err(() => l[5])).toBe("IndexError: list index out of range");
    expect(err(() => l.remove(9))).toBe("ValueError: list.remove(x): x not in list");
    expect(err(() => l.index(99))).toBe("ValueError: 99 is not in list");
    expect(err(() => m.list().pop())).toBe("IndexError: pop from empty list");
    expect(err(() => m.Namespace().missing)).toBe("AttributeError: 'Namespace' object has no attribute 'missing'");
    expect(err(() => m.Lock().release())).toBe("RuntimeError: release unlocked lock");
  });

  test("creation errors and unexposed methods raise RemoteError with the server's traceback", () => {
    let e: any;
    try {
      m.Array("z", []);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(RemoteError);
    expect(str(e).startsWith("\n" + "-".repeat(75) + "\n")).toBe(true);
    expect(str(e)).toContain("ValueError: bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d)");
    expect(() => m.dict()._callmethod("nonexistent")).toThrow(/is not in exposed/);
    expect(() => m.Pool(0)).toThrow(RemoteError);
  });

  test("a ListProxy indexes like a shared Array: negative indices, slices, set_slice, len, for...of, +=, *", () => {
    const l = m.list([1, 2, 3, 4]);
    expect(l[-1]).toBe(4);
    l[-1] = 40;
    expect(l.slice(1, 3)).toEqual([2, 3]);
    expect(l.slice(null, null, -1)).toEqual([40, 3, 2, 1]);
    l.set_slice(0, 2, ["a"]);
    expect(l._getvalue()).toEqual(["a", 3, 40]);
    expect(len(l)).toBe(3);
    expect(l.length).toBe(3);
    expect([...l]).toEqual(["a", 3, 40]);
    expect(l.__iadd__([7])).toBe(l);
    expect(l.__mul__(2)).toEqual(["a", 3, 40, 7, "a", 3, 40, 7]);
    expect(l.__contains__(40)).toBe(true);
    const n = m.list([3, 1, 2]);
    n.sort({ reverse: true });
    expect(n._getvalue()).toEqual([3, 2, 1]);
    expect(() => l.sort()).toThrow("'<' not supported between instances of 'int' and 'str'");
  });

  test("DictProxy keys keep their Python type; string keys work as properties", () => {
    const d = m.dict();
    d.__setitem__(1, "int");
    d["1"] = "str";
    expect(d.__getitem__(1)).toBe("int");
    expect(d.get("1")).toBe("str");
    expect("1" in d).toBe(true);
    delete d["1"];
    expect(d.__contains__("1")).toBe(false);
    d.__setitem__(tuple(1, 2), "tuple key");
    expect(d.__getitem__(tuple(1, 2))).toBe("tuple key");
    expect([...d]).toEqual([1, [1, 2]]);
    expect(len(d)).toBe(2);
  });

  test("float keys hash as Python's: float(0.25) is the key 0.25, float(2) and 2 are one key, and 2.0 stays the key once it is one", () => {
    // As python3: d[0.25] = 'a'; d[2.0] = 'b'; d[1] = 'one'; d[1.0] = 'uno' -> {0.25: 'a', 2.0: 'b', 1: 'uno'}
    const d = m.dict();
    d.__setitem__(mp.py.float(0.25), "a");
    d.__setitem__(mp.py.float(2), "b");
    d.__setitem__(1, "one");
    d.__setitem__(mp.py.float(1), "uno");
    expect(d.__getitem__(0.25)).toBe("a");
    expect(d.__getitem__(2)).toBe("b");
    expect(d.__getitem__(2n)).toBe("b");
    expect(d.__getitem__(mp.py.float(2))).toBe("b");
    expect(str(d)).toBe("{0.25: 'a', 2.0: 'b', 1: 'uno'}");
    expect(len(d)).toBe(3);
    const l = m.list([mp.py.float(2), 0.5]);
    expect([l.__contains__(2), l.__contains__(1n), l.count(2), l.index(0.5)]).toEqual([true, false, 1, 1]);
  });

  test("m.list(x) and extend(x) iterate x as Python does: a dict gives its keys, a str its characters", () => {
    // As python3: m.list({'a': 1, 'b': 2}) -> ['a', 'b']; l.extend({'a': 1}) -> [1, 'a']; m.list(5) raises
    expect(str(m.list({ a: 1, b: 2 }))).toBe("['a', 'b']");
    expect(str(m.list(new Map([["a", 1]])))).toBe("['a']");
    expect(str(m.list("ab"))).toBe("['a', 'b']");
    const l = m.list([1]);
    l.extend({ a: 1 });
    l.extend(new Set([7]));
    expect(str(l)).toBe("[1, 'a', 7]");
    expect(() => m.list(5 as never)).toThrow(/'int' object is not iterable/);
  });

  test("NamespaceProxy: attributes are shared; names starting with _ stay on the local proxy", () => {
    const n = m.Namespace({ a: 1 });
    n.b = 2;
    n._local = 3;
    expect(str(n)).toBe("Namespace(a=1, b=2)");
    expect(n._local).toBe(3);
    expect("b" in n).toBe(true);
    delete n.b;
    expect("b" in n).toBe(false);
  });

  test("every proxy method has an _async twin that leaves the event loop free", async () => {
    const d = m.dict();
    await d.__setitem___async("k", 1);
    expect(await d.__getitem___async("k")).toBe(1);
    const q = m.Queue();
    const got = q.get_async();
    let ticked = false;
    setTimeout(() => (ticked = true), 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(ticked).toBe(true);
    await q.put_async("x");
    expect(await got).toBe("x");
    const lk = m.Lock();
    expect(await lk.acquire_async()).toBe(true);
    expect(await lk.acquire_async(true, 0.01)).toBe(false);
    await lk.release_async();
    const ev = m.Event();
    expect(await ev.wait_async(0.01)).toBe(false);
    expect(await m.list([1])._getvalue_async()).toEqual([1]);
  });

  test("Value and Array proxies", () => {
    const v = m.Value("d", 1.5);
    v.value = 2.5;
    expect(v.get()).toBe(2.5);
    expect(str(v)).toBe("Value('d', 2.5)");
    const a = m.Array("i", [0, 1, 2]);
    a[-1] = 7;
    expect(str(a.slice(1))).toBe("array('i', [1, 7])");
    expect(() => a.__setitem__(0, 2 ** 40)).toThrow("signed integer is greater than maximum");
  });
});
