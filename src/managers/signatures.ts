// The Python signatures of what a SyncManager serves (CPython 3.11: Lib/queue.py,
// Lib/threading.py, Lib/multiprocessing/managers.py and pool.py, Objects/listobject.c,
// dictobject.c, Modules/arraymodule.c, _threadmodule.c; PSF-2.0), declared once for the binder
// (shared/binder.ts): the factory of each builtin typeid and each method its proxies forward.
// As in CPython, a proxy sends `(args, kwds)` and the server binds them against the referent's
// signature (the TypeError is the referent's); the client only splits a trailing options object
// into `kwds` with the same declaration, so a CPython server gets real keywords too.

import { alwaysValue, anyValue, as, callableValue, declaredSignatures, p, sig, type AnyParam, type Signature } from "../shared/binder.js";
import type { AcquirerProxy } from "./proxy_types.js";

type Table = Record<string, Signature<any>>;

/** A positional-only parameter of a C function: a plain object there is always its value. */
const c = (name: string, options: { default?: unknown } = {}) => p(name, null, { kind: "positional-only", object: alwaysValue, ...options });
/** A Python method's signature, listed under `id`. */
const py = <const Ps extends readonly AnyParam[]>(qualname: string, params: Ps, id: string) => sig(qualname, params, { method: true, id });
/** A C method that takes positionals only (list.append, dict.get). */
const builtin = <const Ps extends readonly AnyParam[]>(qualname: string, params: Ps, id = qualname) => sig(qualname, params, { style: "builtin", id });
/** A slot wrapper (`list.__len__`); `unpack`: one that counts with PyArg_UnpackTuple. */
const slot = (qualname: string, params: readonly AnyParam[], unpack = false) => sig(qualname, params, { style: unpack ? "slot-unpack" : "slot", id: qualname });

const timeoutNone = [p("timeout", as<number | null>(), { default: null })] as const;
const blockTimeout = [p("block", as<boolean>(), { default: true }), p("timeout", as<number | null>(), { default: null })] as const;

// --- queue.Queue ---------------------------------------------------------------------------------

/** `queue.Queue.put(item, block=True, timeout=None)`. */
export const QUEUE_PUT = py("Queue.put", [p("item", as<unknown>(), { object: anyValue }), ...blockTimeout], "queue.Queue.put");
/** `queue.Queue.get(block=True, timeout=None)`. */
export const QUEUE_GET = py("Queue.get", blockTimeout, "queue.Queue.get");
/** `queue.Queue.put_nowait(item)`. */
export const QUEUE_PUT_NOWAIT = py("Queue.put_nowait", [p("item", as<unknown>(), { object: anyValue })], "queue.Queue.put_nowait");
const queue: Table = { put: QUEUE_PUT, get: QUEUE_GET, put_nowait: QUEUE_PUT_NOWAIT };
for (const m of ["get_nowait", "qsize", "empty", "full", "task_done", "join"]) queue[m] = py(`Queue.${m}`, [], `queue.Queue.${m}`);

// --- threading ------------------------------------------------------------------------------------

const lockAcquire = sig("acquire", [p("blocking", null, { default: true }), p("timeout", null, { default: -1 })], { style: "c", id: "_thread.lock.acquire" });
const lock: Table = { acquire: lockAcquire, release: builtin("lock.release", []) };
const rlock: Table = { acquire: lockAcquire, release: builtin("RLock.release", []) };
const semAcquire = py("Semaphore.acquire", [p("blocking", null, { default: true }), ...timeoutNone], "threading.Semaphore.acquire");
const semaphore: Table = { acquire: semAcquire, release: py("Semaphore.release", [p("n", null, { default: 1 })], "threading.Semaphore.release") };
const boundedSemaphore: Table = { acquire: semAcquire, release: py("BoundedSemaphore.release", [p("n", null, { default: 1 })], "threading.BoundedSemaphore.release") };
const condition: Table = {
  acquire: lockAcquire,
  release: rlock.release!,
  wait: py("Condition.wait", timeoutNone, "threading.Condition.wait"),
  notify: py("Condition.notify", [p("n", null, { default: 1 })], "threading.Condition.notify"),
  notify_all: py("Condition.notify_all", [], "threading.Condition.notify_all"),
};
const event: Table = { wait: py("Event.wait", timeoutNone, "threading.Event.wait") };
for (const m of ["is_set", "set", "clear"]) event[m] = py(`Event.${m}`, [], `threading.Event.${m}`);
const barrier: Table = {
  wait: py("Barrier.wait", timeoutNone, "threading.Barrier.wait"),
  abort: py("Barrier.abort", [], "threading.Barrier.abort"),
  reset: py("Barrier.reset", [], "threading.Barrier.reset"),
  __getattribute__: slot("Barrier.__getattribute__", [c("name")]),
};

