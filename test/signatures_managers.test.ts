// A manager's factories and proxy methods bind through their declared signatures
// (src/managers/signatures.ts, proxy_types.ts): each keyword spelling does what the positional
// one does, timeouts in keyword spelling time out, the TypeErrors are python3's for the same
// calls on a real multiprocessing.Manager(), and keywords cross the wire both ways with CPython.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import mp from "multiprocessing-ts";
import { SyncManager } from "multiprocessing-ts/managers";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { managerSpellings } from "./helpers/manager_spellings.js";
import * as pt from "./fixtures/pool_targets.js";
import * as tm from "./fixtures/manager_targets.js";
import { RemoteClient, RemoteManager } from "./fixtures/remote_manager_targets.js";
import { python3With } from "./helpers/python_peer.js";
import { expectTimesOut, outcome } from "./helpers/timeouts.js";

const declared = (): Map<string, unknown> => (globalThis as any)[Symbol.for("multiprocessing-ts.signatures")];
const python = python3With("multiprocessing.managers");

let m: SyncManager;
beforeAll(() => {
  m = mp.Manager();
});
afterAll(() => {
  m.shutdown();
});

describe("every manager declaration", () => {
  test("the table names only declared signatures", () => {
    expect(Object.keys(managerSpellings).filter((k) => !declared().has(k))).toEqual([]);
    expect(Object.keys(managerSpellings).length).toBeGreaterThanOrEqual(100);
  });

  test.each(Object.keys(managerSpellings))("%s: the keyword spelling does what the positional one does", (name) => {
    const [positional, keywords] = managerSpellings[name]!(m);
    expect(keywords).toEqual(positional);
  });

  test("a manager's Pool binds as Pool does: factory keywords, and its methods' keywords through the proxy", () => {
    const p = m.Pool(1, { initializer: null, maxtasksperchild: 2 });
    try {
      expect(p.map({ func: pt.square, iterable: [1, 2, 3], chunksize: 2 })).toEqual(p.map(pt.square, [1, 2, 3], 2));
      expect(p.apply(pt.square, { args: [4] })).toBe(16);
      expect(p.apply_async({ func: pt.square, args: [5] }).get({ timeout: 60 })).toBe(25);
      expect(p.starmap(pt.identity, [[1]], { chunksize: 1 })).toEqual([1]);
      expect([...p.imap(pt.square, [2, 3], { chunksize: 1 })]).toEqual([4, 9]);
      // @ts-expect-error a misspelt keyword: the runtime TypeError is what is tested
      expect(() => p.map(pt.square, [1], { chunksze: 1 })).toThrow(new mp.py.TypeError("Pool.map() got an unexpected keyword argument 'chunksze'"));
    } finally {
      p.terminate();
    }
  });
});

// --- timeouts in keyword spelling ---------------------------------------------------------------

const kTimeout = 0.2;

