// Port of the proxy machinery of CPython's Lib/multiprocessing/managers.py (PSF-2.0):
// BaseProxy (with _callmethod, _getvalue, incref/decref, how a proxy travels), MakeProxyType,
// AutoProxy, RebuildProxy, and the JavaScript Proxy wrappers that give `l[i]`, `d.k` and `ns.x`.
// SyncManager's proxy types are in managers/proxy_types.ts.
// Differs from Python: JavaScript has no deterministic finalizer, so a proxy releases its
// referent on `_close()`, at the end of a `using` scope, when its thread exits, or (backstop)
// when it is garbage collected.

import { addressOf } from "../shared/current.js";
import { PyObject } from "../shared/pyobject.js";
import { TypeError } from "../shared/pyerrors.js";
import { kGlobalRef, register } from "../shared/reduction.js";
import { registerPicklable } from "../shared/codec.js";
import { esmDistUrl, callerUrl } from "../shared/location.js";
import { ManagerConnection, kCtlCells } from "./connection.js";
import { connectionFor, RemoteConnection } from "./remote_client.js";
import { kNotLocal } from "./shared_referents.js";
import { autoKind, referentSignature } from "./signatures.js";
import { asWire, kError, kProxy, kProxyType, kReturn, kTraceback, kUnserializable, rebuildException, reducingForWire, remoteError, Token, type FlatException } from "./wire.js";

const selfUrl = esmDistUrl(callerUrl(), 1) + "managers/proxies.js";

/** Set inside a manager's server process: proxies of its own objects rebuild as local references. */
export const serverHooks: {
  address: string | null;
  localRef: ((state: Record<string, unknown>) => unknown) | null;
  resolve: ((v: unknown) => unknown) | null;
} = { address: null, localRef: null, resolve: null };

const kConn = Symbol("conn");
const kLocal = Symbol("local");
const kNoArgs: readonly unknown[] = Object.freeze([]);
/**
 * The proxy objects behind the JavaScript Proxies of indexable, keyed and attribute proxies: a
 * forwarded method called on the JavaScript Proxy runs on its target, so that reading the
 * target's own fields (connection, id) does not go through the Proxy's traps again.
 */
const targets = new WeakMap<object, BaseProxy>();
/** What a proxy talks to: an in-tree server's rings, or a socket (managers/remote_client.ts). */
type AnyConnection = ManagerConnection | RemoteConnection;
const kClosed = Symbol("closed");

const finalizer = new FinalizationRegistry<{ conn: AnyConnection; id: string; closed: { v: boolean } }>((h) => {
  if (h.closed.v) return;
  h.closed.v = true;
  release(h.conn, h.id);
});

