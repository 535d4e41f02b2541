// By reference, as pickle does (API.md "Calls and values"): exported functions and classes travel
// as module + export name in Process args, queue items, pipe messages, pool tasks and results;
// instances travel with their class and own fields (or through __reduce__); what cannot travel is
// refused in the sender, with the path of the bad value and the fix.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { os, time, str, repr } from "multiprocessing-ts/py";
import { describe, expect, test } from "vitest";
import * as t from "./fixtures/byref_targets.js";
import { Item } from "./fixtures/byref_items.js";
import { spawn } from "./helpers/processes.js";

const require = createRequire(import.meta.url);

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("not refused");
}

describe("by reference: values that travel", () => {
  test("Python's worker-function pattern: [func, args] tasks through a queue", () => {
    const tasks = mp.Queue();
    const done = mp.Queue();
    const p = spawn({ target: t.worker, args: [tasks, done] });
    tasks.put([t.mul, [3, 7]]);
    tasks.put([t.plus, [3, 7]]);
    tasks.put("STOP");
    expect([done.get(true, 30), done.get(true, 30)]).toEqual(["child says that mul(3, 7) = 21", "child says that plus(3, 7) = 10"]);
    p.join(30);
    expect(p.exitcode).toBe(0);
  });

  test("an instance of an exported class arrives with its class, methods and own fields", () => {
    const q = mp.Queue();
    const out = mp.Queue();
    const p = spawn({ target: t.describe, args: [q, out] });
    q.put(new t.Point(1, -2));
    expect(out.get(true, 30)).toEqual(["Point", 3, "Point(1, -2)"]);
    p.join(30);
  });

  test("a task object's __call__ and toString() work in the child (PyMOTW's Task)", () => {
    const q = mp.Queue();
    const out = mp.Queue();
    const p = spawn({ target: t.describe, args: [q, out] });
    q.put(new t.Task(2, 3));
    expect(out.get(true, 30)).toEqual(["Task", "2 * 3 = 6", "2 * 3"]);
    p.join(30);
  });

  test("__reduce__() returning [callable, args] rebuilds the object by calling it (a class is constructed)", () => {
    const q = mp.Queue();
    const out = mp.Queue();
    const p = spawn({ target: t.describe, args: [q, out] });
    const c = new t.Counter(5);
    c.incr(); // 6: __reduce__ sends the current count, the child's incr() gives 7
    q.put(c);
    expect((out.get(true, 30) as unknown[]).slice(0, 2)).toEqual(["Counter", 7]);
    p.join(30);
  });

  test("a child sends back an instance and a function: the parent gets its own class and function", () => {
    const out = mp.Queue();
    const p = spawn({ target: t.sendBack, args: [out] });
    const [pt, fn] = out.get(true, 30) as [t.Point, unknown];
    expect(pt).toBeInstanceOf(t.Point);
    expect(pt.norm1()).toBe(7);
    expect(fn).toBe(t.mul);
    p.join(30);
  });

  test("a class of a module that the target's module imports is found on both sides", () => {
    const q = mp.Queue();
    const out = mp.Queue();
    const p = spawn({ target: t.itemRoundTrip, args: [q, out] });
    q.put(new Item(20));
    const [isItem, doubled, next] = out.get(true, 30) as [boolean, number, Item];
    expect([isItem, doubled]).toEqual([true, 40]);
    expect(next).toBeInstanceOf(Item);
    expect(next.double()).toBe(42);
    p.join(30);
  });

  test("functions travel in pipe messages", () => {
    const [a, b] = mp.Pipe();
    const p = spawn({ target: t.pipeCall, args: [b] });
    a.send([t.mul, [6, 7]]);
    expect(a.recv()).toBe(42);
    p.join(30);
    a.close();
  });

  test("the library's own callables are pool functions and arguments: os.getpid, time.sleep, print", () => {
    mp.Pool(2).with((pool) => {
      const pid = pool.apply_async(os.getpid).get(30);
      expect(typeof pid).toBe("number");
      expect(pid).not.toBe(os.getpid());
      expect(pool.apply(time.sleep, [0.01])).toBeUndefined();
      expect(pool.apply(t.callWith, [t.mul, 6, 7])).toBe(42);
      expect(pool.apply(t.callWith, [os.getpid])).not.toBe(os.getpid());
    });
  });

  test("a callable object (Python's __call__) is a pool function: map, starmap and apply call it with its own fields", () => {
    mp.Pool(2).with((pool) => {
      expect(pool.map(new t.Scale(3), [1, 2, 3])).toEqual([3, 6, 9]);
      expect(pool.starmap(new t.Scale(2), [[1, 10], [2, 20]])).toEqual([22, 44]);
      expect(pool.apply(new t.Scale(5), [4])).toBe(20);
      expect(pool.map(new t.Scale(10), Array.from({ length: 50 }, (_, i) => i), 7)).toEqual(Array.from({ length: 50 }, (_, i) => 10 * i));
    });
  });

  test("pool results that are instances of exported classes come back as such", () => {
    mp.Pool(2).with((pool) => {
      const pts = pool.map(t.makePoint, [1, 2]);
      expect(pts.every((p) => p instanceof t.Point)).toBe(true);
      expect(pts.map((p) => repr(p))).toEqual(["Point(1, 2)", "Point(2, 3)"]);
    });
  });

  test("a Process subclass consumes task objects from a JoinableQueue (PyMOTW's Consumer)", () => {
    const tasks = mp.JoinableQueue();
    const results = mp.Queue();
    const c = new t.Consumer(tasks, results);
    c.start();
    for (let i = 0; i < 3; i++) tasks.put(new t.Task(i, i));
    tasks.put(null);
    tasks.join();
    expect([0, 1, 2].map(() => results.get(true, 30)).sort()).toEqual(["0 * 0 = 0", "1 * 1 = 1", "2 * 2 = 4"]);
    c.join(30);
    expect(c.exitcode).toBe(0);
  });

  test("an object with __call__ is a Process target, called as Python calls it", () => {
    const q = mp.Queue();
    const p = spawn({ target: new t.Putter(q, "called") });
    expect(q.get(true, 30)).toBe("called");
    p.join(30);
  });
});

