// The proxy types of CPython's SyncManager (Lib/multiprocessing/managers.py, PSF-2.0):
// IteratorProxy, AcquirerProxy, ConditionProxy, EventProxy, BarrierProxy, NamespaceProxy,
// ValueProxy, BaseListProxy, ListProxy, DictProxy, ArrayProxy, PoolProxy. Each method has an
// `_async` twin; ListProxy/ArrayProxy index with `l[i]`, DictProxy takes string keys as
// properties, NamespaceProxy attributes are properties (names starting with '_' stay local).

import { anyValue, as, callableValue, p, sig, type Bound } from "../shared/binder.js";
import { IndexError, StopIteration } from "../shared/pyerrors.js";
import { callerUrl, esmDistUrl } from "../shared/location.js";
import { attributes, BaseProxy, builtinProxies, exported, forward, indexable, keyed, MakeProxyType, type ProxyOptions } from "./proxies.js";
import { Slice, type Token } from "./wire.js";
import type { QUEUE_GET, QUEUE_PUT, QUEUE_PUT_NOWAIT } from "./signatures.js";
import type { Pool } from "../pool/pool.js";

const selfUrl = esmDistUrl(callerUrl(), 1) + "managers/proxy_types.js";
const monotonicNow = (): number => performance.now() / 1000;

// The methods CPython's proxy types define in Python (managers.py), bound here as there: these
// send positionals; the forwarded ones (MakeProxyType's) send `(args, kwds)` for the server to
// bind against the referent (managers/signatures.ts).
const timeout = p("timeout", as<number | null>(), { default: null });
const none = (qualname: string) => sig(qualname, [], { method: true });
const ACQUIRE = sig("AcquirerProxy.acquire", [p("blocking", as<boolean>(), { default: true }), timeout], { method: true });
const RELEASE = none("AcquirerProxy.release");
const COND_WAIT = sig("ConditionProxy.wait", [timeout], { method: true });
const COND_NOTIFY = sig("ConditionProxy.notify", [p("n", as<number>(), { default: 1 })], { method: true });
const COND_NOTIFY_ALL = none("ConditionProxy.notify_all");
const COND_WAIT_FOR = sig("ConditionProxy.wait_for", [p("predicate", as<() => unknown>(), { object: callableValue }), timeout], { method: true });
const EVENT_IS_SET = none("EventProxy.is_set");
const EVENT_SET = none("EventProxy.set");
const EVENT_CLEAR = none("EventProxy.clear");
const EVENT_WAIT = sig("EventProxy.wait", [timeout], { method: true });
const BARRIER_WAIT = sig("BarrierProxy.wait", [timeout], { method: true });
const BARRIER_ABORT = none("BarrierProxy.abort");
const BARRIER_RESET = none("BarrierProxy.reset");
const VALUE_GET = none("ValueProxy.get");
const VALUE_SET = sig("ValueProxy.set", [p("value", as<unknown>(), { object: anyValue })], { method: true });
/** Arguments of a proxy method that takes none. */
type NoArgs = Bound<typeof RELEASE>;

// --- SyncManager's proxy types ------------------------------------------------------------------

/** Iterates a proxy as Python's `iter()` falls back to `__getitem__(0, 1, ...)` until IndexError. */
function* byIndex(p: any): Generator<any> {
  for (let i = 0; ; i++) {
    let v;
    try {
      v = p.__getitem__(i);
    } catch (e) {
      if (e instanceof IndexError) return;
      throw e;
    }
    yield v;
  }
}

/** Proxy of a Python iterator or generator: `__next__`, `send`, `throw`, `close`; iterable with `for...of`. */
export class IteratorProxy extends BaseProxy {
  static override _exposed_ = ["__next__", "send", "throw", "close"];
  static override _referent_ = "iterator";
  [Symbol.iterator](): Iterator<any> {
    return {
      next: () => {
        try {
          return { value: this._callmethod("__next__"), done: false };
        } catch (e) {
          if (e instanceof StopIteration) return { value: undefined, done: true };
          throw e;
        }
      },
    };
  }
  [Symbol.asyncIterator](): AsyncIterator<any> {
    return {
      next: async () => {
        try {
          return { value: await this._callmethod_async("__next__"), done: false };
        } catch (e) {
          if (e instanceof StopIteration) return { value: undefined, done: true };
          throw e;
        }
      },
    };
  }
  __iter__(): this {
    return this;
  }
}
for (const m of IteratorProxy._exposed_) forward(IteratorProxy.prototype, m);
export interface IteratorProxy {
  __next__(...args: unknown[]): any;
  send(value: unknown): any;
  throw(...args: unknown[]): any;
  close(): void;
}

