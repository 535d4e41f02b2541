// For each signature a manager declares (src/managers/signatures.ts, proxy_types.ts), by its id:
// the same call spelled with positionals and with keywords, whose results must be equal
// (test/signatures_managers.test.ts runs them; test/signatures.test.ts's coverage check counts
// them). Where Python has no keyword spelling (C functions' positional-only parameters, methods
// without parameters), the second spelling is what must still mean the same: a plain object that
// is the value, an empty options object, or the raw `(args, kwds)` a CPython client sends.
import type { SyncManager } from "multiprocessing-ts/managers";
import * as pt from "../fixtures/pool_targets.js";
import * as tm from "../fixtures/manager_targets.js";

type Pair = [unknown, unknown];
type Case = (m: SyncManager) => Pair;

const str = (x: unknown) => String(x);
/** An empty options object (Python's `f(**{})`): the types take no argument there, the runtime takes it. */
const noKw = {} as never;
/** The raw wire call `(args, kwds)`, as a CPython client's proxy sends it. */
const raw = (p: any, name: string, args: unknown[], kwds?: Record<string, unknown>) => p._callmethod(name, args, kwds);

function bothQueues(m: SyncManager, f: (q: any) => unknown): Pair {
  return [f(m.Queue()), f(m.Queue())];
}

const queueMethods: Record<string, Case> = {
  "queue.Queue.put": (m) => {
    const q = m.Queue();
    q.put(1, true, 1);
    q.put(2, { block: true, timeout: 1 });
    return [[1, 2], [q.get(), q.get()]];
  },
  "queue.Queue.get": (m) => {
    const q = m.Queue();
    q.put(1);
    q.put(1);
    return [q.get(true, 1), q.get({ block: true, timeout: 1 })];
  },
  // `item` is required: a plain object there is the item, even when its keys name parameters.
  "queue.Queue.put_nowait": (m) => {
    const q = m.Queue();
    q.put_nowait({ item: 3, block: false });
    return [{ item: 3, block: false }, q.get()];
  },
  "queue.Queue.get_nowait": (m) => bothQueues(m, (q) => (q.put(5), q.get_nowait({}))),
  "queue.Queue.qsize": (m) => [m.Queue().qsize(), m.Queue().qsize(noKw)],
  "queue.Queue.empty": (m) => [m.Queue().empty(), m.Queue().empty(noKw)],
  "queue.Queue.full": (m) => [m.Queue(1).full(), m.Queue({ maxsize: 1 }).full(noKw)],
  "queue.Queue.task_done": (m) => {
    const q = m.JoinableQueue();
    q.put(1);
    q.put(2);
    return [q.task_done(), q.task_done(noKw)];
  },
  "queue.Queue.join": (m) => [m.JoinableQueue().join(), m.JoinableQueue().join(noKw)],
};