/** Each entry sets up, then returns the call that must wait `timeout` seconds and give up (timed alone). */
const timeouts: Record<string, (positional: boolean, s: number) => () => unknown> = {
  "Lock.acquire": (pos, s) => {
    const l = m.Lock();
    l.acquire();
    return () => (pos ? l.acquire(true, s) : l.acquire({ timeout: s }));
  },
  "RLock.acquire (held by another client)": (pos, s) => {
    const l = m.RLock();
    const r = m.Queue();
    const p = new mp.Process({ target: tm.hold_lock, args: [l, r] });
    p.start();
    expect(r.get(true, 60)).toBe("held");
    cleanups.push(() => (p.terminate(), p.join()));
    return () => (pos ? l.acquire(true, s) : l.acquire({ blocking: true, timeout: s }));
  },
  "Semaphore.acquire": (pos, s) => {
    const x = m.Semaphore({ value: 0 });
    return () => (pos ? x.acquire(true, s) : x.acquire({ timeout: s }));
  },
  "Condition.wait": (pos, s) => {
    const c = m.Condition();
    c.acquire();
    cleanups.push(() => c.release());
    return () => (pos ? c.wait(s) : c.wait({ timeout: s }));
  },
  "Condition.wait_for": (pos, s) => {
    const c = m.Condition();
    c.acquire();
    cleanups.push(() => c.release());
    return () => (pos ? c.wait_for(() => false, s) : c.wait_for({ predicate: () => false, timeout: s }));
  },
  "Event.wait": (pos, s) => {
    const e = m.Event();
    return () => (pos ? e.wait(s) : e.wait({ timeout: s }));
  },
  "Barrier.wait": (pos, s) => {
    const b = m.Barrier(2);
    return () => outcome(() => (pos ? b.wait(s) : b.wait({ timeout: s })));
  },
  "Barrier(2, { timeout }).wait()": (pos, s) => {
    const b = pos ? m.Barrier(2, null, s) : m.Barrier(2, { timeout: s });
    return () => outcome(() => b.wait());
  },
  "Queue.get": (pos, s) => {
    const q = m.Queue();
    return () => outcome(() => (pos ? q.get(true, s) : q.get({ timeout: s })));
  },
  "Queue.put (full)": (pos, s) => {
    const q = pos ? m.Queue(1) : m.Queue({ maxsize: 1 });
    q.put(0);
    return () => outcome(() => (pos ? q.put(1, true, s) : q.put(1, { timeout: s })));
  },
  "JoinableQueue.get": (pos, s) => {
    const q = m.JoinableQueue();
    return () => outcome(() => (pos ? q.get(true, s) : q.get({ block: true, timeout: s })));
  },
  "AsyncResult.get (manager Pool)": (pos, s) => {
    const p = m.Pool(1);
    cleanups.push(() => p.terminate());
    const r = p.apply_async(pt.sleepy, [3]);
    return () => outcome(() => (pos ? r.get(s) : r.get({ timeout: s })));
  },
  "AsyncResult.wait (manager Pool)": (pos, s) => {
    const p = m.Pool(1);
    cleanups.push(() => p.terminate());
    const r = p.apply_async(pt.sleepy, [3]);
    return () => (pos ? r.wait(s) : r.wait({ timeout: s }));
  },
};
const cleanups: (() => void)[] = [];

describe("timeouts of a manager's proxies in both spellings", () => {
  for (const [name, call] of Object.entries(timeouts)) {
    for (const pos of [true, false]) {
      test(`${name}(${pos ? "positional" : "{ timeout }"}) gives up after the timeout, not before and not much later`, () => {
        try {
          const r = expectTimesOut(call(pos, kTimeout), kTimeout);
          expect([false, null, "Empty", "Full", "TimeoutError", "BrokenBarrierError"]).toContainEqual(r);
        } finally {
          for (const c of cleanups.splice(0)) c();
        }
      });
    }
  }
});

// --- TypeErrors against python3 -------------------------------------------------------------------

interface Env {
  q: any; l: any; d: any; lk: any; rl: any; s: any; c: any; c2: any; e: any; b: any; v: any; a: any; ns: any; p: any;
}
/**
 * The same call in TypeScript and in Python (on a real multiprocessing.Manager()). Factories'
 * errors come back as RemoteError with the server's traceback, whose last error line is compared.
 */