/** Proxy of a lock or semaphore: `acquire(blocking=true, timeout=null)`, `release()`, `.with(fn)`. */
export class AcquirerProxy extends BaseProxy {
  static override _exposed_ = ["acquire", "release"];
  /** Acquires the lock or semaphore: `acquire()`, `acquire(false)`, `acquire({ timeout: 1 })`. */
  acquire(...args: Bound<typeof ACQUIRE>): boolean {
    const [blocking, t] = ACQUIRE.bind(args);
    return this._callmethod("acquire", t === null ? [blocking] : [blocking, t]);
  }
  acquire_async(...args: Bound<typeof ACQUIRE>): Promise<boolean> {
    const [blocking, t] = ACQUIRE.bind(args);
    return this._callmethod_async("acquire", t === null ? [blocking] : [blocking, t]);
  }
  release(...args: NoArgs): void {
    RELEASE.bind(args);
    return this._callmethod("release");
  }
  release_async(...args: NoArgs): Promise<void> {
    RELEASE.bind(args);
    return this._callmethod_async("release");
  }
  __enter__(): boolean {
    return this.acquire();
  }
  __exit__(): void {
    this.release();
  }
  /** `with lock:` — acquires, runs `fn`, releases (after the promise settles if `fn` returns one). */
  with<T>(fn: (entered: boolean) => T): T {
    const entered = this.acquire();
    let r: T;
    try {
      r = fn(entered);
    } catch (e) {
      this.release();
      throw e;
    }
    if (r !== null && typeof r === "object" && typeof (r as any).then === "function") {
      return (r as any).then((v: unknown) => (this.release(), v), (e: unknown) => {
        this.release();
        throw e;
      });
    }
    this.release();
    return r;
  }
}

/** Proxy of a `threading.Condition`. */
export class ConditionProxy extends AcquirerProxy {
  static override _exposed_ = ["acquire", "release", "wait", "notify", "notify_all"];
  wait(...args: Bound<typeof COND_WAIT>): boolean {
    return this._callmethod("wait", COND_WAIT.bind(args));
  }
  wait_async(...args: Bound<typeof COND_WAIT>): Promise<boolean> {
    return this._callmethod_async("wait", COND_WAIT.bind(args));
  }
  notify(...args: Bound<typeof COND_NOTIFY>): void {
    return this._callmethod("notify", COND_NOTIFY.bind(args));
  }
  notify_async(...args: Bound<typeof COND_NOTIFY>): Promise<void> {
    return this._callmethod_async("notify", COND_NOTIFY.bind(args));
  }
  notify_all(...args: NoArgs): void {
    COND_NOTIFY_ALL.bind(args);
    return this._callmethod("notify_all");
  }
  notify_all_async(...args: NoArgs): Promise<void> {
    COND_NOTIFY_ALL.bind(args);
    return this._callmethod_async("notify_all");
  }
  /** Waits until `predicate()` is true (evaluated here, as in Python), up to `timeout` seconds. */
  wait_for<T>(...args: Bound<typeof COND_WAIT_FOR, { predicate: () => T }>): T {
    const [predicate, timeout] = COND_WAIT_FOR.bind(args) as [() => T, number | null];
    let result = predicate();
    if (result) return result;
    const end = timeout !== null ? monotonicNow() + timeout : null;
    let wait: number | null = null;
    while (!result) {
      if (end !== null) {
        wait = end - monotonicNow();
        if (wait <= 0) break;
      }
      this.wait(wait);
      result = predicate();
    }
    return result;
  }
  async wait_for_async<T>(...args: Bound<typeof COND_WAIT_FOR, { predicate: () => T }>): Promise<T> {
    const [predicate, timeout] = COND_WAIT_FOR.bind(args) as [() => T, number | null];
    let result = predicate();
    if (result) return result;
    const end = timeout !== null ? monotonicNow() + timeout : null;
    let wait: number | null = null;
    while (!result) {
      if (end !== null) {
        wait = end - monotonicNow();
        if (wait <= 0) break;
      }
      await this.wait_async(wait);
      result = predicate();
    }
    return result;
  }
}