const threadingMethods: Record<string, Case> = {
  "_thread.lock.acquire": (m) => {
    const l = m.Lock();
    l.acquire();
    return [raw(l, "acquire", [true, 0.01]), raw(l, "acquire", [], { blocking: true, timeout: 0.01 })];
  },
  "lock.release": (m) => {
    const [a, b] = [m.Lock(), m.Lock()];
    a.acquire();
    b.acquire();
    return [[raw(a, "release", []), a.acquire(false)], [raw(b, "release", [], {}), b.acquire(false)]];
  },
  "RLock.release": (m) => {
    const [a, b] = [m.RLock(), m.RLock()];
    a.acquire();
    b.acquire();
    return [raw(a, "release", []), raw(b, "release", [], {})];
  },
  "threading.Semaphore.acquire": (m) => {
    const s = m.Semaphore(0);
    return [raw(s, "acquire", [true, 0.01]), raw(s, "acquire", [], { blocking: true, timeout: 0.01 })];
  },
  "threading.Semaphore.release": (m) => {
    const [a, b] = [m.Semaphore(0), m.Semaphore(0)];
    raw(a, "release", [2]);
    raw(b, "release", [], { n: 2 });
    const drain = (s: any) => [s.acquire(false), s.acquire(false), s.acquire(false)];
    return [drain(a), drain(b)];
  },
  "threading.BoundedSemaphore.release": (m) => {
    const [a, b] = [m.BoundedSemaphore(2), m.BoundedSemaphore(2)];
    for (const s of [a, b]) (s.acquire(), s.acquire());
    return [[raw(a, "release", [2]), a.acquire(false)], [raw(b, "release", [], { n: 2 }), b.acquire(false)]];
  },
  "threading.Condition.wait": (m) => {
    const c = m.Condition();
    c.acquire();
    const r: Pair = [raw(c, "wait", [0.01]), raw(c, "wait", [], { timeout: 0.01 })];
    c.release();
    return r;
  },
  "threading.Condition.notify": (m) => {
    const c = m.Condition();
    c.acquire();
    const r: Pair = [raw(c, "notify", [2]), raw(c, "notify", [], { n: 2 })];
    c.release();
    return r;
  },
  "threading.Condition.notify_all": (m) => {
    const c = m.Condition();
    c.acquire();
    const r: Pair = [raw(c, "notify_all", []), raw(c, "notify_all", [], {})];
    c.release();
    return r;
  },
  "threading.Event.wait": (m) => {
    const e = m.Event();
    return [raw(e, "wait", [0.01]), raw(e, "wait", [], { timeout: 0.01 })];
  },
  "threading.Event.is_set": (m) => [raw(m.Event(), "is_set", []), raw(m.Event(), "is_set", [], {})],
  "threading.Event.set": (m) => {
    const [a, b] = [m.Event(), m.Event()];
    return [[raw(a, "set", []), a.is_set()], [raw(b, "set", [], {}), b.is_set()]];
  },
  "threading.Event.clear": (m) => {
    const [a, b] = [m.Event(), m.Event()];
    a.set();
    b.set();
    return [[raw(a, "clear", []), a.is_set()], [raw(b, "clear", [], {}), b.is_set()]];
  },
  "threading.Barrier.wait": (m) => [raw(m.Barrier(1), "wait", [0.5]), raw(m.Barrier(1), "wait", [], { timeout: 0.5 })],
  "threading.Barrier.abort": (m) => {
    const [a, b] = [m.Barrier(2), m.Barrier(2)];
    return [[raw(a, "abort", []), a.broken], [raw(b, "abort", [], {}), b.broken]];
  },
  "threading.Barrier.reset": (m) => {
    const [a, b] = [m.Barrier(2), m.Barrier(2)];
    a.abort();
    b.abort();
    return [[raw(a, "reset", []), a.broken], [raw(b, "reset", [], {}), b.broken]];
  },
  "Barrier.__getattribute__": (m) => {
    const b = m.Barrier(3);
    return [b.parties, raw(b, "__getattribute__", ["parties"])];
  },
};

const valueMethods: Record<string, Case> = {
  "Namespace.__getattribute__": (m) => {
    const ns = m.Namespace({ x: { y: 1 } });
    return [ns.x, raw(ns, "__getattribute__", ["x"])];
  },
  "Namespace.__setattr__": (m) => {
    const [a, b] = [m.Namespace(), m.Namespace()];
    a.x = { name: 1 };
    raw(b, "__setattr__", ["x", { name: 1 }]);
    return [str(a), str(b)];
  },
  "Namespace.__delattr__": (m) => {
    const [a, b] = [m.Namespace({ x: 1, y: 2 }), m.Namespace({ x: 1, y: 2 })];
    delete a.x;
    raw(b, "__delattr__", ["x"]);
    return [str(a), str(b)];
  },
  "managers.Value.get": (m) => {
    const v = m.Value("i", 7);
    return [raw(v, "get", []), raw(v, "get", [], {})];
  },
  "managers.Value.set": (m) => {
    const [a, b] = [m.Value("i", 0), m.Value("i", 0)];
    raw(a, "set", [5]);
    raw(b, "set", [], { value: 5 });
    return [a.get(), b.get()];
  },
  "array.__len__": (m) => {
    const a = m.Array("i", [1, 2, 3]);
    return [a.__len__(), a.length];
  },
  "array.__getitem__": (m) => {
    const a = m.Array("i", [1, 2, 3]);
    return [a.__getitem__(-1), a[-1]];
  },
  "array.__setitem__": (m) => {
    const [a, b] = [m.Array("i", [1, 2]), m.Array("i", [1, 2])];
    a.__setitem__(0, 9);
    b[0] = 9;
    return [[...a], [...b]];
  },
};