function release(conn: AnyConnection, id: string): void {
  const n = conn.live.get(id) ?? 0;
  if (n <= 1) conn.live.delete(id);
  else conn.live.set(id, n - 1);
  conn.post(null, "decref", [id]);
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
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
  /**
   * The kind of referent whose declared signatures (managers/signatures.ts) the forwarded
   * methods split their trailing options object with ("list", "dict", "queue"...); none: the
   * arguments travel as given.
   */
  static _referent_?: string | null;
  _token!: Token;
  _id!: string;
  _manager: any;
  _authkey: Uint8Array | null = null;
  _serializer!: string;
  _exposed_?: readonly string[];
  _isauto?: boolean;
  _owned_by_manager = false;
  [kConn]!: AnyConnection;
  /** The connection again if its manager keeps referents in shared memory (calls may run here), else null. */
  [kLocal]!: ManagerConnection | null;
  [kClosed]!: { v: boolean };

  constructor(token: Token, serializer: string = "pickle", options: ProxyOptions = {}) {
    super();
    const conn = connectionFor(token.address, { authkey: options.authkey, serializer });
    if (!conn) throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].OSError(`no manager is known at ${token.address} in this process`);
    this._token = token;
    this._id = token.id;
    this._manager = options.manager ?? null;
    this._authkey = options.authkey ?? null;
    this._serializer = serializer;
    if (options.exposed) this._exposed_ = options.exposed;
    this[kConn] = conn;
    this[kLocal] = conn instanceof ManagerConnection && conn.heap !== null ? conn : null;
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
  _callmethod(methodname: string, args: readonly unknown[] = kNoArgs, kwds?: Record<string, unknown>): any {
    const hasKwds = kwds !== undefined && hasKeys(kwds);
    const local = this[kLocal];
    if (local !== null && !hasKwds) {
      // A builtin dict, list, Namespace or Value in shared memory: served in this thread.
      const v = local.callLocal(this._id, methodname, args);
      if (v !== kNotLocal) return v;
    }
    const [kind, result] = this[kConn].call(this._id, methodname, args as unknown[], hasKwds ? kwds! : null);
    return this._convert(kind, result);
  }

  /** Non-blocking twin of `_callmethod`. */
  async _callmethod_async(methodname: string, args: readonly unknown[] = kNoArgs, kwds?: Record<string, unknown>): Promise<any> {
    const hasKwds = kwds !== undefined && hasKeys(kwds);
    const local = this[kLocal];
    if (local !== null && !hasKwds) {
      const v = local.callLocal(this._id, methodname, args);
      if (v !== kNotLocal) return v;
    }
    const [kind, result] = await this[kConn].callAsync(this._id, methodname, args as unknown[], hasKwds ? kwds! : null);
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
    if (conn instanceof RemoteConnection) {
      // A proxy of a manager served on a socket: the receiver connects to the address itself.
      state.authkey = this._authkey;
      state.serializer = this._serializer;
      if (!this._isauto) state.clsName = this.constructor.name;
    } else if (!reducingForWire()) {
      // To a child: the rings of the manager, and the proxy types it resolves typeids with.
      state.requests = conn.requests.sab;
      if (typeof this._token.address !== "string") state.ring = conn.address;
      state.control = conn.control;
      state.cls = this._isauto ? null : this.constructor;
      // Only the library's own types: a user's proxy type that cannot travel must not keep every
      // proxy of its manager from travelling (a child falls back to AutoProxy for those typeids).
      const types = { ...conn.proxytypes, ...Object.fromEntries(Object.entries(this._manager?.constructor?._registry ?? {}).map(([k, v]: [string, any]) => [k, v.proxytype])) };
      state.proxytypes = Object.fromEntries(Object.entries(types).filter(([, v]) => v && (v as any)[kGlobalRef]));
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
  if (serverHooks.address !== null && (state.address === serverHooks.address || state.ring === serverHooks.address) && serverHooks.localRef) return serverHooks.localRef({ ...state, address: serverHooks.address });
  const conn = connectionFor(state.address, { rings: state.requests ? { requests: state.requests, control: state.control } : undefined, ring: state.ring, authkey: state.authkey, serializer: state.serializer });
  if (!conn) throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].OSError(`no manager is known at ${state.address} in this process: pass the proxy as a Process argument first`);
  if (state.proxytypes) for (const [k, v] of Object.entries(state.proxytypes)) if (v) conn.proxytypes[k] ??= v;
  const token = new Token(state.typeid, state.address, state.id);
  const options: ProxyOptions = { exposed: state.exposed, incref: true, authkey: state.authkey ?? null };
  let cls = state.cls ?? (state.clsName ? builtinProxies[state.clsName] : null) ?? (state.auto ? AutoProxy : conn.proxytypes[state.typeid]) ?? AutoProxy;
  return makeProxy(cls, token, state.serializer ?? "pickle", options);
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
export function exported<T extends object>(value: T, path: string, module = selfUrl): T {
  Object.defineProperty(value, kGlobalRef, { value: { module, path }, enumerable: false });
  return value;
}

/**
 * Python's `(args, kwds)` of a forwarded call: the trailing options object split off by the
 * referent's declared signature, if the proxy type names one (else the arguments as given).
 */
function wireArgs(p: BaseProxy, name: string, args: unknown[]): [unknown[], Record<string, unknown> | undefined] {
  const s = referentSignature((p.constructor as typeof BaseProxy)._referent_, name);
  if (s === undefined) return [args, undefined];
  const [a, kw] = s.split(args);
  return [a, kw ?? undefined];
}

const kTwin = Symbol("async twin");

/**
 * Adds `name` and `name_async` forwarding methods to `proto` (MakeProxyType's `(self, /, *args,
 * **kwds)`). An exposed method wins over another's twin of the same name (PoolProxy's
 * `apply_async` is the referent's, not `apply`'s twin).
 */
export function forward(proto: any, name: string): void {
  if (!Object.hasOwn(proto, name) || proto[name]?.[kTwin]) {
    Object.defineProperty(proto, name, {
      value: function (this: BaseProxy, ...args: unknown[]) {
        const t = targets.get(this) ?? this;
        const [a, kw] = wireArgs(t, name, args);
        return t._callmethod(name, a, kw);
      },
      writable: true, configurable: true,
    });
  }
  if (!Object.hasOwn(proto, `${name}_async`)) {
    Object.defineProperty(proto, `${name}_async`, {
      value: Object.assign(function (this: BaseProxy, ...args: unknown[]) {
        const t = targets.get(this) ?? this;
        const [a, kw] = wireArgs(t, name, args);
        return t._callmethod_async(name, a, kw);
      }, { [kTwin]: true }),
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
      const conn = connectionFor(token.address, { authkey: options.authkey, serializer })!;
      const [kind, result] = conn.call(null, "get_methods", [token]);
      if (kind !== kReturn) throw convertToError(kind, result);
      exposed = result as string[];
    }
    const Cls = MakeProxyType(`AutoProxy[${token.typeid}]`, exposed);
    Cls._referent_ ??= autoKind(token.typeid, exposed);
    const p = new Cls(token, serializer, { ...options, exposed });
    p._isauto = true;
    return p;
  },
  { [kIsAutoFactory]: true },
);

// --- indexing: l[i], d.k, ns.x --------------------------------------------------------------------

const kIndex = /^-?(0|[1-9][0-9]*)$/;
/** True if `prop` is an index (`l[3]`, `l[-1]`); method names are told apart by their first character, without the regex. */
function isIndex(prop: string | symbol): prop is string {
  if (typeof prop !== "string") return false;
  const c = prop.charCodeAt(0);
  return ((c >= 48 && c <= 57) || c === 45) && kIndex.test(prop);
}
/** Properties JavaScript itself looks up on objects (promises, JSON, test frameworks): never keys. */
const kNotKeys = new Set(["then", "toJSON", "asymmetricMatch", "$$typeof", "nodeType", "inspect", "constructor", "length", "@@__IMMUTABLE_ITERABLE__@@", "@@__IMMUTABLE_RECORD__@@", "_isMockFunction"]);

/** A JavaScript Proxy around `p` (known to the forwarded methods: targets). */
function wrap<T extends BaseProxy>(p: T, handler: ProxyHandler<T>): T {
  const w = new Proxy(p, handler);
  targets.set(w, p);
  return w;
}

export function indexable<T extends BaseProxy>(p: T): T {
  return wrap(p, {
    get(t, prop, recv) {
      if (isIndex(prop)) return (recv as any).__getitem__(Number(prop));
      return Reflect.get(t, prop, recv);
    },
    set(t, prop, v, recv) {
      if (isIndex(prop)) {
        (recv as any).__setitem__(Number(prop), v);
        return true;
      }
      return Reflect.set(t, prop, v, recv);
    },
  });
}

export function keyed<T extends BaseProxy>(p: T): T {
  return wrap(p, {
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

export function attributes<T extends BaseProxy>(p: T): T {
  const local = (t: object, prop: string | symbol) => typeof prop !== "string" || prop.startsWith("_") || prop in t || kNotKeys.has(prop);
  return wrap(p, {
    get(t, prop, recv) {
      if (local(t, prop)) return Reflect.get(t, prop, recv);
      return t._callmethod("__getattribute__", [prop]);
    },
    set(t, prop, v, recv) {
      if (local(t, prop)) return Reflect.set(t, prop, v, recv);
      t._callmethod("__setattr__", [prop, v]);
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

/** Proxy types by class name, for proxies named in replies (managers/proxy_types.ts fills it). */
export const builtinProxies: Record<string, any> = {};
exported(AutoProxy, "AutoProxy");
exported(BaseProxy, "BaseProxy");

void TypeError;
void kCtlCells;