/** Proxy of a `threading.Event`. */
export class EventProxy extends BaseProxy {
  static override _exposed_ = ["is_set", "set", "clear", "wait"];
  is_set(...args: NoArgs): boolean {
    EVENT_IS_SET.bind(args);
    return this._callmethod("is_set");
  }
  is_set_async(...args: NoArgs): Promise<boolean> {
    EVENT_IS_SET.bind(args);
    return this._callmethod_async("is_set");
  }
  set(...args: NoArgs): void {
    EVENT_SET.bind(args);
    return this._callmethod("set");
  }
  set_async(...args: NoArgs): Promise<void> {
    EVENT_SET.bind(args);
    return this._callmethod_async("set");
  }
  clear(...args: NoArgs): void {
    EVENT_CLEAR.bind(args);
    return this._callmethod("clear");
  }
  clear_async(...args: NoArgs): Promise<void> {
    EVENT_CLEAR.bind(args);
    return this._callmethod_async("clear");
  }
  wait(...args: Bound<typeof EVENT_WAIT>): boolean {
    return this._callmethod("wait", EVENT_WAIT.bind(args));
  }
  wait_async(...args: Bound<typeof EVENT_WAIT>): Promise<boolean> {
    return this._callmethod_async("wait", EVENT_WAIT.bind(args));
  }
}

/** Proxy of a `threading.Barrier`. */
export class BarrierProxy extends BaseProxy {
  static override _exposed_ = ["__getattribute__", "wait", "abort", "reset"];
  wait(...args: Bound<typeof BARRIER_WAIT>): number {
    return this._callmethod("wait", BARRIER_WAIT.bind(args));
  }
  wait_async(...args: Bound<typeof BARRIER_WAIT>): Promise<number> {
    return this._callmethod_async("wait", BARRIER_WAIT.bind(args));
  }
  abort(...args: NoArgs): void {
    BARRIER_ABORT.bind(args);
    return this._callmethod("abort");
  }
  abort_async(...args: NoArgs): Promise<void> {
    BARRIER_ABORT.bind(args);
    return this._callmethod_async("abort");
  }
  reset(...args: NoArgs): void {
    BARRIER_RESET.bind(args);
    return this._callmethod("reset");
  }
  reset_async(...args: NoArgs): Promise<void> {
    BARRIER_RESET.bind(args);
    return this._callmethod_async("reset");
  }
  get parties(): number {
    return this._callmethod("__getattribute__", ["parties"]);
  }
  get n_waiting(): number {
    return this._callmethod("__getattribute__", ["n_waiting"]);
  }
  get broken(): boolean {
    return this._callmethod("__getattribute__", ["broken"]);
  }
}

/** Proxy of a `managers.Namespace`: attributes are properties; names starting with '_' stay local. */
export class NamespaceProxy extends BaseProxy {
  static override _exposed_ = ["__getattribute__", "__setattr__", "__delattr__"];
  static override _referent_ = "namespace";
  constructor(token: Token, serializer?: string, options?: ProxyOptions) {
    super(token, serializer, options);
    return attributes(this);
  }
  [key: string]: any;
}

/** Proxy of a `managers.Value`: `get()`, `set(v)` and the property `value`. */
export class ValueProxy extends BaseProxy {
  static override _exposed_ = ["get", "set"];
  get(...args: NoArgs): any {
    VALUE_GET.bind(args);
    return this._callmethod("get");
  }
  get_async(...args: NoArgs): Promise<any> {
    VALUE_GET.bind(args);
    return this._callmethod_async("get");
  }
  set(...args: Bound<typeof VALUE_SET>): void {
    return this._callmethod("set", VALUE_SET.bind(args));
  }
  set_async(...args: Bound<typeof VALUE_SET>): Promise<void> {
    return this._callmethod_async("set", VALUE_SET.bind(args));
  }
  get value(): any {
    return this.get();
  }
  set value(v: any) {
    this.set(v);
  }
}

