// Port of the proxies of CPython's Lib/multiprocessing/managers.py (PSF-2.0): BaseProxy (with
// _callmethod, _getvalue, incref/decref), MakeProxyType, AutoProxy, and the proxy types of
// SyncManager (ListProxy, DictProxy, NamespaceProxy, ValueProxy, ArrayProxy, AcquirerProxy,
// ConditionProxy, EventProxy, BarrierProxy, PoolProxy, IteratorProxy).
// Every method has an `_async` twin that never blocks the event loop. Python's operators are
// their dunder methods; ListProxy/ArrayProxy index with `l[i]`, DictProxy takes string keys as
// properties, NamespaceProxy attributes are properties (names starting with '_' stay local).
// Differs from Python: JavaScript has no deterministic finalizer, so a proxy releases its
// referent on `_close()`, at the end of a `using` scope, when its thread exits, or (backstop)
// when it is garbage collected.

import { addressOf } from "../shared/current.js";
import { PyObject } from "../shared/pyobject.js";
import { IndexError, StopIteration, TypeError } from "../shared/pyerrors.js";
import { kGlobalRef, register } from "../shared/reduction.js";
import { registerPicklable } from "../shared/codec.js";
import { esmDistUrl, callerUrl } from "../shared/location.js";
import { ManagerConnection, kCtlCells } from "./connection.js";
import { asWire, kError, kProxy, kProxyType, kReturn, kTraceback, kUnserializable, rebuildException, reducingForWire, remoteError, Slice, Token, type FlatException } from "./wire.js";

const selfUrl = esmDistUrl(callerUrl(), 1) + "managers/proxies.js";
const monotonicNow = (): number => performance.now() / 1000;

/** Set inside a manager's server process: proxies of its own objects rebuild as local references. */
export const serverHooks: {
  address: string | null;
  localRef: ((state: Record<string, unknown>) => unknown) | null;
  resolve: ((v: unknown) => unknown) | null;
} = { address: null, localRef: null, resolve: null };

const kConn = Symbol("conn");
const kClosed = Symbol("closed");

const finalizer = new FinalizationRegistry<{ conn: ManagerConnection; id: string; closed: { v: boolean } }>((h) => {
  if (h.closed.v) return;
  h.closed.v = true;
  release(h.conn, h.id);
});

function release(conn: ManagerConnection, id: string): void {
  const n = conn.live.get(id) ?? 0;
  if (n <= 1) conn.live.delete(id);
  else conn.live.set(id, n - 1);
  conn.post(null, "decref", [id]);
}

/** Keyword arguments of BaseProxy. */
export interface ProxyOptions {
  manager?: any;
  authkey?: Uint8Array | null;
  exposed?: readonly string[] | null;
  incref?: boolean;
  manager_owned?: boolean;
}

/** Raises what a reply says went wrong (CPython's convert_to_error). */
export function convertToError(kind: string, result: unknown): Error {
  if (kind === kError) return rebuildException(result as FlatException);
  if (kind === kTraceback) return remoteError(String(result));
  if (kind === kUnserializable) return remoteError(`Unserializable message: ${String(result)}\n`);
  return new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].ValueError(`Unrecognized message type ${JSON.stringify(kind)}`);
}

/** A proxy for a shared object in a manager's server. */
export class BaseProxy extends PyObject implements Disposable {
  /** Method names this proxy type forwards (a class may set it, as Python's `_exposed_`). */
  static _exposed_?: readonly string[];
  /** Methods whose results come back as proxies of these typeids. */
  static _method_to_typeid_?: Record<string, string>;
  _token!: Token;
  _id!: string;
  _manager: any;
  _authkey: Uint8Array | null = null;
  _serializer!: string;
  _exposed_?: readonly string[];
  _isauto?: boolean;
  _owned_by_manager = false;
  [kConn]!: ManagerConnection;
  [kClosed]!: { v: boolean };