const errorCases: [string, (x: Env) => unknown][] = [
  ["q.get(timout=1)", (x) => x.q.get({ timout: 1 })],
  ["q.get(1, 2, 3)", (x) => x.q.get(1, 2, 3)],
  ["q.put()", (x) => x.q.put()],
  ["q.put(1, 2, 3, 4)", (x) => x.q.put(1, 2, 3, 4)],
  ["q.put(1, blokc=1)", (x) => x.q.put(1, { blokc: 1 })],
  ["q.qsize(1)", (x) => x.q.qsize(1)],
  ["q.qsize(x=1)", (x) => x.q.qsize({ x: 1 })],
  ["q.get_nowait(1)", (x) => x.q.get_nowait(1)],
  ["q.put_nowait(obj=1)", (x) => x.q._callmethod("put_nowait", [], { obj: 1 })],
  ["q.task_done(1)", (x) => x.q.task_done(1)],
  ["q.get(True, -1)", (x) => x.q.get(true, -1)],
  ["m.Queue(maxsze=1)", () => m.Queue(...([{ maxsze: 1 }] as unknown as []))],
  ["m.Queue(1, 2)", () => m.Queue(...([1, 2] as unknown as []))],
  ["m.JoinableQueue(1, 2)", () => m.JoinableQueue(...([1, 2] as unknown as []))],
  ["m.Value('i')", () => m.Value(...(["i"] as unknown as [string, unknown]))],
  ["m.Value('i', 1, 2, 3)", () => m.Value(...(["i", 1, 2, 3] as unknown as [string, unknown]))],
  ["m.Value('i', 1, lok=2)", () => m.Value("i", 1, ...([{ lok: 2 }] as unknown as []))],
  ["m.Array('i')", () => m.Array(...(["i"] as unknown as [string, unknown[]]))],
  ["m.Array('i', [1], 2, 3)", () => m.Array(...(["i", [1], 2, 3] as unknown as [string, unknown[]]))],
  ["m.Semaphore(vlaue=2)", () => m.Semaphore(...([{ vlaue: 2 }] as unknown as []))],
  ["m.Semaphore(1, 2)", () => m.Semaphore(...([1, 2] as unknown as []))],
  ["m.BoundedSemaphore(vlaue=2)", () => m.BoundedSemaphore(...([{ vlaue: 2 }] as unknown as []))],
  ["m.Lock(1)", () => m.Lock(...([1] as unknown as []))],
  ["m.Lock(x=1)", () => m.Lock(...([{ x: 1 }] as unknown as []))],
  ["m.Event(1)", () => m.Event(...([1] as unknown as []))],
  ["m.Event(x=1)", () => m.Event(...([{ x: 1 }] as unknown as []))],
  ["m.Condition(lok=None)", () => m.Condition(...([{ lok: null }] as unknown as []))],
  ["m.Condition(None, 2)", () => m.Condition(...([null, 2] as unknown as []))],
  ["m.Barrier()", () => m.Barrier(...([] as unknown as [number]))],
  ["m.Barrier(2, actoin=1)", () => m.Barrier(2, ...([{ actoin: 1 }] as unknown as []))],
  ["m.Barrier(1, 2, 3, 4)", () => m.Barrier(...([1, 2, 3, 4] as unknown as [number]))],
  ["m.list([1], [2])", () => m.list(...([[1], [2]] as unknown as []))],
  ["m.dict([], [])", () => m.dict([], [])],
  ["m.Namespace(1)", () => m.Namespace(...([1] as unknown as []))],
  ["m.Pool(2, initializr=1)", () => m.Pool(2, ...([{ initializr: 1 }] as unknown as []))],
  ["l.append()", (x) => x.l.append()],
  ["l.append(1, 2)", (x) => x.l.append(1, 2)],
  ["l._callmethod('append', (), {'object': 1})", (x) => x.l._callmethod("append", [], { object: 1 })],
  ["l.pop(1, 2)", (x) => x.l.pop(1, 2)],
  ["l._callmethod('pop', (), {'index': 0})", (x) => x.l._callmethod("pop", [], { index: 0 })],
  ["l.index()", (x) => x.l.index()],
  ["l.index(1, 2, 3, 4)", (x) => x.l.index(1, 2, 3, 4)],
  ["l.count(1, 2)", (x) => x.l.count(1, 2)],
  ["l.insert(1)", (x) => x.l.insert(1)],
  ["l.insert(1, 2, 3)", (x) => x.l.insert(1, 2, 3)],
  ["l.sort(1)", (x) => x.l.sort(1)],
  ["l.sort(kye=1)", (x) => x.l.sort({ kye: 1 })],
  ["l.sort(1, kye=1)", (x) => x.l.sort(1, { kye: 1 })],
  ["l.sort(reverse=1, key=None, x=1)", (x) => x.l.sort({ reverse: 1, key: null, x: 1 })],
  ["l.reverse(1)", (x) => x.l.reverse(1)],
  ["l.extend([1], [2])", (x) => x.l.extend([1], [2])],
  ["l.__getitem__()", (x) => x.l.__getitem__()],
  ["l._callmethod('__getitem__', (), {'i': 1})", (x) => x.l._callmethod("__getitem__", [], { i: 1 })],
  ["l.__setitem__(1)", (x) => x.l.__setitem__(1)],
  ["l._callmethod('__setitem__', (1,), {'v': 2})", (x) => x.l._callmethod("__setitem__", [1], { v: 2 })],
  ["l.__len__(1)", (x) => x.l.__len__(1)],
  ["l.__contains__()", (x) => x.l.__contains__()],
  ["l.__mul__()", (x) => x.l.__mul__()],
  ["l.__reversed__(1)", (x) => x.l.__reversed__(1)],
  ["d.get()", (x) => x.d.get()],
  ["d.get(1, 2, 3)", (x) => x.d.get(1, 2, 3)],
  ["d._callmethod('get', (), {'key': 1})", (x) => x.d._callmethod("get", [], { key: 1 })],
  ["d.pop()", (x) => x.d.pop()],
  ["d.pop(1, 2, 3)", (x) => x.d.pop(1, 2, 3)],
  ["d.setdefault(1, 2, 3)", (x) => x.d.setdefault(1, 2, 3)],
  ["d.update(1, 2)", (x) => x.d.update(1, 2)],
  ["d.clear(1)", (x) => x.d.clear(1)],
  ["d._callmethod('clear', (), {'x': 1})", (x) => x.d._callmethod("clear", [], { x: 1 })],
  ["d.popitem(1)", (x) => x.d.popitem(1)],
  ["d.__contains__(1, 2)", (x) => x.d.__contains__(1, 2)],
  ["d.__setitem__(1)", (x) => x.d.__setitem__(1)],
  ["d.__len__(1)", (x) => x.d.__len__(1)],
  ["d.__iter__(1)", (x) => x.d.__iter__(1)],
  ["lk.acquire(timout=1)", (x) => x.lk.acquire({ timout: 1 })],
  ["lk.acquire(1, 2, 3)", (x) => x.lk.acquire(1, 2, 3)],
  ["lk.acquire(True, blocking=1)", (x) => x.lk.acquire(true, { blocking: 1 })],
  ["lk.release(1)", (x) => x.lk.release(1)],
  ["lk._callmethod('acquire', (1, 2, 3))", (x) => x.lk._callmethod("acquire", [1, 2, 3])],
  ["lk._callmethod('acquire', (), {'timout': 1})", (x) => x.lk._callmethod("acquire", [], { timout: 1 })],
  ["lk._callmethod('release', (1,))", (x) => x.lk._callmethod("release", [1])],
  ["lk._callmethod('release', (), {'x': 1})", (x) => x.lk._callmethod("release", [], { x: 1 })],
  ["rl._callmethod('release', (1,))", (x) => x.rl._callmethod("release", [1])],
  ["s._callmethod('acquire', (1, 2, 3))", (x) => x.s._callmethod("acquire", [1, 2, 3])],
  ["s._callmethod('release', (), {'x': 1})", (x) => x.s._callmethod("release", [], { x: 1 })],
  ["c.wait(timout=1)", (x) => x.c.wait({ timout: 1 })],
  ["c.wait(1, 2)", (x) => x.c.wait(1, 2)],
  ["c.notify(1, 2)", (x) => x.c.notify(1, 2)],
  ["c.notify_all(1)", (x) => x.c.notify_all(1)],
  ["c.wait_for()", (x) => x.c.wait_for()],
  ["c.wait_for(1, 2, 3)", (x) => x.c.wait_for(1, 2, 3)],
  ["c._callmethod('wait', (1, 2))", (x) => x.c._callmethod("wait", [1, 2])],
  ["c._callmethod('notify_all', (1,))", (x) => x.c._callmethod("notify_all", [1])],
  ["c._callmethod('release', (1,))", (x) => x.c._callmethod("release", [1])],
  ["c2._callmethod('release', (1,))", (x) => x.c2._callmethod("release", [1])],
  ["e.wait(timout=1)", (x) => x.e.wait({ timout: 1 })],
  ["e.wait(1, 2)", (x) => x.e.wait(1, 2)],
  ["e.set(1)", (x) => x.e.set(1)],
  ["e.clear(x=1)", (x) => x.e.clear({ x: 1 })],
  ["e._callmethod('is_set', (1,))", (x) => x.e._callmethod("is_set", [1])],
  ["b.wait(timout=1)", (x) => x.b.wait({ timout: 1 })],
  ["b.wait(1, 2)", (x) => x.b.wait(1, 2)],
  ["b.abort(1)", (x) => x.b.abort(1)],
  ["b._callmethod('wait', (1, 2))", (x) => x.b._callmethod("wait", [1, 2])],
  ["b._callmethod('__getattribute__', ())", (x) => x.b._callmethod("__getattribute__", [])],
  ["v.set()", (x) => x.v.set()],
  ["v.get(1)", (x) => x.v.get(1)],
  ["v.set(1, 2)", (x) => x.v.set(1, 2)],
  ["v.set(vlue=1)", (x) => x.v.set(...([1, { vlue: 1 }] as unknown as [unknown]))],
  ["v._callmethod('set', (), {'x': 1})", (x) => x.v._callmethod("set", [], { x: 1 })],
  ["a.__getitem__()", (x) => x.a.__getitem__()],
  ["a.__len__(1)", (x) => x.a.__len__(1)],
  ["a.__setitem__(1)", (x) => x.a.__setitem__(1)],
  ["a._callmethod('__setitem__', (1,), {'v': 2})", (x) => x.a._callmethod("__setitem__", [1], { v: 2 })],
  ["ns._callmethod('__getattribute__', ('a', 2))", (x) => x.ns._callmethod("__getattribute__", ["a", 2])],
  ["ns._callmethod('__setattr__', ('x',))", (x) => x.ns._callmethod("__setattr__", ["x"])],
  ["ns._callmethod('__getattribute__', (), {'name': 'x'})", (x) => x.ns._callmethod("__getattribute__", [], { name: "x" })],
  ["p.map(abs, [-1], chunksze=1)", (x) => x.p.map(pt.square, [-1], { chunksze: 1 })],
  ["p.map()", (x) => x.p.map()],
  ["p.apply(abs, (-1,), {}, 1)", (x) => x.p.apply(pt.square, [-1], {}, 1)],
  ["p.close(1)", (x) => x.p.close(1)],
  ["p.apply_async(abs, (-1,)).get(timout=1)", (x) => x.p.apply_async(pt.square, [-1]).get({ timout: 1 })],
  ["p.apply_async(abs, (-1,)).ready(1)", (x) => x.p.apply_async(pt.square, [-1]).ready(1)],
];