const kListExposed = ["__add__", "__contains__", "__delitem__", "__getitem__", "__len__", "__mul__", "__reversed__", "__rmul__", "__setitem__",
  "append", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort", "__imul__"] as const;

/** Python's `BaseListProxy`: a ListProxy without the in-place operators. */
export const BaseListProxy = MakeProxyType("BaseListProxy", kListExposed);
BaseListProxy._referent_ = "list";

/** Proxy of a list: `l[i]`, `l.slice(a, b)`, `len(l)`, `for...of`, and list's methods. */
export class ListProxy extends BaseListProxy {
  static override _exposed_ = [...kListExposed];
  constructor(token: Token, serializer?: string, options?: ProxyOptions) {
    super(token, serializer, options);
    return indexable(this);
  }
  /** `l += values` (extends in place; returns the proxy). */
  __iadd__(value: Iterable<unknown> | Record<string, unknown>): this {
    this._callmethod("extend", [value]);
    return this;
  }
  /** `l *= n` (in place; returns the proxy). */
  __imul__(value: number): this {
    this._callmethod("__imul__", [value]);
    return this;
  }
  /** `l[a:b]` (and `l[a:b:step]`): a plain list. */
  slice(start: number | null = null, stop: number | null = null, step: number | null = null): any[] {
    return this._callmethod("__getitem__", [new Slice(start, stop, step)]);
  }
  /** `l[i:j] = seq` / `l[i:j:k] = seq`. */
  set_slice(start: number | null, stop: number | null, ...rest: unknown[]): void {
    const seq = rest.pop();
    const step = (rest[0] as number | null | undefined) ?? null;
    this._callmethod("__setitem__", [new Slice(start, stop, step), seq]);
  }
  get length(): number {
    return this._callmethod("__len__");
  }
  [Symbol.iterator](): Iterator<any> {
    return byIndex(this);
  }
  [index: number]: any;
}
export interface ListProxy {
  __add__(x: Iterable<unknown>): any[]; __contains__(x: unknown): boolean; __delitem__(i: number | Slice): void; __getitem__(i: number | Slice): any;
  __len__(): number; __mul__(n: number): any[]; __reversed__(): any[]; __rmul__(n: number): any[]; __setitem__(i: number | Slice, v: unknown): void;
  append(x: unknown): void; count(x: unknown): number; extend(xs: Iterable<unknown> | Record<string, unknown>): void; index(x: unknown, start?: number, stop?: number): number;
  insert(i: number, x: unknown): void; pop(i?: number): any; remove(x: unknown): void; reverse(): void; sort(options?: { key?: (x: any) => unknown; reverse?: boolean }): void;
  append_async(x: unknown): Promise<void>; __getitem___async(i: number | Slice): Promise<any>; __setitem___async(i: number | Slice, v: unknown): Promise<void>;
  __len___async(): Promise<number>; pop_async(i?: number): Promise<any>; extend_async(xs: Iterable<unknown> | Record<string, unknown>): Promise<void>;
  [name: `${string}_async`]: (...args: any[]) => Promise<any>;
}

const kDictExposed = ["__contains__", "__delitem__", "__getitem__", "__iter__", "__len__", "__setitem__", "clear", "copy", "get", "items", "keys",
  "pop", "popitem", "setdefault", "update", "values"] as const;
const BaseDictProxy = MakeProxyType("DictProxy", kDictExposed);

/** Proxy of a dict: `d.__getitem__(k)` for any key, `d["k"]`/`d.k` for string keys, `len(d)`, `for...of` (keys). */
export class DictProxy extends BaseDictProxy {
  static override _exposed_ = [...kDictExposed];
  static override _referent_ = "dict";
  static override _method_to_typeid_ = { __iter__: "Iterator" };
  constructor(token: Token, serializer?: string, options?: ProxyOptions) {
    super(token, serializer, options);
    return keyed(this);
  }
  [Symbol.iterator](): Iterator<any> {
    return (this as any).__iter__()[Symbol.iterator]();
  }
  [key: string]: any;
}

/** Proxy of an `array.array`: `__len__`, `__getitem__`, `__setitem__`; `a[i]`, `a.slice(i, j)`. */
export class ArrayProxy extends MakeProxyType("ArrayProxy", ["__len__", "__getitem__", "__setitem__"]) {
  static override _exposed_ = ["__len__", "__getitem__", "__setitem__"];
  static override _referent_ = "array";
  constructor(token: Token, serializer?: string, options?: ProxyOptions) {
    super(token, serializer, options);
    return indexable(this);
  }
  /** `a[i:j]`: an `array` copy. */
  slice(start: number | null = null, stop: number | null = null, step: number | null = null): any {
    return this._callmethod("__getitem__", [new Slice(start, stop, step)]);
  }
  get length(): number {
    return this._callmethod("__len__");
  }
  [Symbol.iterator](): Iterator<any> {
    return byIndex(this);
  }
  [index: number]: any;
}
export interface ArrayProxy {
  __len__(): number; __getitem__(i: number | Slice): any; __setitem__(i: number | Slice, v: unknown): void;
}

/**
 * The type of a shared `queue.Queue` (`SyncManager.Queue()`): at run time an AutoProxy, whose
 * methods take `queue.Queue`'s arguments (`put(item, block=True, timeout=None)`,
 * `get({ timeout: 1 })`), bound by the server as in CPython.
 */
export interface QueueProxy<T = any> extends BaseProxy {
  put(...args: Bound<typeof QUEUE_PUT, { item: T }>): void;
  put_async(...args: Bound<typeof QUEUE_PUT, { item: T }>): Promise<void>;
  get(...args: Bound<typeof QUEUE_GET>): T;
  get_async(...args: Bound<typeof QUEUE_GET>): Promise<T>;
  put_nowait(...args: Bound<typeof QUEUE_PUT_NOWAIT, { item: T }>): void;
  put_nowait_async(...args: Bound<typeof QUEUE_PUT_NOWAIT, { item: T }>): Promise<void>;
  get_nowait(...args: NoArgs): T;
  get_nowait_async(...args: NoArgs): Promise<T>;
  qsize(...args: NoArgs): number;
  empty(...args: NoArgs): boolean;
  full(...args: NoArgs): boolean;
  task_done(...args: NoArgs): void;
  join(...args: NoArgs): void;
  [name: string]: any;
}

const kPoolExposed = ["apply", "apply_async", "close", "imap", "imap_unordered", "join", "map", "map_async", "starmap", "starmap_async", "terminate"];
/** Proxy of a `multiprocessing.pool.Pool` in the server; disposal terminates it, as `__exit__`. */
export class PoolProxy extends MakeProxyType("PoolProxy", kPoolExposed) {
  static override _exposed_ = kPoolExposed;
  static override _referent_ = "pool";
  static override _method_to_typeid_ = { apply_async: "AsyncResult", map_async: "AsyncResult", starmap_async: "AsyncResult", imap: "Iterator", imap_unordered: "Iterator" };
  __enter__(): this {
    return this;
  }
  __exit__(): void {
    (this as any).terminate();
  }
  with<T>(fn: (p: this) => T): T {
    try {
      return fn(this);
    } finally {
      this.__exit__();
    }
  }
  override [Symbol.dispose](): void {
    this.__exit__();
    super[Symbol.dispose]();
  }
}
/** The blocking methods take Pool's own arguments (its declarations bind them in the server). */
export interface PoolProxy {
  apply: Pool["apply"];
  map: Pool["map"];
  starmap: Pool["starmap"];
  close(...args: NoArgs): void;
  join(...args: NoArgs): void;
  terminate(...args: NoArgs): void;
  [name: string]: any;
}

Object.assign(builtinProxies, {
  IteratorProxy, AcquirerProxy, ConditionProxy, EventProxy, BarrierProxy, NamespaceProxy, ValueProxy, ListProxy, DictProxy, ArrayProxy, PoolProxy,
  BaseListProxy,
});
for (const [name, cls] of Object.entries(builtinProxies)) exported(cls, name, selfUrl);