// --- managers.Namespace, managers.Value, array.array ---------------------------------------------------

const namespace: Table = {
  __getattribute__: slot("Namespace.__getattribute__", [c("name")]),
  __setattr__: slot("Namespace.__setattr__", [c("name"), c("value")], true),
  __delattr__: slot("Namespace.__delattr__", [c("name")]),
};
const value: Table = {
  get: py("Value.get", [], "managers.Value.get"),
  set: py("Value.set", [p("value", null, { object: anyValue })], "managers.Value.set"),
};
const array: Table = {
  __len__: slot("array.__len__", []),
  __getitem__: slot("array.__getitem__", [c("key")]),
  __setitem__: slot("array.__setitem__", [c("key"), c("value")], true),
};

// --- list and dict ------------------------------------------------------------------------------------

const list: Table = {
  __add__: slot("list.__add__", [c("value")]),
  __contains__: slot("list.__contains__", [c("key")]),
  __delitem__: slot("list.__delitem__", [c("key")]),
  __getitem__: builtin("list.__getitem__", [c("index")]),
  __len__: slot("list.__len__", []),
  __mul__: slot("list.__mul__", [c("value")], true),
  __rmul__: slot("list.__rmul__", [c("value")], true),
  __imul__: slot("list.__imul__", [c("value")], true),
  __reversed__: builtin("list.__reversed__", []),
  __setitem__: slot("list.__setitem__", [c("key"), c("value")], true),
  append: builtin("list.append", [c("object")]),
  count: builtin("list.count", [c("value")]),
  extend: builtin("list.extend", [c("iterable")]),
  index: builtin("list.index", [c("value"), c("start", { default: 0 }), c("stop", { default: null })]),
  insert: builtin("list.insert", [c("index"), c("object")]),
  pop: builtin("list.pop", [c("index", { default: -1 })]),
  remove: builtin("list.remove", [c("value")]),
  reverse: builtin("list.reverse", []),
  sort: sig("sort", [p("key", null, { kind: "keyword-only", default: null }), p("reverse", null, { kind: "keyword-only", default: false })], { style: "c", id: "list.sort" }),
};
const dict: Table = {
  __contains__: builtin("dict.__contains__", [c("key")]),
  __delitem__: slot("dict.__delitem__", [c("key")]),
  __getitem__: builtin("dict.__getitem__", [c("key")]),
  __iter__: slot("dict.__iter__", []),
  __len__: slot("dict.__len__", []),
  __setitem__: slot("dict.__setitem__", [c("key"), c("value")], true),
  get: builtin("dict.get", [c("key"), c("default", { default: null })]),
  pop: builtin("dict.pop", [c("key"), c("default", { default: undefined })]),
  setdefault: builtin("dict.setdefault", [c("key"), c("default", { default: null })]),
  update: builtin("dict.update", [c("E", { default: undefined }), p("F", null, { kind: "var-keyword" })]),
};
for (const m of ["clear", "copy", "items", "keys", "values", "popitem"]) dict[m] = builtin(`dict.${m}`, []);

const iterator: Table = { __next__: slot("iterator.__next__", []) };

// --- multiprocessing.pool (served by a manager's Pool) ----------------------------------------------------

// Pool's own methods are declared by pool/pool.ts and pool/results.ts (looked up when first used:
// a thread that never made a Pool has not loaded them); these are the ones without arguments.
const pool: Table = {};
for (const m of ["close", "join", "terminate"]) pool[m] = py(`Pool.${m}`, [], `managers:Pool.${m}`);
const asyncResult: Table = {};
for (const m of ["ready", "successful"]) asyncResult[m] = py(`ApplyResult.${m}`, [], `managers:ApplyResult.${m}`);
/**
 * Declared elsewhere, looked up when first used: Pool's, and the proxy a Condition made over a
 * given lock holds in CPython's server too (its acquire and release are AcquirerProxy's).
 */
const lazy: Record<string, (name: string) => string> = {
  pool: (name) => `Pool.${name}`,
  asyncresult: (name) => `ApplyResult.${name}`,
  "condition-proxy": (name) => (name === "acquire" || name === "release" ? `AcquirerProxy.${name}` : `threading.Condition.${name}`),
};

/** Method signatures by referent kind (the `_referent_` of a proxy type). */
const tables: Record<string, Table> = {
  queue, lock, rlock, semaphore, boundedsemaphore: boundedSemaphore, condition, "condition-proxy": {}, event, barrier, namespace, value, array, list, dict, iterator, pool,
  asyncresult: asyncResult,
};