/** What a call raised: its class name and, for RemoteError, the last error line of the traceback. */
function raised(f: () => unknown): [string, string] {
  try {
    f();
    return ["no error", ""];
  } catch (e: any) {
    const text = String(e?.message ?? e);
    if (e?.name === "RemoteError") return ["RemoteError", text.split("\n").filter((l) => /^\w+Error: /.test(l)).pop() ?? text];
    return [e?.name, text];
  }
}

const pyScript = String.raw`
import json, sys, multiprocessing as mp
def raised(expr, env):
    try:
        eval(expr, env)
        return ["no error", ""]
    except Exception as e:
        if type(e).__name__ == "RemoteError":
            lines = [l for l in str(e).splitlines() if l.split(":")[0].isidentifier() and l.split(":")[0].endswith("Error") and ": " in l]
            return ["RemoteError", lines[-1] if lines else str(e)]
        return [type(e).__name__, str(e)]
if __name__ == "__main__":
    with mp.Manager() as m:
        env = dict(m=m, q=m.Queue(), l=m.list([3, 1, 2]), d=m.dict(), lk=m.Lock(), rl=m.RLock(), s=m.Semaphore(0),
                   c=m.Condition(), c2=m.Condition(m.Lock()), e=m.Event(), b=m.Barrier(2), v=m.Value("i", 1), a=m.Array("i", [1, 2]),
                   ns=m.Namespace(), p=m.Pool(1))
        env["c"].acquire()
        out = [raised(expr, env) for expr in json.loads(sys.argv[1])]
        env["p"].terminate()
        print(json.dumps(out))
`;

