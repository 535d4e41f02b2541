// Port of CPython's _TestContainers (Lib/test/_test_multiprocessing.py), "manager" flavour (its
// only flavour): ListProxy, DictProxy and NamespaceProxy of a SyncManager, nested proxies and a
// queue proxy held in a container.
import mp from "multiprocessing-ts";
import type { SyncManager } from "multiprocessing-ts/managers";
import { len, str } from "multiprocessing-ts/py";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

let manager: SyncManager;
beforeAll(() => {
  manager = mp.Manager();
});
afterAll(() => {
  manager.shutdown();
  expect(mp.active_children()).toEqual([]);
});

const range = (a: number, b?: number): number[] =>
  b === undefined ? Array.from({ length: a }, (_, i) => i) : Array.from({ length: b - a }, (_, i) => a + i);
const chr = (i: number): string => String.fromCharCode(i);

describe("_TestContainers", () => {
  test("test_list: a ListProxy slices, extends, multiplies in place, adds, and holds other list proxies live", () => {
    const a: any = manager.list(range(10));
    expect(a.slice()).toEqual(range(10));

    const b: any = manager.list();
    expect(b.slice()).toEqual([]);

    b.extend(range(5));
    expect(b.slice()).toEqual(range(5));

    expect(b[2]).toBe(2);
    expect(b.slice(2, 10)).toEqual([2, 3, 4]);

    b.__imul__(2);
    expect(b.slice()).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);

    expect(b.__add__([5, 6])).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6]);

    expect(a.slice()).toEqual(range(10));

    const d = [a, b];
    const e: any = manager.list(d);
    expect([...e].map((element: any) => element.slice())).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [0, 1, 2, 3, 4, 0, 1, 2, 3, 4],
    ]);

    const f: any = manager.list([a]);
    a.append("hello");
    expect(f[0].slice()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "hello"]);
  });

  test("test_list_iter: iterating a ListProxy yields its items once, and sees a change made during iteration", () => {
    const a: any = manager.list(range(10));
    let it = a[Symbol.iterator]();
    expect([...it]).toEqual(range(10));
    expect([...it]).toEqual([]); // exhausted
    // list modified during iteration
    it = a[Symbol.iterator]();
    a[0] = 100;
    expect(it.next().value).toBe(100);
  });

  test("test_list_proxy_in_list: list proxies inside a list proxy stay live: stores, pop and len go to the inner lists", () => {
    let a: any = manager.list(range(3).map(() => manager.list(range(3))));
    expect([...a].map((inner: any) => inner.slice())).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2]]);

    a[0][-1] = 55;
    expect(a[0].slice()).toEqual([0, 1, 55]);
    for (let i = 1; i < 3; i++) expect(a[i].slice()).toEqual([0, 1, 2]);

    expect(a[1].pop()).toBe(2);
    expect(len(a[1])).toBe(2);
    for (const i of [0, 2]) expect(len(a[i])).toBe(3);

    a = null;

    let b: any = manager.list();
    b.append(b);
    b = null;
  });

  test("test_dict: a DictProxy stores int keys, and copy(), keys(), values() and items() return them", () => {
    const d: any = manager.dict();
    const indices = range(65, 70);
    for (const i of indices) d.__setitem__(i, chr(i));
    expect(d.copy()).toEqual(new Map(indices.map((i) => [i, chr(i)])));
    expect([...d.keys()].sort()).toEqual(indices);
    expect([...d.values()].sort()).toEqual(indices.map(chr));
    expect([...d.items()].sort()).toEqual(indices.map((i) => [i, chr(i)]));
  });

  test("test_dict_iter: iterating a DictProxy yields its keys once; clearing it during iteration raises RuntimeError", () => {
    const d: any = manager.dict();
    const indices = range(65, 70);
    for (const i of indices) d.__setitem__(i, chr(i));
    let it = d.__iter__();
    expect([...it]).toEqual(indices);
    expect([...it]).toEqual([]); // exhausted
    // dictionary changed size during iteration
    it = d.__iter__();
    d.clear();
    expect(() => it.__next__()).toThrow(expect.objectContaining({ name: "RuntimeError" }));
  });

  test("test_dict_proxy_nested: dict proxies nested in dict and list proxies stay live after the outer is cleared", () => {
    let pets: any = manager.dict({ ferrets: 2, hamsters: 4 });
    let supplies: any = manager.dict({ water: 10, feed: 3 });
    const d: any = manager.dict({ pets, supplies });

    expect(supplies["water"]).toBe(10);
    expect(d["supplies"]["water"]).toBe(10);

    d["supplies"]["blankets"] = 5;
    expect(supplies["blankets"]).toBe(5);
    expect(d["supplies"]["blankets"]).toBe(5);

    d["supplies"]["water"] = 7;
    expect(supplies["water"]).toBe(7);
    expect(d["supplies"]["water"]).toBe(7);

    pets = null;
    supplies = null;
    expect(d["pets"]["ferrets"]).toBe(2);
    d["supplies"]["blankets"] = 11;
    expect(d["supplies"]["blankets"]).toBe(11);

    pets = d["pets"];
    supplies = d["supplies"];
    supplies["water"] = 7;
    expect(supplies["water"]).toBe(7);
    expect(d["supplies"]["water"]).toBe(7);

    d.clear();
    expect(len(d)).toBe(0);
    expect(supplies["water"]).toBe(7);
    expect(pets["hamsters"]).toBe(4);

    const l: any = manager.list([pets, supplies]);
    l[0]["marmots"] = 1;
    expect(pets["marmots"]).toBe(1);
    expect(l[0]["marmots"]).toBe(1);

    pets = null;
    supplies = null;
    expect(l[0]["marmots"]).toBe(1);

    const outer: any = manager.list([[88, 99], l]);
    expect(Array.isArray(outer[0])).toBe(true); // Not a ListProxy
    expect(outer[-1][-1]["feed"]).toBe(3);
  });

  test("test_nested_queue: a queue proxy stored in a list proxy or a dict proxy still puts and gets", () => {
    const a: any = manager.list(); // Test queue inside list
    a.append(manager.Queue());
    a[0].put(123);
    expect(a[0].get()).toBe(123);
    const b: any = manager.dict(); // Test queue inside dict
    b.__setitem__(0, manager.Queue());
    b.__getitem__(0).put(456);
    expect(b.__getitem__(0).get()).toBe(456);
  });

  test("test_namespace: a Namespace proxy sets and deletes attributes, keeps _names local, and shows its public ones", () => {
    const n: any = manager.Namespace();
    n.name = "Bob";
    n.job = "Builder";
    n._hidden = "hidden";
    expect([n.name, n.job]).toEqual(["Bob", "Builder"]);
    delete n.job;
    expect(str(n)).toBe("Namespace(name='Bob')");
    expect("name" in n).toBe(true);
    expect(!("job" in n)).toBe(true);
  });
});