  constructor(token: Token, serializer: string = "pickle", options: ProxyOptions = {}) {
    super();
    const conn = ManagerConnection.get(token.address);
    if (!conn) throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].OSError(`no manager is known at ${token.address} in this process`);
    this._token = token;
    this._id = token.id;
    this._manager = options.manager ?? null;
    this._authkey = options.authkey ?? null;
    this._serializer = serializer;
    if (options.exposed) this._exposed_ = options.exposed;
    this[kConn] = conn;
    this[kClosed] = { v: false };
    this._owned_by_manager = options.manager_owned ?? false;
    if (options.incref ?? true) this._incref();
    conn.live.set(token.id, (conn.live.get(token.id) ?? 0) + 1);
    finalizer.register(this, { conn, id: token.id, closed: this[kClosed] }, this[kClosed]);
  }

  /** @internal asks the server to count this proxy. */
  _incref(): void {
    if (this._owned_by_manager) return;
    const [kind, result] = this[kConn].call(null, "incref", [this._id]);
    if (kind !== kReturn) throw convertToError(kind, result);
  }

  /**
   * Calls the method `methodname` of the referent and returns its result (a copy), or a new
   * proxy if the method's typeid says so; re-raises the referent's exception.
   * @throws the referent's exception; RemoteError for server-side failures (method not exposed).
   */
  _callmethod(methodname: string, args: readonly unknown[] = [], kwds: Record<string, unknown> = {}): any {
    const [kind, result] = this[kConn].call(this._id, methodname, args as unknown[], Object.keys(kwds).length ? kwds : null);
    return this._convert(kind, result);
  }

  /** Non-blocking twin of `_callmethod`. */
  async _callmethod_async(methodname: string, args: readonly unknown[] = [], kwds: Record<string, unknown> = {}): Promise<any> {
    const [kind, result] = await this[kConn].callAsync(this._id, methodname, args as unknown[], Object.keys(kwds).length ? kwds : null);
    return this._convert(kind, result);
  }

  /** @internal what a reply means: its value, a new proxy, or the error to throw. */
  _convert(kind: string, result: unknown): any {
    if (kind === kReturn) return result;
    if (kind === kProxy) {
      const [exposed, token] = result as [string[], Token];
      const proxytype = (this._manager?.constructor?._registry?.[token.typeid]?.proxytype ?? this[kConn].proxytypes[token.typeid] ?? AutoProxy) as any;
      token.address = this._token.address;
      return makeProxy(proxytype, token, this._serializer, { manager: this._manager, authkey: this._authkey, exposed, incref: false });
    }
    throw convertToError(kind, result);
  }

  /** A copy of the referent. */
  _getvalue(): any {
    return this._callmethod("#GETVALUE");
  }
  /** Non-blocking twin of `_getvalue`. */
  _getvalue_async(): Promise<any> {
    return this._callmethod_async("#GETVALUE");
  }

  /** Releases this proxy's reference now (what CPython does when the proxy is garbage collected). */
  _close(): void {
    if (this[kClosed].v) return;
    this[kClosed].v = true;
    finalizer.unregister(this[kClosed]);
    release(this[kConn], this._id);
  }
  [Symbol.dispose](): void {
    this._close();
  }

  __repr__(): string {
    return `<${this.constructor.name} object, typeid '${this._token.typeid}' at ${addressOf(this)}>`;
  }
  /** Python's `str(proxy)`: the referent's repr. */
  __str__(): string {
    try {
      return this._callmethod("__repr__");
    } catch {
      return this.__repr__().slice(0, -1) + "; '__str__()' failed>";
    }
  }
  override toString(): string {
    return this.__str__();
  }
  /** Python's `__reduce__`: how a proxy travels to another process. */
  __reduce_state__(): Record<string, unknown> {
    const conn = this[kConn];
    const state: Record<string, unknown> = {
      typeid: this._token.typeid, address: this._token.address, id: this._token.id,
      exposed: this._exposed_ ?? null, auto: this._isauto ?? false,
    };
    if (!reducingForWire()) {
      // To a child: the rings of the manager, and the proxy types it resolves typeids with.
      state.requests = conn.requests.sab;
      state.control = conn.control;
      state.cls = this._isauto ? null : this.constructor;
      state.proxytypes = { ...conn.proxytypes, ...Object.fromEntries(Object.entries(this._manager?.constructor?._registry ?? {}).map(([k, v]: [string, any]) => [k, v.proxytype])) };
    } else if (!this._isauto) {
      state.clsName = this.constructor.name;
    }
    return state;
  }
}

/** Makes a proxy (a JS Proxy around it when the type indexes). */
function makeProxy(cls: any, token: Token, serializer: string, options: ProxyOptions): any {
  if (cls === AutoProxy || cls?.[kIsAutoFactory]) return AutoProxy(token, serializer, options);
  return new cls(token, serializer, options);
}

const kIsAutoFactory = Symbol("AutoProxy");