describe.skipIf(!python)("a manager's TypeErrors, against python3 for the same calls", () => {
  test("factories, forwarded methods and the proxies' own methods raise python3's errors, word for word", () => {
    const expected = JSON.parse(execFileSync(python!, ["-c", pyScript, JSON.stringify(errorCases.map(([py]) => py))], { encoding: "utf8", timeout: 120_000 }));
    const p = m.Pool(1);
    const env: Env = {
      q: m.Queue(), l: m.list([3, 1, 2]), d: m.dict(), lk: m.Lock(), rl: m.RLock(), s: m.Semaphore(0), c: m.Condition(), c2: m.Condition(m.Lock()), e: m.Event(), b: m.Barrier(2),
      v: m.Value("i", 1), a: m.Array("i", [1, 2]), ns: m.Namespace(), p,
    };
    env.c.acquire();
    try {
      const got = errorCases.map(([py, f]) => [py, ...raised(() => f(env))]);
      expect(got).toEqual(errorCases.map(([py], i) => [py, ...expected[i]]));
      // Not vacuous: every call raised.
      expect(got.filter((g) => g[1] === "no error")).toEqual([]);
    } finally {
      env.c.release();
      p.terminate();
    }
  }, 120_000);
});

// --- keywords on the wire, with CPython on the other end ---------------------------------------------------