/** Two shared lists made from `items`, each changed by one spelling; their values. */
function twoLists(m: SyncManager, items: unknown[], f: (l: any) => unknown, g: (l: any) => unknown): Pair {
  const [a, b] = [m.list(items), m.list(items)];
  const r = [f(a), g(b)];
  return [[r[0], a._getvalue()], [r[1], b._getvalue()]];
}
const obj = { k: 1 };

// list and dict take positionals only (C functions): a plain object anywhere is a value.
const listMethods: Record<string, Case> = {
  "list.__add__": (m) => [m.list([1]).__add__([obj]), [1, obj]],
  "list.__contains__": (m) => [m.list([obj]).__contains__({ k: 1 }), m.list([obj]).__contains__(obj)],
  "list.__delitem__": (m) => twoLists(m, [1, 2], (l) => l.__delitem__(0), (l) => l.__delitem__(-2)),
  "list.__getitem__": (m) => [m.list([obj]).__getitem__(0), m.list([obj])[0]],
  // @ts-expect-error the runtime takes an empty options object (Python's f(**{})); the types take no argument
  "list.__len__": (m) => [m.list([1, 2]).__len__(), m.list([1, 2]).__len__(noKw)],
  "list.__mul__": (m) => [m.list([obj]).__mul__(2), [obj, obj]],
  "list.__rmul__": (m) => [m.list([obj]).__rmul__(2), m.list([obj]).__mul__(2)],
  "list.__imul__": (m) => twoLists(m, [1], (l) => raw(l, "__imul__", [2]), (l) => (l.__imul__(2), null)),
  // @ts-expect-error the runtime takes an empty options object (Python's f(**{})); the types take no argument
  "list.__reversed__": (m) => [m.list([1, 2]).__reversed__(), m.list([1, 2]).__reversed__(noKw)],
  "list.__setitem__": (m) => twoLists(m, [1], (l) => l.__setitem__(0, obj), (l) => ((l[0] = obj), null)),
  "list.append": (m) => twoLists(m, [], (l) => l.append(obj), (l) => l.append({ k: 1 })),
  "list.count": (m) => [m.list([obj, obj]).count(obj), m.list([obj, obj]).count({ k: 1 })],
  "list.extend": (m) => twoLists(m, [], (l) => l.extend([obj]), (l) => l.__iadd__([obj]) && null),
  "list.index": (m) => [m.list([1, obj, obj]).index(obj, 2, 3), m.list([1, obj, obj]).index({ k: 1 }, 2, 3)],
  "list.insert": (m) => twoLists(m, [1], (l) => l.insert(0, obj), (l) => l.insert(0, { k: 1 })),
  "list.pop": (m) => twoLists(m, [1, 2], (l) => l.pop(0), (l) => l.pop(-2)),
  "list.remove": (m) => twoLists(m, [obj, 1], (l) => l.remove(obj), (l) => l.remove({ k: 1 })),
  "list.reverse": (m) => twoLists(m, [1, 2], (l) => l.reverse(), (l) => l.reverse({})),
  // Keyword-only: the options object, and the raw keywords a CPython client sends.
  "list.sort": (m) => twoLists(m, [1, 3, 2], (l) => raw(l, "sort", [], { key: tm.negate, reverse: true }), (l) => l.sort({ key: tm.negate, reverse: true })),
};

function twoDicts(m: SyncManager, f: (d: any) => unknown, g: (d: any) => unknown): Pair {
  const [a, b] = [m.dict({ a: 1 }), m.dict({ a: 1 })];
  const r = [f(a), g(b)];
  return [[r[0], str(a)], [r[1], str(b)]];
}