/** Rebuilds a proxy in the receiving process (CPython's RebuildProxy). */
export function rebuildProxy(state: Record<string, any>): unknown {
  if (serverHooks.address !== null && state.address === serverHooks.address && serverHooks.localRef) return serverHooks.localRef(state);
  const conn = ManagerConnection.get(state.address, state.requests ? { requests: state.requests, control: state.control } : undefined);
  if (!conn) throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].OSError(`no manager is known at ${state.address} in this process: pass the proxy as a Process argument first`);
  if (state.proxytypes) for (const [k, v] of Object.entries(state.proxytypes)) if (v) conn.proxytypes[k] ??= v;
  const token = new Token(state.typeid, state.address, state.id);
  const options: ProxyOptions = { exposed: state.exposed, incref: true };
  let cls = state.cls ?? (state.clsName ? builtinProxies[state.clsName] : null) ?? (state.auto ? AutoProxy : conn.proxytypes[state.typeid]) ?? AutoProxy;
  return makeProxy(cls, token, "pickle", options);
}
register(kProxyType, BaseProxy, {
  reduce: (p: BaseProxy) => p.__reduce_state__(),
  rebuild: rebuildProxy,
});
// Through queues, pipes and pool tasks (bytes): without the rings, which the receiver finds by
// address (managers/connection.ts).
registerPicklable(kProxyType, BaseProxy, {
  reduce: (p: BaseProxy) => asWire(() => p.__reduce_state__()),
  rebuild: rebuildProxy,
});

/** Marks a library class so that a child finds it by module and export name. */
function exported<T extends object>(value: T, path: string): T {
  Object.defineProperty(value, kGlobalRef, { value: { module: selfUrl, path }, enumerable: false });
  return value;
}

/** Adds `name` and `name_async` forwarding methods to `proto`. */
function forward(proto: any, name: string): void {
  if (!Object.hasOwn(proto, name)) {
    Object.defineProperty(proto, name, {
      value: function (this: BaseProxy, ...args: unknown[]) { return this._callmethod(name, args); },
      writable: true, configurable: true,
    });
  }
  if (!Object.hasOwn(proto, `${name}_async`)) {
    Object.defineProperty(proto, `${name}_async`, {
      value: function (this: BaseProxy, ...args: unknown[]) { return this._callmethod_async(name, args); },
      writable: true, configurable: true,
    });
  }
}

const proxyTypeCache = new Map<string, typeof BaseProxy>();

/** Python's `MakeProxyType(name, exposed)`: a BaseProxy subclass forwarding the `exposed` methods. */
export function MakeProxyType(name: string, exposed: readonly string[], _cache?: Map<string, typeof BaseProxy>): typeof BaseProxy {
  const cache = _cache ?? proxyTypeCache;
  const key = `${name}:${exposed.join(",")}`;
  const known = cache.get(key);
  if (known) return known;
  const cls = { [name]: class extends BaseProxy {} }[name]!;
  for (const m of exposed) forward(cls.prototype, m);
  cls._exposed_ = [...exposed];
  cache.set(key, cls);
  return cls;
}

/** Python's `AutoProxy(token, serializer, ...)`: a proxy exposing the referent's public methods (or `exposed`). */
export const AutoProxy = Object.assign(
  function AutoProxy(token: Token, serializer: string = "pickle", options: ProxyOptions = {}): any {
    let exposed = options.exposed;
    if (!exposed) {
      const conn = ManagerConnection.get(token.address)!;
      const [kind, result] = conn.call(null, "get_methods", [token]);
      if (kind !== kReturn) throw convertToError(kind, result);
      exposed = result as string[];
    }
    const Cls = MakeProxyType(`AutoProxy[${token.typeid}]`, exposed);
    const p = new Cls(token, serializer, { ...options, exposed });
    p._isauto = true;
    return p;
  },
  { [kIsAutoFactory]: true },
);

// --- indexing: l[i], d.k, ns.x --------------------------------------------------------------------

const kIndex = /^-?(0|[1-9][0-9]*)$/;
/** Properties JavaScript itself looks up on objects (promises, JSON, test frameworks): never keys. */
const kNotKeys = new Set(["then", "toJSON", "asymmetricMatch", "$$typeof", "nodeType", "inspect", "constructor", "length", "@@__IMMUTABLE_ITERABLE__@@", "@@__IMMUTABLE_RECORD__@@", "_isMockFunction"]);

function indexable<T extends BaseProxy>(p: T): T {
  return new Proxy(p, {
    get(t, prop, recv) {
      if (typeof prop === "string" && kIndex.test(prop)) return (recv as any).__getitem__(Number(prop));
      return Reflect.get(t, prop, recv);
    },
    set(t, prop, v, recv) {
      if (typeof prop === "string" && kIndex.test(prop)) {
        (recv as any).__setitem__(Number(prop), v);
        return true;
      }
      return Reflect.set(t, prop, v, recv);
    },
  });
}

