// Port of CPython's Lib/multiprocessing/managers.py `Server` (PSF-2.0): the objects a manager
// shares, their reference counts, and the dispatch of `(ident, methodname, args, kwds)` requests
// by method name to `('#RETURN', v)` / `('#ERROR', e)` / `('#TRACEBACK', tb)` /
// `('#PROXY', (exposed, token))` replies. Requests with `ident === null` are the server's own
// methods (create, incref, decref, shutdown, ...), as CPython's `dispatch(conn, None, ...)`.
// Differs from Python: one thread with an event loop serves every client; a call whose result is
// a Promise (a blocking acquire/get/wait) is parked and answered when it settles, so it blocks
// only its own client. The transport (rings in shared memory) is the caller's: `handle()` takes a
// decoded request and returns the reply, so a socket speaking pickle can drive the same server.

import { repr, str } from "../shared/format.js";
import { callerUrl, esmDistUrl } from "../shared/location.js";
import { formatException } from "../shared/traceback.js";
import { AttributeError, KeyError, StopIteration, ValueError } from "../shared/pyerrors.js";
import { caller, kReferent, setCaller } from "./referents.js";
import { bindCall, referentSignature, type factorySignature } from "./signatures.js";
import { dictMethods, listMethods } from "./containers.js";
import { kReduceType } from "../shared/reduction.js";
import { flattenException, kProxyType, kError, kProxy, kReturn, kTraceback, Token, type ReplyKind } from "./wire.js";

/** What the server knows of a typeid: the callable making its referents (null: the object is the argument), exposed names, method → typeid. */
export interface ServerEntry {
  callable: ((...args: any[]) => unknown) | null;
  exposed: string[] | null;
  method_to_typeid: Record<string, string> | null;
}

/** A reference to one of this server's own objects, found inside a request (a proxy sent back to its server). */
export class LocalProxyRef {
  constructor(readonly state: Record<string, unknown>) {}
  /** Sent on as the proxy it arrived as (a client rebuilds a live proxy). */
  __reduce_state__(): Record<string, unknown> {
    return this.state;
  }
}
// Reduced with the proxies' reducer (managers/proxies.ts), which calls __reduce_state__().
Object.defineProperty(LocalProxyRef.prototype, kReduceType, { value: kProxyType, enumerable: false });
Object.defineProperty(LocalProxyRef.prototype, Symbol.for("multiprocessing-ts.picklable"), { value: kProxyType, enumerable: false });

type Reply = [ReplyKind, unknown];

const libraryDir = esmDistUrl(callerUrl(), 1);

/** Python's `public_methods(obj)`: callable attributes whose names do not start with '_'. */
export function publicMethods(obj: unknown): string[] {
  if (Array.isArray(obj)) return Object.keys(listMethods).filter((k) => !k.startsWith("_"));
  if (obj instanceof Map) return Object.keys(dictMethods).filter((k) => !k.startsWith("_"));
  const names = new Set<string>();
  for (let p: any = obj; p && p !== Object.prototype && p !== Function.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === "constructor" || k.startsWith("_") || k.startsWith("#")) continue;
      const d = Object.getOwnPropertyDescriptor(p, k);
      if (d && typeof d.value === "function") names.add(k);
    }
  }
  return [...names];
}