describe("by reference: what cannot travel is refused in the sender", () => {
  test("a closure as Process target is refused at construction, with the fix", () => {
    const e = refusal(() => new mp.Process({ target: t.makeClosure(2) }));
    expect(e).toBeInstanceOf(mp.py.TypeError);
    expect(e.message).toMatch(/'scaled' \(Process target\) is not exported from .*byref_targets\.ts: declare it with `export function scaled`/);
  });

  test("a closure inside a queue item names its path", () => {
    const q = mp.Queue();
    const e = refusal(() => q.put([1, { handler: t.makeClosure(3) }]));
    expect(e).toBeInstanceOf(mp.py.TypeError);
    expect(e.message).toContain("(item[1].handler)");
    expect(q.empty()).toBe(true);
  });

  test("an anonymous function inside Process args names its path", () => {
    const q = mp.Queue();
    const e = refusal(() => new mp.Process({ target: t.classNameOf, args: [q, [(() => () => 1)()]] }).start());
    expect(e.message).toContain("cannot send an anonymous function to a worker (Process args.args[1][0])");
    const named = refusal(() => new mp.Process({ target: t.classNameOf, args: [q, { cb: () => 1 }] }).start());
    expect(named.message).toMatch(/^function 'cb' \(Process args\.args\[1\]\.cb\) is not exported/);
  });

  test("an instance with #private fields is refused with the field and the fix, not crashed in the child", () => {
    const q = mp.Queue();
    const e = refusal(() => q.put({ s: new t.Secret("k") }));
    expect(e).toBeInstanceOf(mp.py.TypeError);
    expect(e.message).toBe(
      "cannot pickle 'Secret' object (item.s): its class declares the private member Secret.#key, which cannot be copied to another process; " +
        "use an ordinary field (e.g. `_name`), or define `__reduce__()` returning [callable, args]",
    );
  });

  test("an instance of a class the module does not export is refused with `export class` as the fix", () => {
    const e = refusal(() => mp.Queue().put(t.hidden()));
    expect(e.message).toMatch(/^class 'Hidden' \(item\.constructor\) is not exported from .*: declare it with `export class Hidden`/);
  });

  test("a pool task whose argument cannot travel raises in the caller", () => {
    mp.Pool(1).with((pool) => {
      const e = refusal(() => pool.apply(t.callWith, [t.makeClosure(2), 1]));
      expect(e.message).toContain("'scaled'");
    });
  });

  test("a callable object of a class the module does not export is refused as a pool function, in the caller", () => {
    mp.Pool(1).with((pool) => {
      const e = refusal(() => pool.map(t.hiddenCallable(), [1]));
      expect(e.message).toMatch(/class 'HiddenCallable' .*is not exported from .*: declare it with `export class HiddenCallable`/);
    });
  });

  test("CommonJS users are told module.exports, not export", () => {
    const cjs = require("./fixtures/byref_cjs.cjs");
    const q = mp.Queue();
    q.put(cjs.shared); // exported: accepted
    expect(q.get(true, 5)).toBe(cjs.shared);
    const e = refusal(() => q.put([cjs.getLocal()]));
    expect(e.message).toMatch(/function 'local' \(item\[0\]\) is not in module\.exports of .*byref_cjs\.cjs: add it \(`module\.exports\.local = local`\)/);
  });
});

describe("by reference from a CommonJS program", () => {
  test("a function in module.exports travels through a queue; one missing from it is refused with module.exports as the fix", async () => {
    const program = fileURLToPath(new URL("./fixtures/programs/byref_cjs_main.cjs", import.meta.url));
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [program], { timeout: 30_000 }, (err, stdout) => resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout })));
    expect(r.stdout).toBe("double(21) = 42\nTypeError True\n__name__: __main__\n");
    expect(r.code).toBe(0);
  });
});

describe("Python protocols on user classes", () => {
  test("str() and print use toString() (Python's __str__); repr() uses __repr__()", () => {
    const task = new t.Task(2, 3);
    expect(str(task)).toBe("2 * 3");
    expect(`${task}`).toBe("2 * 3");
    expect(repr(new t.Point(1, 2))).toBe("Point(1, 2)");
    expect(str([new t.Point(1, 2)])).toBe("[Point(1, 2)]");
  });
});