const peer = fileURLToPath(new URL("./fixtures/remote_manager_peer.py", import.meta.url));
/** A python3 running remote_manager_peer.py; its stdout lines. */
function runPeer(args: string[]): { child: ChildProcess; lines: () => Promise<string[]>; first: () => Promise<string> } {
  const child = spawn(python!, [peer, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<void>((res) => child.on("exit", () => res()));
  return {
    child,
    lines: async () => {
      await exited;
      if (err && !out) throw new Error(err);
      return out.trim().split("\n");
    },
    first: async () => {
      for (let i = 0; i < 400 && !out.includes("\n"); i++) await new Promise((r) => setTimeout(r, 50));
      if (!out.includes("\n")) throw new Error(`no line from python: ${err}`);
      return out.split("\n")[0]!;
    },
  };
}

/** Keyword calls a Node client makes on a SyncManager at `address`; what they gave, in order. */
function nodeKeywordCalls(address: [string, number], authkey: Buffer): unknown[] {
  const c = new SyncManager({ address, authkey });
  c.connect();
  const out: unknown[] = [];
  const q = c.Queue({ maxsize: 1 });
  q.put({ k: 1 }, { block: true, timeout: 1 });
  out.push(q.full(), q.get({ block: true, timeout: 1 }));
  const t0 = performance.now();
  out.push(outcome(() => q.get({ timeout: 0.2 })), (performance.now() - t0) / 1000 >= 0.19);
  // @ts-expect-error a misspelt keyword: the runtime TypeError is what is tested
  out.push(raised(() => q.get({ timout: 1 })));
  out.push(c.Value({ typecode: "i", value: 3 }).get(), [...c.Array("i", { sequence: [1, 2] })]);
  const ns = c.Namespace({ x: 1, y: "two" });
  out.push(String(ns));
  const l = c.list([1, 3, 2]);
  l.sort({ reverse: true });
  out.push(l._getvalue());
  const d = c.dict([["a", 1]], { b: 2 });
  d.update({ c: 3 });
  out.push(d.get("zz", { dflt: 1 }), d._getvalue() instanceof Map ? Object.fromEntries(d._getvalue()) : d._getvalue());
  const s = c.Semaphore({ value: 1 });
  out.push(s.acquire({ blocking: false }), s.acquire({ timeout: 0.05 }));
  const b = c.Barrier(1, { timeout: 1 });
  out.push(b.wait({ timeout: 1 }));
  out.push(raised(() => c.Value(...(["i"] as unknown as [string, unknown]))));
  for (const x of [q, ns, l, d, s, b]) x._close();
  return out;
}

describe.skipIf(!python)("keywords on the wire with CPython", () => {
  test("a Node client's keyword calls do the same on a CPython SyncManager as on a Node-served one", async () => {
    const py = runPeer(["servesync", "kw"]);
    try {
      const port = Number((await py.first()).split(" ")[1]);
      const onPython = nodeKeywordCalls(["127.0.0.1", port], Buffer.from("kw"));
      const node: any = new RemoteManager({ address: ["127.0.0.1", 0], authkey: Buffer.from("kw2") });
      node.start();
      try {
        const onNode = nodeKeywordCalls(node.address, Buffer.from("kw2"));
        expect(onNode).toEqual(onPython);
      } finally {
        node.shutdown();
      }
      // Not vacuous: the timeout timed out, the misspelling was CPython's TypeError.
      expect(onPython.slice(2, 5)).toEqual(["Empty", true, ["TypeError", "Queue.get() got an unexpected keyword argument 'timout'"]]);
    } finally {
      py.child.kill("SIGKILL");
    }
  }, 60_000);

  test("\"Using a remote manager\"'s get_queue (an AutoProxy of a user's typeid) is known for a queue.Queue by its methods: keywords reach CPython's server and Node's", async () => {
    /** get({ timeout }) on the served queue: what it gave, whether it waited, and a misspelling's error. */
    const calls = (address: [string, number], authkey: Buffer): unknown[] => {
      const c: any = new RemoteClient({ address, authkey });
      c.connect();
      const q = c.get_queue();
      q.put({ item: 1 }, { block: true, timeout: 1 });
      const r: unknown[] = [q.get({ block: true, timeout: 1 })];
      const t0 = performance.now();
      r.push(outcome(() => q.get({ timeout: 0.2 })), (performance.now() - t0) / 1000 >= 0.19, raised(() => q.get({ timout: 1 })));
      q._close();
      return r;
    };
    const py = runPeer(["serve", "gq", "pickle"]);
    const node: any = new RemoteManager({ address: ["127.0.0.1", 0], authkey: Buffer.from("gq") });
    node.start();
    try {
      const port = Number((await py.first()).split(" ")[1]);
      const onPython = calls(["127.0.0.1", port], Buffer.from("gq"));
      expect(onPython).toEqual([{ item: 1 }, "Empty", true, ["TypeError", "Queue.get() got an unexpected keyword argument 'timout'"]]);
      expect(calls(node.address, Buffer.from("gq"))).toEqual(onPython);
    } finally {
      node.shutdown();
      py.child.kill("SIGKILL");
    }
  }, 60_000);

  test("a CPython client's keyword calls (and misspellings) give the same on a Node-served SyncManager as on CPython's", async () => {
    const server = runPeer(["servesync", "kw3"]);
    const node: any = new RemoteManager({ address: ["127.0.0.1", 0], authkey: Buffer.from("kw3") });
    node.start();
    try {
      const port = Number((await server.first()).split(" ")[1]);
      const [onPython, onNode] = await Promise.all([runPeer(["keywords", String(port), "kw3"]).lines(), runPeer(["keywords", String(node.address[1]), "kw3"]).lines()]);
      expect(onNode).toEqual(onPython);
      expect(onPython.length).toBeGreaterThan(20);
    } finally {
      node.shutdown();
      server.child.kill("SIGKILL");
    }
  }, 60_000);
});