/** The declared signature of method `name` of a referent of `kind`, if there is one. */
export function referentSignature(kind: string | null | undefined, name: string): Signature<any> | undefined {
  if (!kind) return undefined;
  const s = tables[kind]?.[name];
  if (s !== undefined || !(kind in lazy)) return s;
  const d = declaredSignatures().get(lazy[kind]!(name));
  if (d) tables[kind]![name] = d;
  return d;
}

/** Referent kinds by SyncManager typeid, for proxies that do not say (AutoProxy[Queue]). */
const kindByTypeid: Record<string, string> = { Queue: "queue", JoinableQueue: "queue", AsyncResult: "asyncresult", Iterator: "iterator" };
const queueMethods = "empty,full,get,get_nowait,join,put,put_nowait,qsize,task_done";

/**
 * The referent kind behind an AutoProxy: by SyncManager's typeid, else a queue.Queue by its
 * exposed methods (what "Using a remote manager" registers as get_queue); null if unknown.
 */
export function autoKind(typeid: string, exposed: readonly string[] | null | undefined): string | null {
  const k = kindByTypeid[typeid];
  if (k) return k;
  if (exposed && [...exposed].sort().join(",") === queueMethods) return "queue";
  return null;
}

// --- factories ----------------------------------------------------------------------------------------

const queueInit = py("Queue.__init__", [p("maxsize", as<number>(), { default: 0 })], "managers:Queue");
/** The signature of the callable behind each builtin typeid (SyncManager.<typeid>(...)); Pool's is pool.ts's. */
export const FACTORIES = {
  Queue: queueInit,
  JoinableQueue: queueInit,
  Event: py("Event.__init__", [], "managers:Event"),
  Lock: builtin("_thread.allocate_lock", [], "managers:Lock"),
  Semaphore: py("Semaphore.__init__", [p("value", as<number>(), { default: 1 })], "managers:Semaphore"),
  BoundedSemaphore: py("BoundedSemaphore.__init__", [p("value", as<number>(), { default: 1 })], "managers:BoundedSemaphore"),
  Condition: py("Condition.__init__", [p("lock", as<AcquirerProxy | null>(), { default: null })], "managers:Condition"),
  Barrier: py("Barrier.__init__", [p("parties", as<number>()), p("action", as<(() => unknown) | null>(), { default: null, object: callableValue }), ...timeoutNone], "managers:Barrier"),
  list: builtin("list", [c("iterable", { default: undefined })], "managers:list"),
  dict: builtin("dict", [c("iterable", { default: undefined }), p("kwargs", null, { kind: "var-keyword" })], "managers:dict"),
  Value: py("Value.__init__", [p("typecode", as<string>()), p("value", as<unknown>(), { object: anyValue }), p("lock", as<unknown>(), { default: true })], "managers:Value"),
  Array: sig("Array", [p("typecode", as<string>()), p("sequence", as<Iterable<unknown>>()), p("lock", as<unknown>(), { default: true })], { id: "managers:Array" }),
  Namespace: py("Namespace.__init__", [p("kwds", null, { kind: "var-keyword" })], "managers:Namespace"),
} as const;
const factories: Record<string, Signature<any>> = FACTORIES;

/** The signature of builtin typeid `name`'s callable ("Queue" or "builtin:Queue"); undefined for RLock, which takes anything. */
export function factorySignature(name: string): Signature<any> | undefined {
  const typeid = name.startsWith("builtin:") ? name.slice(8) : name;
  if (typeid === "Pool") return declaredSignatures().get("Pool.__init__");
  return factories[typeid];
}

/**
 * The arguments to run a declared callable's JavaScript implementation with, from a wire call
 * `(args, kwds)`: a Python function's bound values in declaration order (defaults filled in); a C
 * function's positionals as given (they count them: `dict.pop(k)` and `dict.pop(k, d)` differ),
 * then its `**kwargs` object if it has any keywords.
 * @throws TypeError with CPython's text when the call does not fit the signature.
 */
export function bindCall(s: Signature<any>, args: readonly unknown[], kwds: Record<string, unknown> | null): unknown[] {
  if (s.style === "py" || s.style === "c") return s.bindWire(args, kwds) as unknown[];
  let pos: readonly unknown[] = args;
  let kw = kwds;
  if (kw === null || Object.keys(kw).length === 0) [pos, kw] = s.split(args);
  const bound = s.bindWire(pos, kw) as unknown[];
  const last = s.params[s.params.length - 1];
  if (last?.kind === "var-keyword" && Object.keys(bound[bound.length - 1] as object).length > 0) return [...pos, bound[bound.length - 1]];
  return pos as unknown[];
}