function isClass(fn: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** Calls a registered callable as Python would: classes are constructed. */
export function invoke(fn: (...a: any[]) => unknown, args: unknown[]): unknown {
  return isClass(fn) ? Reflect.construct(fn, args) : fn(...args);
}

function className(obj: unknown): string {
  if (Array.isArray(obj)) return "list";
  if (obj instanceof Map) return "dict";
  return (obj as any)?.constructor?.name ?? typeof obj;
}

/** The referent kind of `obj` (signatures.ts), if it is one of the builtin types. */
function kindOf(obj: any): string | undefined {
  if (Array.isArray(obj)) return "list";
  if (obj instanceof Map) return "dict";
  return obj?.[kReferent];
}

/**
 * Binds a request's `(args, kwds)` as Python would call the referent's method: against its
 * declared signature (signatures.ts) for the builtin types; for a user's JavaScript method, the
 * keywords as one trailing object (how it takes them).
 */
function bind(obj: unknown, name: string, args: unknown[], kwds: Record<string, unknown> | null): unknown[] {
  const s = referentSignature(kindOf(obj), name);
  if (s !== undefined) return bindCall(s, args, kwds);
  if (!kwds || Object.keys(kwds).length === 0) return args;
  return [...args, kwds];
}

/**
 * What a builtin typeid's callable carries: its signature (signatures.ts factorySignature), or
 * "raw" for one that takes the request's `(args, kwds)` and binds them itself.
 */
export const kFactory = Symbol.for("multiprocessing-ts.managers.factory");
type Factory = { [kFactory]?: ReturnType<typeof factorySignature> | "raw" };

/** Calls `name` on a referent (list and dict methods through their tables). */
function callMethod(obj: any, name: string, args: unknown[], kwds: Record<string, unknown> | null): unknown {
  if (Array.isArray(obj)) {
    const m = listMethods[name];
    if (!m) throw new AttributeError(`'list' object has no attribute '${name}'`);
    return m(obj, ...bind(obj, name, args, kwds));
  }
  if (obj instanceof Map) {
    const m = dictMethods[name];
    if (!m) throw new AttributeError(`'dict' object has no attribute '${name}'`);
    return m(obj, ...bind(obj, name, args, kwds));
  }
  const fn = obj?.[name];
  if (typeof fn === "function") return fn.apply(obj, bind(obj, name, args, kwds));
  if (name === "__next__" && typeof obj?.next === "function") {
    // A JS iterator or generator behind an IteratorProxy: Python's __next__ / StopIteration.
    const r = obj.next(...args);
    if (r && typeof r.then === "function") return r.then((x: IteratorResult<unknown>) => {
      if (x.done) throw new StopIteration();
      return x.value;
    });
    if (r.done) throw new StopIteration();
    return r.value;
  }
  if (name === "send" && typeof obj?.next === "function") return callMethod(obj, "__next__", args, null);
  if (name === "close" && typeof obj?.return === "function") return (obj.return(), null);
  if (name === "__getattribute__" && typeof args[0] === "string" && args[0] in Object(obj)) return obj[args[0]];
  throw new AttributeError(`'${className(obj)}' object has no attribute '${name}'`);
}

/** Fallbacks every referent has (CPython's Server.fallback_mapping). */
const fallback: Record<string, (obj: unknown) => unknown> = {
  __str__: (obj) => str(obj),
  __repr__: (obj) => repr(obj),
  "#GETVALUE": (obj) => obj,
};

/** What a transport may add around the server (manager_server.ts: managers/shared_referents.ts). */
export interface ServerHooks {
  /** A referent was registered under `ident`. */
  registered?(ident: string, typeid: string, obj: unknown, exposed: string[]): void;
  /** A call on `ident` begins; returns what to run once it has returned (or raised). */
  enter?(ident: string, methodname: string): (() => void) | undefined;
  /** The referent `ident` is no longer counted (decref to zero). */
  released?(ident: string): void;
}

/** A manager's server: its shared objects and how requests act on them. */
export class Server {
  /** Set by the transport. */
  hooks: ServerHooks = {};
  readonly address: string;
  readonly registry: Record<string, ServerEntry>;
  readonly idToObj = new Map<string, [unknown, Set<string>, Record<string, string> | null]>();
  readonly idToRefcount = new Map<string, number>();
  readonly idToLocalProxyObj = new Map<string, [unknown, Set<string>, Record<string, string> | null]>();
  #nextId = 1;
  /** Set by a 'shutdown' request. */
  stopping = false;

  constructor(registry: Record<string, ServerEntry>, address: string) {
    this.registry = registry;
    this.address = address;
  }

  /** Answers one request `(ident, methodname, args, kwds)` from client `conn`; a Promise if the call parks. */
  handle(conn: number, ident: string | null, methodname: string, args: unknown[], kwds: Record<string, unknown> | null): Reply | Promise<Reply> {
    setCaller(conn);
    try {
      if (ident === null) return this.#public(methodname, args, kwds);
      return this.#serve(ident, methodname, args, kwds);
    } catch (e) {
      return [kTraceback, formatException(e, libraryDir)];
    }
  }

  #public(methodname: string, args: unknown[], kwds: Record<string, unknown> | null): Reply | Promise<Reply> {
    switch (methodname) {
      case "create": {
        const [typeid, ...rest] = args as [string, ...unknown[]];
        const made = this.create(typeid, rest, kwds);
        if (made instanceof Promise) return made.then((r) => [kReturn, r] as Reply, (e) => [kTraceback, formatException(e, libraryDir)] as Reply);
        return [kReturn, made];
      }
      case "incref":
        this.incref(args[0] as string);
        return [kReturn, null];
      case "decref":
        this.decref(args[0] as string);
        return [kReturn, null];
      case "shutdown":
        this.stopping = true;
        return [kReturn, null];
      case "number_of_objects":
        return [kReturn, this.idToRefcount.size];
      case "debug_info":
        return [kReturn, [...this.idToRefcount].map(([id, n]) => `  ${id}:       refcount=${n}\n    ${repr(this.idToObj.get(id)?.[0]).slice(0, 75)}`).join("\n")];
      case "get_methods": {
        const token = args[0] as Token;
        return [kReturn, [...this.#lookup(token.id)[1]]];
      }
      case "dummy":
        return [kReturn, null];
    }
    throw new AttributeError(`'Server' object has no attribute '${methodname}'`);
  }

  #lookup(ident: string): [unknown, Set<string>, Record<string, string> | null] {
    const e = this.idToObj.get(ident) ?? this.idToLocalProxyObj.get(ident);
    if (!e) throw new KeyError(ident);
    return e;
  }

  #serve(ident: string, methodname: string, args: unknown[], kwds: Record<string, unknown> | null): Reply | Promise<Reply> {
    const entry = this.#lookup(ident);
    const exit = this.hooks.enter?.(ident, methodname);
    try {
      return this.#serveEntry(entry, methodname, args, kwds);
    } finally {
      exit?.();
    }
  }

  #serveEntry([obj, exposed, gettypeid]: [unknown, Set<string>, Record<string, string> | null], methodname: string, args: unknown[], kwds: Record<string, unknown> | null): Reply | Promise<Reply> {
    if (!exposed.has(methodname)) {
      const f = fallback[methodname];
      if (f) return [kReturn, f(obj)];
      const cls = (obj as any)?.constructor;
      throw new AttributeError(`method '${methodname}' of <class '__main__.${cls?.name ?? className(obj)}'> object is not in exposed=${repr(new Set(exposed))}`);
    }
    const typeid = gettypeid?.[methodname];
    let res: unknown;
    try {
      res = callMethod(obj, methodname, args, kwds);
    } catch (e) {
      return [kError, flattenException(e)];
    }
    if (res instanceof Promise) return res.then((r) => this.#result(typeid, r), (e) => [kError, flattenException(e)] as Reply);
    return this.#result(typeid, res);
  }

  /** The reply carrying a method's result: the value, or a proxy of it when the method has a typeid. */
  #result(typeid: string | undefined, res: unknown): Reply {
    if (!typeid) return [kReturn, res];
    const [rident, rexposed] = this.#register(typeid, res);
    return [kProxy, [rexposed, new Token(typeid, this.address, rident)]];
  }

  /** Python's `Server.create`: makes a referent of `typeid`, refcount 1 (owned by the proxy the client makes). */
  create(typeid: string, args: unknown[], kwds: Record<string, unknown> | null): [string, string[]] | Promise<[string, string[]]> {
    const entry = this.registry[typeid];
    if (!entry) throw new KeyError(typeid);
    let obj: unknown;
    if (entry.callable === null) {
      if ((kwds && Object.keys(kwds).length) || args.length !== 1) throw new ValueError("Without callable, must have one non-keyword argument");
      obj = args[0];
    } else {
      const s = (entry.callable as Factory)[kFactory];
      if (s === "raw") obj = entry.callable(args, kwds);
      else obj = invoke(entry.callable, s !== undefined ? bindCall(s, args, kwds) : kwds && Object.keys(kwds).length ? [...args, kwds] : args);
    }
    if (obj instanceof Promise) return obj.then((o) => this.#register(typeid, o));
    return this.#register(typeid, obj);
  }

  #register(typeid: string, obj: unknown): [string, string[]] {
    const entry = this.registry[typeid];
    let exposed = entry?.exposed ?? publicMethods(obj);
    const m2t = entry?.method_to_typeid ?? null;
    if (m2t) exposed = [...exposed, ...Object.keys(m2t).filter((k) => !exposed.includes(k))];
    const ident = (this.#nextId++).toString(16).padStart(12, "7f00");
    this.idToObj.set(ident, [obj, new Set(exposed), m2t]);
    this.idToRefcount.set(ident, 1);
    this.hooks.registered?.(ident, typeid, obj, exposed);
    return [ident, exposed];
  }

  /** Python's `Server.incref` (re-enabling tracking of an object only a stored proxy still names). */
  incref(ident: string): void {
    const n = this.idToRefcount.get(ident);
    if (n !== undefined) {
      this.idToRefcount.set(ident, n + 1);
      return;
    }
    const local = this.idToLocalProxyObj.get(ident);
    if (!local) throw new KeyError(ident);
    this.idToRefcount.set(ident, 1);
    this.idToObj.set(ident, local);
  }

  /** Python's `Server.decref`: the object goes when no process holds a proxy to it. */
  decref(ident: string): void {
    const n = this.idToRefcount.get(ident);
    if (n === undefined) {
      if (this.idToLocalProxyObj.has(ident)) return;
      throw new KeyError(ident);
    }
    if (n <= 1) {
      this.hooks.released?.(ident);
      this.idToRefcount.delete(ident);
      this.idToObj.delete(ident);
    } else {
      this.idToRefcount.set(ident, n - 1);
    }
  }

  /** A proxy of this server arriving inside a request: stands for its referent, which it keeps alive. */
  localRef(state: Record<string, unknown>): LocalProxyRef {
    const id = state.id as string;
    if (!this.idToLocalProxyObj.has(id)) {
      const e = this.idToObj.get(id);
      if (e) this.idToLocalProxyObj.set(id, e);
    }
    return new LocalProxyRef(state);
  }

  /** The referent a LocalProxyRef names (a Condition's lock). */
  resolve(v: unknown): unknown {
    if (v instanceof LocalProxyRef) return this.#lookup(v.state.id as string)[0];
    return v;
  }

  /** The client the current call runs for. */
  get caller(): number {
    return caller();
  }
}