const dictMethods: Record<string, Case> = {
  "dict.__contains__": (m) => [m.dict({ a: 1 }).__contains__("a"), "a" in m.dict({ a: 1 })],
  "dict.__delitem__": (m) => twoDicts(m, (d) => d.__delitem__("a"), (d) => (delete d.a, null)),
  "dict.__getitem__": (m) => [m.dict({ a: obj }).__getitem__("a"), m.dict({ a: obj }).a],
  "dict.__iter__": (m) => [[...m.dict({ a: 1, b: 2 })], [...m.dict({ a: 1, b: 2 }).__iter__({})]],
  "dict.__len__": (m) => [m.dict({ a: 1 }).__len__(), m.dict({ a: 1 }).__len__({})],
  "dict.__setitem__": (m) => twoDicts(m, (d) => d.__setitem__("b", obj), (d) => ((d.b = obj), null)),
  // `default` is positional-only: a plain object there is the default, even an empty one.
  "dict.get": (m) => [m.dict().get("x", {}), {}],
  "dict.pop": (m) => [m.dict().pop("x", { key: 1 }), { key: 1 }],
  "dict.setdefault": (m) => twoDicts(m, (d) => d.setdefault("b", obj), (d) => d.setdefault("b", { k: 1 })),
  // dict.update(E=None, **F): a mapping positionally, keywords after it.
  "dict.update": (m) => twoDicts(m, (d) => d.update([["b", 2]], { c: 3 }), (d) => d.update({ b: 2, c: 3 })),
  "dict.clear": (m) => twoDicts(m, (d) => d.clear(), (d) => d.clear({})),
  "dict.copy": (m) => [m.dict({ a: 1 }).copy(), m.dict({ a: 1 }).copy({})],
  "dict.items": (m) => [m.dict({ a: 1 }).items(), m.dict({ a: 1 }).items({})],
  "dict.keys": (m) => [m.dict({ a: 1 }).keys(), m.dict({ a: 1 }).keys({})],
  "dict.values": (m) => [m.dict({ a: 1 }).values(), m.dict({ a: 1 }).values({})],
  "dict.popitem": (m) => twoDicts(m, (d) => d.popitem(), (d) => d.popitem({})),
  "iterator.__next__": (m) => [m.dict({ a: 1 }).__iter__().__next__(), m.dict({ a: 1 }).__iter__().__next__({})],
};

const poolMethods: Record<string, Case> = {
  "managers:Pool.close": (m) => {
    const [a, b] = [m.Pool(1), m.Pool(1)];
    const r: Pair = [a.close(), b.close(noKw)];
    a.terminate();
    b.terminate();
    return r;
  },
  "managers:Pool.join": (m) => {
    const [a, b] = [m.Pool(1), m.Pool(1)];
    a.close();
    b.close();
    return [a.join(), b.join(noKw)];
  },
  "managers:Pool.terminate": (m) => [m.Pool(1).terminate(), m.Pool(1).terminate(noKw)],
  "managers:ApplyResult.ready": (m) => {
    const p = m.Pool(1);
    const r = p.apply_async(pt.square, [3]);
    r.wait(60);
    const out: Pair = [r.ready(), r.ready({})];
    p.terminate();
    return out;
  },
  "managers:ApplyResult.successful": (m) => {
    const p = m.Pool(1);
    const r = p.apply_async(pt.square, [3]);
    r.wait({ timeout: 60 });
    const out: Pair = [r.successful(), r.successful({})];
    p.terminate();
    return out;
  },
};

const factories: Record<string, Case> = {
  "managers:Queue": (m) => {
    const filled = (q: any) => (q.put(1), q.full());
    return [filled(m.Queue(1)), filled(m.Queue({ maxsize: 1 }))];
  },
  "managers:Event": (m) => [m.Event().is_set(), m.Event(...([{}] as unknown as [])).is_set()],
  "managers:Lock": (m) => [m.Lock().acquire(false), m.Lock(...([{}] as unknown as [])).acquire(false)],
  "managers:Semaphore": (m) => {
    const take = (s: any) => [s.acquire(false), s.acquire(false), s.acquire(false)];
    return [take(m.Semaphore(2)), take(m.Semaphore({ value: 2 }))];
  },
  "managers:BoundedSemaphore": (m) => {
    const over = (s: any) => {
      try {
        s.release();
        return "released";
      } catch (e: any) {
        return e.name;
      }
    };
    return [over(m.BoundedSemaphore(2)), over(m.BoundedSemaphore({ value: 2 }))];
  },
  "managers:Condition": (m) => {
    const shared = (l: any, c: any) => {
      c.acquire();
      const r = l.acquire(false);
      c.release();
      return r;
    };
    const [a, b] = [m.Lock(), m.Lock()];
    return [shared(a, m.Condition(a)), shared(b, m.Condition({ lock: b }))];
  },
  "managers:Barrier": (m) => [[m.Barrier(1, null, 0.5).parties, m.Barrier(1, null, 0.5).wait()], [m.Barrier({ parties: 1, timeout: 0.5 }).parties, m.Barrier(1, { timeout: 0.5 }).wait()]],
  "managers:list": (m) => [m.list([obj])._getvalue(), [obj]],
  "managers:dict": (m) => [str(m.dict([["a", 1]], { b: 2 })), str(m.dict({ a: 1, b: 2 }))],
  "managers:Value": (m) => [str(m.Value("i", 3)), str(m.Value({ typecode: "i", value: 3 }))],
  "managers:Array": (m) => [[...m.Array("i", [1, 2])], [...m.Array("i", { sequence: [1, 2] })]],
  "managers:Namespace": (m) => {
    const ns = m.Namespace();
    ns.x = 1;
    ns.y = "two";
    return [str(ns), str(m.Namespace({ x: 1, y: "two" }))];
  },
};

