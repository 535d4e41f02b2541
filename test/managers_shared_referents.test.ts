// A manager's builtin dict, list and Namespace referents live in shared memory while they can
// (src/managers/shared_referents.ts): calls on them run in the calling thread, the server's own
// path takes over calls it does not cover, and neither may change what Python would show.
import mp from "multiprocessing-ts";
import type { SyncManager } from "multiprocessing-ts/managers";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import * as t from "./fixtures/shared_referent_targets.js";

let m: SyncManager;
beforeAll(() => {
  m = mp.Manager();
});
afterAll(() => {
  m.shutdown();
});
const started: mp.Process[] = [];
function spawn(target: (...a: any[]) => unknown, args: unknown[]): mp.Process {
  const p = new mp.Process({ target, args });
  started.push(p);
  p.start();
  return p;
}
afterEach(() => {
  for (const p of started.splice(0)) {
    if (p.is_alive()) p.terminate();
    p.join(5);
  }
  expect(mp.active_children().filter((p) => p !== m._process)).toEqual([]);
});

describe("shared builtin referents", () => {
  test("a child's writes and the parent's reads see one state, in the order they were made", () => {
    const d = m.dict();
    const l = m.list();
    const ns = m.Namespace({ x: -1 });
    const out = mp.Queue();
    spawn(t.mixed_writes, [d, l, ns, 2000, out]);
    expect(out.get(true, 60)).toBe("done");
    expect(d.__len__()).toBe(10);
    expect(d.__getitem__("k9")).toBe(1999);
    expect(d.keys()).toEqual(["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"]);
    expect(l.__len__()).toBe(2000);
    expect(l.slice(-3)).toEqual([1997, 1998, 1999]);
    expect(ns.x).toBe(1999);
    expect(String(ns)).toBe("Namespace(x=1999)");

    d.__setitem__("from_parent", "p");
    l.append("parent");
    ns.y = "parent";
    const out2 = mp.Queue();
    spawn(t.read_then_answer, [d, l, ns, out2]);
    expect(out2.get(true, 60)).toEqual(["p", "parent", "parent"]);
    expect(out2.get(true, 60)).toBe("answered");
    expect(d.__getitem__("from_child")).toEqual([1, 2]);
    expect(l.__getitem__(-1)).toBe("child");
    expect(ns.z).toBe("child");
  });

  test("two children changing one list and one dict at once lose nothing and keep each child's order", () => {
    const l = m.list();
    const d = m.dict();
    const out = mp.Queue();
    const n = 4000;
    spawn(t.append_and_set, [l, d, "a", n, out]);
    spawn(t.append_and_set, [l, d, "b", n, out]);
    expect([out.get(true, 60), out.get(true, 60)]).toEqual(["done", "done"]);
    const items: [string, number][] = l._getvalue();
    expect(items.length).toBe(2 * n);
    for (const tag of ["a", "b"]) {
      expect(items.filter(([t]) => t === tag).map(([, i]) => i)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(d.__len__()).toBe(2 * n);
    expect(d.__getitem__("b3999")).toBe(3999);
    // The server's own copy agrees once it serves a call itself.
    expect(d._callmethod("update", [], { c: 1 })).toBe(null);
    expect(d.__len__()).toBe(2 * n + 1);
  });

  test("results are copies and errors keep Python's class and message", () => {
    const d = m.dict({ a: [1, 2] });
    const got = d.__getitem__("a");
    got.push(3);
    expect(d.__getitem__("a")).toEqual([1, 2]);
    const v = [7];
    d.__setitem__("b", v);
    v.push(8);
    expect(d.__getitem__("b")).toEqual([7]);
    expect(() => d.__getitem__("missing")).toThrow(expect.objectContaining({ name: "KeyError", args: ["missing"] }));
    expect(() => d.pop("missing")).toThrow(expect.objectContaining({ name: "KeyError" }));
    expect(d.get("missing", 5)).toBe(5);
    const l = m.list([1]);
    expect(() => l.__getitem__(5)).toThrow(expect.objectContaining({ name: "IndexError", message: "list index out of range" }));
    expect(() => l.remove(9)).toThrow(expect.objectContaining({ name: "ValueError", message: "list.remove(x): x not in list" }));
    expect(() => l.__setitem__("x" as any, 1)).toThrow(expect.objectContaining({ name: "TypeError", message: "list indices must be integers or slices, not str" }));
    const ns = m.Namespace();
    expect(() => ns.nope).toThrow(expect.objectContaining({ name: "AttributeError", message: "'Namespace' object has no attribute 'nope'" }));
    expect("nope" in ns).toBe(false);
    // Python's key rules: True and 1 are one key, tuples are keys, lists are not.
    d.__setitem__(1, "one");
    d.__setitem__(true, "true");
    expect(d.__getitem__(1)).toBe("true");
    d.__setitem__(mp.py.tuple(1, 2), "t");
    expect(d.__getitem__(mp.py.tuple(1, 2))).toBe("t");
    expect(() => d.__setitem__([1, 2], "l")).toThrow(expect.objectContaining({ name: "TypeError", message: "unhashable type: 'list'" }));
    expect(String(d)).toBe("{'a': [1, 2], 'b': [7], 1: 'true', (1, 2): 't'}");
  });

  test("calls the shared path does not cover go to the server and keep the order of the others", () => {
    const d = m.dict();
    d.__setitem__("x", 1);
    d._callmethod("update", [], { z: 3 }); // keyword arguments: served by the server
    d.__setitem__("y", 2);
    expect(d.items()).toEqual([["x", 1], ["z", 3], ["y", 2]]);
    expect(d._getvalue()).toEqual(new Map([["x", 1], ["z", 3], ["y", 2]]));
    // A nested proxy makes the dict the server's for good; nothing is lost on the way.
    const inner = m.list([1]);
    d.__setitem__("inner", inner);
    d.__getitem__("inner").append(2);
    expect(inner._getvalue()).toEqual([1, 2]);
    d.__setitem__("after", 4);
    expect(d.keys()).toEqual(["x", "z", "y", "inner", "after"]);
    // An iterator over the dict is live in the server: it sees a change made after it started.
    const d2 = m.dict({ a: 1 });
    const it = d2.__iter__();
    d2.__setitem__("b", 2);
    expect(() => it.__next__()).toThrow(expect.objectContaining({ name: "RuntimeError", message: "dictionary changed size during iteration" }));
  });

  test("a list that outgrows its slot moves to a larger one, then to the server, with every item kept", () => {
    const l = m.list();
    const item = "0123456789abcdef";
    for (let i = 0; i < 6000; i++) l.append(`${item}${i}`); // beyond a small slot (64 KiB)
    expect(l.__len__()).toBe(6000);
    expect(l.__getitem__(5999)).toBe(`${item}5999`);
    l.extend(Array.from({ length: 54000 }, (_, i) => `${item}${6000 + i}`)); // beyond a large one (1 MiB)
    l.append("last");
    expect(l.__len__()).toBe(60001);
    expect(l.__getitem__(-2)).toBe(`${item}59999`);
    expect(l.count(`${item}17`)).toBe(1);
    l.sort({ reverse: true });
    expect(l.__getitem__(0)).toBe("last");
    expect(l.__getitem__(1)).toBe(`${item}9999`);
  });

  test("a child's extend() of 400,000 items reaches the parent whole", () => {
    const l = m.list();
    for (let k = 0; k < 3; k++) l.extend(Array.from({ length: 8000 }, (_, i) => i)); // into a large slot
    const out = mp.Queue();
    spawn(t.extend_nones, [l, 400_000, out]);
    expect(out.get(true, 60)).toBe("done");
    expect(l.__len__()).toBe(424_000);
    expect(l.__getitem__(-1)).toBe(null);
    l.append("end");
    expect(l.__getitem__(424_000)).toBe("end");
    expect(l.count(7999)).toBe(3);
  });

  test("more referents than shared slots, made and freed, all behave as dicts", () => {
    const ds = Array.from({ length: 80 }, (_, i) => m.dict({ i }));
    ds.forEach((d, i) => d.__setitem__("sq", i * i));
    expect(ds.map((d) => d.__getitem__("sq"))).toEqual(ds.map((_, i) => i * i));
    for (const d of ds.splice(0, 40)) d._close();
    const more = Array.from({ length: 40 }, (_, i) => m.dict({ j: i }));
    more.forEach((d) => d.__setitem__("j", d.__getitem__("j") + 1));
    expect(more.map((d) => d.__getitem__("j"))).toEqual(more.map((_, i) => i + 1));
    expect(ds.map((d) => d.__getitem__("i"))).toEqual(ds.map((_, i) => i + 40));
    for (const d of [...ds, ...more]) d._close();
  });

  test("a child terminated in the middle of its calls leaves the dict consistent and usable", () => {
    const d = m.dict({ k: 0 });
    for (let round = 0; round < 3; round++) {
      const ready = mp.Queue();
      const p = spawn(t.increment_forever, [d, ready]);
      expect(ready.get(true, 60)).toBe("go");
      mp.py.time.sleep(0.05);
      p.terminate();
      p.join(10);
      const before = d.__getitem__("k");
      expect(Number.isInteger(before)).toBe(true);
      d.__setitem__("k", before + 1);
      expect(d.__getitem__("k")).toBe(before + 1);
    }
    expect(d.keys()).toEqual(["k"]);
  });
});

describe("shared Value", () => {
  test("a Value's get and set from a child and the parent, and its repr", () => {
    const v = m.Value("i", 0);
    const out = mp.Queue();
    spawn(t.value_increments, [v, 500, out]);
    expect(out.get(true, 60)).toBe("done");
    expect(v.value).toBe(500);
    v.value = [1, 2];
    const got = v.get();
    got.push(3);
    expect(v.get()).toEqual([1, 2]);
    expect(String(v)).toBe("Value('i', [1, 2])");
  });
});

describe("shared path against the server's path", () => {
  test("a child's calls with arguments of every record form replay in the parent and the server as the server ran them", () => {
    const make = () => [m.dict({ a: 1 }), m.list([1, 2, 3]), m.Namespace({ x: 1 })];
    const shared = make();
    const served = make();
    // A call outside what the shared path covers hands each of these to the server for good.
    for (const p of served) expect(() => p._callmethod("no_such_method")).toThrow();
    // The parent reads the shared ones first: its replicas then catch up by replaying the child's records.
    const before = shared.map((p) => String(p));
    const out = mp.Queue();
    spawn(t.random_mutations, [shared, served, 11, 3000, out]);
    const log = out.get(true, 120) as string[];
    expect(out.get(true, 60)).toBe("done");
    expect(log.length).toBe(3000);
    expect(log.filter((l) => l.includes(" / "))).toEqual([]);
    expect(before).toEqual(["{'a': 1}", "[1, 2, 3]", "Namespace(x=1)"]);
    // Replayed here, and by the server (#GETVALUE and repr() are served there): one state.
    expect(shared.map((p) => String(p))).toEqual(served.map((p) => String(p)));
    expect(shared.map((p) => mp.py.repr(p._getvalue()))).toEqual(served.map((p) => mp.py.repr(p._getvalue())));
    for (const p of [...shared, ...served]) p._close();
  });


  test("2,000 random calls give the same results, errors and states on a shared referent and on one the server serves", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
    const vals: unknown[] = [0, 1, -1, 2.5, -0, true, false, null, "a", "é", "", 2n ** 70n, [1, 2], mp.py.tuple(1, 2), new Map([["x", 1]]), { k: 1 }];
    const keys: unknown[] = [0, 1, true, "a", "b", 2.5, mp.py.tuple(1, 2), [1], null];
    const dm = ["__repr__", "__contains__", "__delitem__", "__getitem__", "__len__", "__setitem__", "clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"];
    const lm = ["__repr__", "__add__", "__contains__", "__delitem__", "__getitem__", "__len__", "__mul__", "__reversed__", "__setitem__", "append", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort", "__imul__"];
    const make = () => [m.dict({ a: 1 }), m.list([1, 2, 3]), m.Namespace({ x: 1 }), m.Value("i", 3)];
    const shared = make();
    const served = make();
    // A call outside what the shared path covers hands each of these to the server for good.
    for (const p of served) expect(() => p._callmethod("no_such_method")).toThrow();
    const show = (f: () => unknown): string => {
      try {
        return `-> ${mp.py.repr(f())}`;
      } catch (e: any) {
        return `!! ${e?.constructor?.name}: ${e?.message} ${mp.py.repr(e?.args ?? null)}`;
      }
    };
    const log: [string, string][] = [];
    for (let i = 0; i < 2000; i++) {
      const which = Math.floor(rnd() * 4);
      let name: string;
      let args: unknown[];
      if (which === 0) {
        name = pick(dm);
        args = Array.from({ length: Math.floor(rnd() * 3) }, (_, j) => (j === 0 ? pick(keys) : pick(vals)));
        if (name === "update") args = [pick<unknown>([new Map<unknown, unknown>([["u", 1], [2, 3]]), { z: 9 }, [[1, 2]], [[1]]])];
      } else if (which === 1) {
        name = pick(lm);
        args = Array.from({ length: Math.floor(rnd() * 3) }, () => pick([...vals, 0, 1, -1, 5, 2]));
        if (name === "extend" || name === "__add__") args = [pick<unknown>([[1, 2], "ab", []])];
        if (name === "__mul__" || name === "__imul__") args = [pick([0, 1, 2, "x"])];
        if (name === "sort") args = [pick<unknown>([{}, { reverse: true }])];
      } else if (which === 2) {
        name = pick(["__getattribute__", "__setattr__", "__delattr__", "__repr__"]);
        args = name === "__setattr__" ? [pick(["x", "y", "_p"]), pick(vals)] : [pick(["x", "y", "_p", "constructor"])];
      } else {
        name = pick(["get", "set", "__repr__"]);
        args = name === "set" ? [pick(vals)] : [];
      }
      const a = show(() => shared[which]._callmethod(name, args));
      const b = show(() => served[which]._callmethod(name, args));
      if (which === 1 && i % 100 === 0) for (const l of [shared[1], served[1]] as any[]) while (l.__len__() > 40) l.pop();
      log.push([a, b]);
    }
    expect(log.filter(([a, b]) => a !== b)).toEqual([]);
    expect(shared.map((p) => String(p))).toEqual(served.map((p) => String(p)));
    for (const p of [...shared, ...served]) p._close();
  });
});