function keyed<T extends BaseProxy>(p: T): T {
  return new Proxy(p, {
    get(t, prop, recv) {
      if (typeof prop !== "string" || prop in t || kNotKeys.has(prop)) return Reflect.get(t, prop, recv);
      return (recv as any).__getitem__(prop);
    },
    set(t, prop, v, recv) {
      if (typeof prop !== "string" || prop in t || prop.startsWith("_")) return Reflect.set(t, prop, v, recv);
      (recv as any).__setitem__(prop, v);
      return true;
    },
    deleteProperty(t, prop) {
      if (typeof prop !== "string" || prop in t) return Reflect.deleteProperty(t, prop);
      (p as any).__delitem__(prop);
      return true;
    },
    has(t, prop) {
      if (typeof prop !== "string" || prop in t) return Reflect.has(t, prop);
      return (p as any).__contains__(prop);
    },
  });
}

function attributes<T extends BaseProxy>(p: T): T {
  const local = (t: object, prop: string | symbol) => typeof prop !== "string" || prop.startsWith("_") || prop in t || kNotKeys.has(prop);
  return new Proxy(p, {
    get(t, prop, recv) {
      if (local(t, prop)) return Reflect.get(t, prop, recv);
      return (recv as any)._callmethod("__getattribute__", [prop]);
    },
    set(t, prop, v, recv) {
      if (local(t, prop)) return Reflect.set(t, prop, v, recv);
      (recv as any)._callmethod("__setattr__", [prop, v]);
      return true;
    },
    deleteProperty(t, prop) {
      if (local(t, prop)) return Reflect.deleteProperty(t, prop);
      (p as any)._callmethod("__delattr__", [prop]);
      return true;
    },
    has(t, prop) {
      if (local(t, prop)) return Reflect.has(t, prop);
      try {
        (p as any)._callmethod("__getattribute__", [prop]);
        return true;
      } catch (e: any) {
        if (e?.name === "AttributeError") return false;
        throw e;
      }
    },
  });
}

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
  acquire(blocking: boolean | { blocking?: boolean; timeout?: number | null } = true, timeout: number | null = null): boolean {
    if (typeof blocking === "object" && blocking !== null) ({ blocking = true, timeout = null } = blocking);
    return this._callmethod("acquire", timeout === null || timeout === undefined ? [blocking] : [blocking, timeout]);
  }
  acquire_async(blocking: boolean | { blocking?: boolean; timeout?: number | null } = true, timeout: number | null = null): Promise<boolean> {
    if (typeof blocking === "object" && blocking !== null) ({ blocking = true, timeout = null } = blocking);
    return this._callmethod_async("acquire", timeout === null || timeout === undefined ? [blocking] : [blocking, timeout]);
  }
  release(): void {
    return this._callmethod("release");
  }
  release_async(): Promise<void> {
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
  wait(timeout: number | null | { timeout?: number | null } = null): boolean {
    if (timeout !== null && typeof timeout === "object") timeout = timeout.timeout ?? null;
    return this._callmethod("wait", [timeout]);
  }
  wait_async(timeout: number | null = null): Promise<boolean> {
    return this._callmethod_async("wait", [timeout]);
  }
  notify(n: number = 1): void {
    return this._callmethod("notify", [n]);
  }
  notify_async(n: number = 1): Promise<void> {
    return this._callmethod_async("notify", [n]);
  }
  notify_all(): void {
    return this._callmethod("notify_all");
  }
  notify_all_async(): Promise<void> {
    return this._callmethod_async("notify_all");
  }
  /** Waits until `predicate()` is true (evaluated here, as in Python), up to `timeout` seconds. */
  wait_for<T>(predicate: () => T, timeout: number | null = null): T {
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
  async wait_for_async<T>(predicate: () => T, timeout: number | null = null): Promise<T> {
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
  is_set(): boolean {
    return this._callmethod("is_set");
  }
  is_set_async(): Promise<boolean> {
    return this._callmethod_async("is_set");
  }
  set(): void {
    return this._callmethod("set");
  }
  set_async(): Promise<void> {
    return this._callmethod_async("set");
  }
  clear(): void {
    return this._callmethod("clear");
  }
  clear_async(): Promise<void> {
    return this._callmethod_async("clear");
  }
  wait(timeout: number | null | { timeout?: number | null } = null): boolean {
    if (timeout !== null && typeof timeout === "object") timeout = timeout.timeout ?? null;
    return this._callmethod("wait", [timeout]);
  }
  wait_async(timeout: number | null = null): Promise<boolean> {
    return this._callmethod_async("wait", [timeout]);
  }
}

/** Proxy of a `threading.Barrier`. */
export class BarrierProxy extends BaseProxy {
  static override _exposed_ = ["__getattribute__", "wait", "abort", "reset"];
  wait(timeout: number | null | { timeout?: number | null } = null): number {
    if (timeout !== null && typeof timeout === "object") timeout = timeout.timeout ?? null;
    return this._callmethod("wait", [timeout]);
  }
  wait_async(timeout: number | null = null): Promise<number> {
    return this._callmethod_async("wait", [timeout]);
  }
  abort(): void {
    return this._callmethod("abort");
  }
  abort_async(): Promise<void> {
    return this._callmethod_async("abort");
  }
  reset(): void {
    return this._callmethod("reset");
  }
  reset_async(): Promise<void> {
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
  constructor(token: Token, serializer?: string, options?: ProxyOptions) {
    super(token, serializer, options);
    return attributes(this);
  }
  [key: string]: any;
}

/** Proxy of a `managers.Value`: `get()`, `set(v)` and the property `value`. */
export class ValueProxy extends BaseProxy {
  static override _exposed_ = ["get", "set"];
  get(): any {
    return this._callmethod("get");
  }
  get_async(): Promise<any> {
    return this._callmethod_async("get");
  }
  set(value: unknown): void {
    return this._callmethod("set", [value]);
  }
  set_async(value: unknown): Promise<void> {
    return this._callmethod_async("set", [value]);
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

/** Proxy of a list: `l[i]`, `l.slice(a, b)`, `len(l)`, `for...of`, and list's methods. */
export class ListProxy extends BaseListProxy {
  static override _exposed_ = [...kListExposed];
  constructor(token: Token, serializer?: string, options?: ProxyOptions) {
    super(token, serializer, options);
    return indexable(this);
  }
  /** `l += values` (extends in place; returns the proxy). */
  __iadd__(value: Iterable<unknown>): this {
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
  append(x: unknown): void; count(x: unknown): number; extend(xs: Iterable<unknown>): void; index(x: unknown, start?: number, stop?: number): number;
  insert(i: number, x: unknown): void; pop(i?: number): any; remove(x: unknown): void; reverse(): void; sort(options?: { key?: (x: any) => unknown; reverse?: boolean }): void;
  append_async(x: unknown): Promise<void>; __getitem___async(i: number | Slice): Promise<any>; __setitem___async(i: number | Slice, v: unknown): Promise<void>;
  __len___async(): Promise<number>; pop_async(i?: number): Promise<any>; extend_async(xs: Iterable<unknown>): Promise<void>;
  [name: `${string}_async`]: (...args: any[]) => Promise<any>;
}

const kDictExposed = ["__contains__", "__delitem__", "__getitem__", "__iter__", "__len__", "__setitem__", "clear", "copy", "get", "items", "keys",
  "pop", "popitem", "setdefault", "update", "values"] as const;
const BaseDictProxy = MakeProxyType("DictProxy", kDictExposed);

/** Proxy of a dict: `d.__getitem__(k)` for any key, `d["k"]`/`d.k` for string keys, `len(d)`, `for...of` (keys). */
export class DictProxy extends BaseDictProxy {
  static override _exposed_ = [...kDictExposed];
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

const kPoolExposed = ["apply", "apply_async", "close", "imap", "imap_unordered", "join", "map", "map_async", "starmap", "starmap_async", "terminate"];
/** Proxy of a `multiprocessing.pool.Pool` in the server; disposal terminates it, as `__exit__`. */
export class PoolProxy extends MakeProxyType("PoolProxy", kPoolExposed) {
  static override _exposed_ = kPoolExposed;
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
export interface PoolProxy {
  map(fn: (x: any) => unknown, xs: Iterable<unknown>, chunksize?: number): any[];
  apply(fn: (...a: any[]) => unknown, args?: unknown[]): any;
  close(): void; join(): void; terminate(): void;
  [name: string]: any;
}

const builtinProxies: Record<string, any> = {
  IteratorProxy, AcquirerProxy, ConditionProxy, EventProxy, BarrierProxy, NamespaceProxy, ValueProxy, ListProxy, DictProxy, ArrayProxy, PoolProxy,
  BaseListProxy,
};
for (const [name, cls] of Object.entries(builtinProxies)) exported(cls, name);
exported(AutoProxy, "AutoProxy");
exported(BaseProxy, "BaseProxy");

void TypeError;
void kCtlCells;