// The proxies' own methods (CPython's proxy classes define them in Python): bound in the client.
const proxyMethods: Record<string, Case> = {
  "AcquirerProxy.acquire": (m) => {
    const l = m.Lock();
    l.acquire();
    return [[l.acquire(false), l.acquire(true, 0.01)], [l.acquire({ blocking: false }), l.acquire({ timeout: 0.01 })]];
  },
  "AcquirerProxy.release": (m) => {
    const [a, b] = [m.RLock(), m.RLock()];
    a.acquire();
    b.acquire();
    return [[a.release(), a.acquire(false)], [b.release(noKw), b.acquire(false)]];
  },
  "ConditionProxy.wait": (m) => {
    const c = m.Condition();
    c.acquire();
    const r: Pair = [c.wait(0.01), c.wait({ timeout: 0.01 })];
    c.release();
    return r;
  },
  "ConditionProxy.notify": (m) => {
    const c = m.Condition();
    c.acquire();
    const r: Pair = [c.notify(2), c.notify({ n: 2 })];
    c.release();
    return r;
  },
  "ConditionProxy.notify_all": (m) => {
    const c = m.Condition();
    c.acquire();
    const r: Pair = [c.notify_all(), c.notify_all(noKw)];
    c.release();
    return r;
  },
  "ConditionProxy.wait_for": (m) => {
    const c = m.Condition();
    c.acquire();
    const r: Pair = [c.wait_for(() => 7, 0.01), c.wait_for({ predicate: () => 7, timeout: 0.01 })];
    c.release();
    return r;
  },
  "EventProxy.is_set": (m) => [m.Event().is_set(), m.Event().is_set(noKw)],
  "EventProxy.set": (m) => {
    const [a, b] = [m.Event(), m.Event()];
    return [[a.set(), a.is_set()], [b.set(noKw), b.is_set()]];
  },
  "EventProxy.clear": (m) => {
    const [a, b] = [m.Event(), m.Event()];
    a.set();
    b.set();
    return [[a.clear(), a.is_set()], [b.clear(noKw), b.is_set()]];
  },
  "EventProxy.wait": (m) => [m.Event().wait(0.01), m.Event().wait({ timeout: 0.01 })],
  "BarrierProxy.wait": (m) => [m.Barrier(1).wait(0.5), m.Barrier(1).wait({ timeout: 0.5 })],
  "BarrierProxy.abort": (m) => {
    const [a, b] = [m.Barrier(2), m.Barrier(2)];
    return [[a.abort(), a.broken], [b.abort(noKw), b.broken]];
  },
  "BarrierProxy.reset": (m) => {
    const [a, b] = [m.Barrier(2), m.Barrier(2)];
    a.abort();
    b.abort();
    return [[a.reset(), a.broken], [b.reset(noKw), b.broken]];
  },
  "ValueProxy.get": (m) => [m.Value("i", 4).get(), m.Value("i", 4).get(noKw)],
  // `value` is required: a plain object there is the value.
  "ValueProxy.set": (m) => {
    const v = m.Value("i", 0);
    v.set({ value: 5 });
    return [v.get(), { value: 5 }];
  },
};

/** Every manager declaration's two spellings, by the id it is declared under. */
export const managerSpellings: Record<string, Case> = {
  ...queueMethods, ...threadingMethods, ...valueMethods, ...listMethods, ...dictMethods, ...poolMethods, ...factories, ...proxyMethods,
};
