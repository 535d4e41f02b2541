// Port of CPython Lib/multiprocessing/managers.py (PSF-2.0): BaseManager (register, start,
// connect, get_server, shutdown, join, address, `with`), SyncManager with every factory of
// CPython's, the proxies (managers/proxies.ts), Namespace, Value, Token and RemoteError.
// `Manager()` (context.ts) returns a started SyncManager.
// Differs from Python: the server is a process of the tree (a worker thread, started with the
// context's start method), reached through rings in shared memory instead of a socket; the
// request and reply shapes are CPython's (managers/wire.ts), so a later server on a socket can
// reuse the dispatch (managers/server.ts).

import { randomBytes } from "node:crypto";
import { isMainThread, threadId } from "node:worker_threads";
import { publishEnv } from "./shared/envdata.js";
import { Channel } from "./shared/channel.js";
import { PyObject } from "./shared/pyobject.js";
import { AssertionError, AttributeError, EOFError, OSError, TypeError, ValueError } from "./shared/pyerrors.js";
import { kGlobalRef } from "./shared/reduction.js";
import { callerUrl, esmDistUrl } from "./shared/location.js";
import { waitWhile } from "./shared/semlock.js";
import { ProcessError } from "./errors.js";
import { get_context } from "./context.js";
import { addressOf, atExit } from "./shared/current.js";
import { knownCallables, ManagerConnection, kCtlCells, kCtlState, rendezvousName, ServerState } from "./managers/connection.js";
import { AutoProxy, BaseProxy, convertToError, MakeProxyType, type ProxyOptions } from "./managers/proxies.js";
import {
  AcquirerProxy, ArrayProxy, BarrierProxy, BaseListProxy, ConditionProxy, DictProxy, EventProxy, IteratorProxy, ListProxy, NamespaceProxy, PoolProxy, ValueProxy,
  type QueueProxy,
} from "./managers/proxy_types.js";
import { kReturn, Token } from "./managers/wire.js";
import { factorySignature, type FACTORIES } from "./managers/signatures.js";
import type { Bound } from "./shared/binder.js";
import type { POOL_INIT } from "./pool/pool.js";
import { Namespace, StdQueue, Value } from "./managers/referents.js";
import { connectionFor, publishAlias, RemoteConnection } from "./managers/remote_client.js";
import "./managers/remote_proxies.js"; // proxies inside values on a socket (RebuildProxy)
import { checkSerializer, isInetAddress, type InetAddress } from "./managers/remote_wire.js";
import { Listener } from "./connection/listener.js";
import { tuple } from "./shared/format.js";

export { RemoteError } from "./errors.js";
export {
  AcquirerProxy, ArrayProxy, AutoProxy, BarrierProxy, BaseListProxy, BaseProxy, ConditionProxy, DictProxy, EventProxy, IteratorProxy, ListProxy,
  MakeProxyType, NamespaceProxy, PoolProxy, ValueProxy, Token, Namespace, Value,
};
export type { ProxyOptions, QueueProxy };
/**
 * Python's `queue.Queue(maxsize=0)` as a manager's server holds it (the referent behind
 * SyncManager.Queue): what "Using a remote manager" serves with `register("get_queue", () => queue)`.
 * Its blocking get()/put() return promises, which the server parks without blocking other clients.
 */
export { StdQueue };
export type { InetAddress } from "./managers/remote_wire.js";

const esmDir = esmDistUrl(callerUrl(), 0);
/** Bytes of a manager's request ring. */
const kRequestRing = 1 << 20;

/** The server's entry point, found by the manager's process in worker/manager_server.js. */
function run_server(): void {
  throw new Error("run_server runs only in a manager's process");
}
Object.defineProperty(run_server, kGlobalRef, { value: { module: esmDir + "worker/manager_server.js", path: "run_server" }, enumerable: false });

/** The states of a manager: CPython's `managers.State`. */
export const State = { INITIAL: 0, STARTED: 1, SHUTDOWN: 2 } as const;

/** What makes a registered type's objects: an exported function or class (constructed with `new`). */
export type ManagerCallable = ((...args: any[]) => unknown) | (new (...args: any[]) => unknown);

/** What `register()` records for a typeid. */
export interface RegistryEntry {
  callable: ManagerCallable | string | null;
  exposed: readonly string[] | null;
  method_to_typeid: Record<string, string> | null;
  proxytype: any;
}

/** Keyword arguments of `register()`. */
export interface RegisterOptions {
  /** The class of the proxies (default AutoProxy). */
  proxytype?: any;
  /** Method names the proxies may call (default: the proxytype's `_exposed_`, else the referent's public methods). */
  exposed?: readonly string[] | null;
  /** Methods whose results are shared objects of these typeids (returned as proxies). */
  method_to_typeid?: Record<string, string> | null;
  /** Whether to add a method `typeid` to the manager (default true). */
  create_method?: boolean;
}

/** Keyword arguments of BaseManager. */
export interface ManagerOptions {
  /**
   * Where the server is: `[host, port]` serves (start, get_server) or reaches (connect) it on a
   * socket, speaking CPython's protocol (port 0: any free port); null or a name: in this process tree only.
   */
  address?: string | InetAddress | null;
  authkey?: Uint8Array | null;
  serializer?: "pickle" | "xmlrpclib";
  ctx?: any;
  /** Seconds `shutdown()` waits for the server before terminating it (default 1.0). */
  shutdown_timeout?: number;
}

let managerCount = 0;

/** Managers started by this thread and not shut down yet. */
const liveManagers = new Set<BaseManager>();
function shutdownAll(): void {
  for (const m of [...liveManagers]) {
    try {
      m.shutdown();
    } catch {
      // exiting: nothing more to do for it
    }
  }
}
// Registered when this module loads, so before the exit hook that joins the children
// (context.ts installs that one after its imports): CPython's _run_finalizers(0) comes first too.
if (isMainThread) {
  process.on("beforeExit", shutdownAll);
  process.on("exit", shutdownAll);
} else {
  atExit(shutdownAll, 20);
}

/** Base class of managers: `class MyManager extends BaseManager {}` then `MyManager.register(typeid, callable)`. */
export class BaseManager extends PyObject implements Disposable {
  /** typeid → what register() recorded (each subclass has its own copy). */
  static _registry: Record<string, RegistryEntry> = {};
  _address: string | InetAddress | null;
  _authkey: Uint8Array;
  _serializer: string;
  _ctx: any;
  _shutdown_timeout: number;
  _state = { value: State.INITIAL as number };
  /** The server's process, once started. */
  _process: any = null;
  #requests: SharedArrayBuffer | null = null;
  #control: Int32Array | null = null;
  /** The address of the rings (the address itself unless it is a socket's). */
  #ring: string | null = null;
  /** The socket connection of a manager connected to a server outside this process tree. */
  #remote: RemoteConnection | null = null;

  constructor(options: ManagerOptions = {}) {
    super();
    this._address = options.address ?? null;
    this._authkey = options.authkey ?? randomBytes(32);
    this._serializer = checkSerializer(options.serializer ?? "pickle");
    this._ctx = options.ctx ?? null;
    this._shutdown_timeout = options.shutdown_timeout ?? 1.0;
  }

  /**
   * Registers a type: `manager.<typeid>(...args)` will create a `callable(...args)` in the server and return a proxy.
   * @throws TypeError for a method_to_typeid key or value that is not a string
   */
  static register(typeid: string, callable: ManagerCallable | null = null, options: RegisterOptions = {}): void {
    if (!Object.hasOwn(this, "_registry")) this._registry = { ...this._registry };
    const proxytype = options.proxytype ?? AutoProxy;
    const exposed = options.exposed ?? proxytype._exposed_ ?? null;
    const m2t = options.method_to_typeid ?? proxytype._method_to_typeid_ ?? null;
    if (m2t) {
      for (const [k, v] of Object.entries(m2t)) {
        if (typeof k !== "string") throw new AssertionError(`${String(k)} is not a string`);
        if (typeof v !== "string") throw new AssertionError(`${String(v)} is not a string`);
      }
    }
    this._registry[typeid] = { callable, exposed, method_to_typeid: m2t, proxytype };
    if (typeof callable === "function") knownCallables.add(callable);
    if (options.create_method ?? true) {
      Object.defineProperty(this.prototype, typeid, {
        value: function (this: BaseManager, ...args: unknown[]) {
          return this._makeProxy(typeid, args);
        },
        writable: true, configurable: true, enumerable: false,
      });
      Object.defineProperty(this.prototype, `${typeid}_async`, {
        value: function (this: BaseManager, ...args: unknown[]) {
          return Promise.resolve().then(() => this._makeProxy(typeid, args));
        },
        writable: true, configurable: true, enumerable: false,
      });
    }
  }

  /** @internal creates a referent in the server and returns its proxy (CPython's `temp` in register). */
  _makeProxy(typeid: string, args: unknown[]): any {
    const [id, exposed] = this._create(typeid, ...args);
    const entry = (this.constructor as typeof BaseManager)._registry[typeid]!;
    const token = new Token(typeid, this._address as string, id);
    const options: ProxyOptions = { manager: this, authkey: this._authkey, exposed, incref: false };
    const pt = entry.proxytype;
    return pt === AutoProxy ? AutoProxy(token, this._serializer, options) : new pt(token, this._serializer, options);
  }

  /** The server's address. */
  get address(): string | InetAddress | null {
    return this._address;
  }

  #checkStartable(): void {
    if (this._state.value !== State.INITIAL) {
      if (this._state.value === State.STARTED) throw new ProcessError("Already started server");
      if (this._state.value === State.SHUTDOWN) throw new ProcessError("Manager has shut down");
      throw new ProcessError(`Unknown state ${this._state.value}`);
    }
  }

  /**
   * Spawns a server process for this manager object, running `initializer(...initargs)` first.
   * @throws ProcessError if already started or shut down; TypeError if `initializer` is not callable
   */
  start(initializer: ((...args: any[]) => unknown) | null = null, initargs: unknown[] = []): void {
    this.#checkStartable();
    if (initializer !== null && initializer !== undefined && typeof initializer !== "function") throw new TypeError("initializer must be a callable");
    const cls = this.constructor as typeof BaseManager;
    const inet = isInetAddress(this._address) ? this._address : null;
    const ringName = `mp-ts-manager-${process.pid}-${threadId}-${++managerCount}-${randomBytes(4).toString("hex")}`;
    if (!inet) this._address ??= ringName;
    this.#ring = inet ? ringName : (this._address as string);
    // A socket address: the server process listens there too (managers/remote_server.ts) and
    // stores the port it bound (or -errno) in this cell before it says it serves.
    const portCell = new Int32Array(new SharedArrayBuffer(8));
    this.#requests = Channel.create(kRequestRing, 1 << 20, 1).sab;
    this.#control = new Int32Array(new SharedArrayBuffer(4 * kCtlCells));
    const registry: Record<string, [unknown, readonly string[] | null, Record<string, string> | null]> = {};
    for (const [typeid, e] of Object.entries(cls._registry)) registry[typeid] = [e.callable, e.exposed, e.method_to_typeid];
    const ctx = this._ctx ?? get_context();
    const listen = inet ? { host: inet[0], port: inet[1], authkey: this._authkey, serializer: this._serializer as "pickle", backlog: 16, cell: portCell } : undefined;
    const spec = { address: this.#ring, registry, requests: this.#requests, control: this.#control, listen };
    const Proc = ctx?.Process;
    if (!Proc) throw new ValueError("no context to start the manager's process with: pass { ctx: multiprocessing.get_context() }");
    this._process = new Proc({ target: run_server, args: [spec, initializer ?? null, initargs ?? []] });
    this._process.name = `${cls.name}-${String(this._process.name).replace(/^.*-/, "")}`;
    // A manager still running when its process exits is shut down first (CPython's finalizer
    // with exitpriority 0); daemonic, so that an exit that skips that hook cannot wait on it.
    this._process.daemon = true;
    this._process.start();
    liveManagers.add(this);
    // As CPython reads the server's address from a pipe: wait until it serves (or dies). The
    // state is re-read before each sleep and waitWhile sleeps only while it is unchanged, so a
    // store + notify between our read and our sleep is not missed; the 50 ms slices notice a
    // server process that died before it could store anything.
    for (;;) {
      const s = Atomics.load(this.#control, kCtlState);
      if (s !== ServerState.starting) break;
      if (this._process.exitcode !== null) this.#startFailed(portCell);
      waitWhile(this.#control, kCtlState, s, 50);
    }
    if (Atomics.load(this.#control, kCtlState) !== ServerState.serving) this.#startFailed(portCell);
    this.#connect();
    publishEnv(rendezvousName(this.#ring), { requests: this.#requests, control: this.#control });
    if (inet) {
      this._address = tuple(inet[0], Atomics.load(portCell, 0)) as unknown as InetAddress;
      // Children of this tree reach the server through its rings, by the socket address too.
      publishAlias(this._address, this.#ring);
    }
    this._state.value = State.STARTED;
  }

  /** Async twin of `start()`: waits for the server without blocking the event loop. */
  async start_async(initializer: ((...args: any[]) => unknown) | null = null, initargs: unknown[] = []): Promise<void> {
    this.start(initializer, initargs);
  }

  /** The server process ended before serving: its bind error (OSError), else EOFError. */
  #startFailed(portCell: Int32Array): never {
    this._process.join(1);
    liveManagers.delete(this);
    const errno = -Atomics.load(portCell, 0);
    if (errno > 0) {
      const text: Record<number, string> = { 98: "Address already in use", 99: "Cannot assign requested address", 13: "Permission denied" };
      throw new OSError(errno, text[errno] ?? `error ${errno} binding ${JSON.stringify(this._address)}`);
    }
    throw new EOFError();
  }

  #connect(): ManagerConnection {
    const conn = ManagerConnection.get(this.#ring!, { requests: this.#requests!, control: this.#control! })!;
    for (const [typeid, e] of Object.entries((this.constructor as typeof BaseManager)._registry)) conn.proxytypes[typeid] ??= e.proxytype;
    return conn;
  }

  /**
   * Connects this manager object to the server process of the manager at `address` (started in
   * this process tree and known to this thread).
   * @throws OSError when no manager is known at the address
   */
  connect(): void {
    if (isInetAddress(this._address)) {
      const c = connectionFor(this._address, { authkey: this._authkey, serializer: this._serializer });
      if (c instanceof RemoteConnection) {
        // CPython's connect(): a 'dummy' request checks the address and the authkey.
        const [kind, result] = c.call(null, "dummy");
        if (kind !== kReturn) throw convertToError(kind, result);
        for (const [typeid, e] of Object.entries((this.constructor as typeof BaseManager)._registry)) c.proxytypes[typeid] ??= e.proxytype;
        this.#remote = c;
        this._state.value = State.STARTED;
        return;
      }
      this.#ring = c!.address;
    } else this.#ring = this._address;
    const conn = this.#ring ? ManagerConnection.get(this.#ring) : undefined;
    if (!conn) throw new OSError(`no manager is serving at ${this._address} in this process tree`);
    this.#requests = conn.requests.sab;
    this.#control = conn.control;
    this.#connect();
    this._state.value = State.STARTED;
  }

  /**
   * Returns a Server object for this manager; its `serve_forever()` serves on a new process
   * of the tree (Differs from Python: not on the calling thread, which must stay free to block).
   * @throws ProcessError if already started or shut down
   */
  get_server(): { address: string | InetAddress | null; listener?: Listener; serve_forever(): void } {
    this.#checkStartable();
    if (isInetAddress(this._address)) {
      // As CPython's Server(): the address is bound now (port 0 picks one); serve_forever() hands
      // it to the server process (closed here, bound again there at once).
      const listener = new Listener(this._address, "AF_INET", 16, this._authkey);
      const address = listener.address as InetAddress;
      return {
        address,
        listener,
        serve_forever: () => {
          listener.close();
          this._address = address;
          this.start();
          this.join();
        },
      };
    }
    return {
      address: this._address,
      serve_forever: () => {
        this.start();
        this.join();
      },
    };
  }

  /** @internal `(id, exposed)` of a new referent of `typeid` made in the server. */
  _create(typeid: string, ...args: unknown[]): [string, string[]] {
    if (this._state.value !== State.STARTED) throw new AssertionError("server not yet started");
    const conn = this.#conn();
    // A builtin typeid's trailing options object is Python's keywords (`Value({ typecode: "i",
    // value: 3 })`, `Namespace({ x: 1 })`), split off by its declaration (managers/signatures.ts);
    // the server binds them. A user's callable gets its arguments as given.
    const callable = (this.constructor as typeof BaseManager)._registry[typeid]?.callable;
    const s = typeof callable === "string" ? factorySignature(callable) : undefined;
    const [a, kwds] = s !== undefined ? s.split(args) : [args, null];
    const [kind, result] = conn.call(null, "create", [typeid, ...a], kwds);
    if (kind !== kReturn) throw convertToError(kind, result);
    return result as [string, string[]];
  }

  #conn(): ManagerConnection | RemoteConnection {
    if (this.#remote) return this.#remote;
    return ManagerConnection.get(this.#ring!, { requests: this.#requests!, control: this.#control! })!;
  }

  /** The number of shared objects (for debugging). */
  _number_of_objects(): number {
    const [kind, result] = this.#conn().call(null, "number_of_objects");
    if (kind !== kReturn) throw convertToError(kind, result);
    return result as number;
  }

  /** A description of the shared objects (for debugging). */
  _debug_info(): string {
    const [kind, result] = this.#conn().call(null, "debug_info");
    if (kind !== kReturn) throw convertToError(kind, result);
    return result as string;
  }

  /**
   * Joins the manager's process, up to `timeout` seconds.
   */
  join(timeout: number | null = null): void {
    if (this._process !== null) this._process.join(timeout);
  }

  /**
   * Stops the manager's process (idempotent): asks the server to shut down, waits
   * `shutdown_timeout` seconds, then terminates it.
   * @throws AttributeError before `start()` (Python's manager has no `shutdown` until then)
   */
  shutdown(): void {
    if (this._process === null) throw new AttributeError(`'${this.constructor.name}' object has no attribute 'shutdown'`);
    if (this._state.value === State.SHUTDOWN) return;
    const conn = this.#conn();
    if (this._process.is_alive() && !conn.serverGone) {
      try {
        conn.call(null, "shutdown");
      } catch {
        // the server may already have gone
      }
      this._process.join(this._shutdown_timeout);
      if (this._process.is_alive()) {
        this._process.terminate();
        this._process.join(this._shutdown_timeout);
        if (this._process.is_alive()) {
          this._process.kill();
          this._process.join();
        }
      }
    }
    // Stored even when the server stored it itself (it may have been terminated first): clients
    // blocked on a reply look at it between slices of their sleep, so none waits forever.
    Atomics.store(this.#control!, kCtlState, ServerState.stopped);
    Atomics.notify(this.#control!, kCtlState);
    ManagerConnection.forget(this.#ring!);
    publishEnv(rendezvousName(this.#ring!), undefined);
    if (isInetAddress(this._address)) {
      publishAlias(this._address, null);
      RemoteConnection.forget(this._address);
    }
    liveManagers.delete(this);
    this._state.value = State.SHUTDOWN;
  }

  /** Async twin of `shutdown()`. */
  async shutdown_async(): Promise<void> {
    this.shutdown();
  }

  /** Python's `__enter__`: starts the manager if needed, returns it. */
  __enter__(): this {
    if (this._state.value === State.INITIAL) this.start();
    if (this._state.value !== State.STARTED) {
      if (this._state.value === State.SHUTDOWN) throw new ProcessError("Manager has shut down");
      throw new ProcessError(`Unknown state ${this._state.value}`);
    }
    return this;
  }
  /** Python's `__exit__`: shuts the manager down. */
  __exit__(): void {
    this.shutdown();
  }
  /** `with manager as m:` — runs `fn(m)`, then shuts down (after the promise settles if `fn` returns one). */
  with<T>(fn: (m: this) => T): T {
    const m = this.__enter__();
    let r: T;
    try {
      r = fn(m);
    } catch (e) {
      this.shutdown();
      throw e;
    }
    if (r !== null && typeof r === "object" && typeof (r as any).then === "function") {
      return (r as any).then((v: unknown) => (this.shutdown(), v), (e: unknown) => {
        this.shutdown();
        throw e;
      });
    }
    this.shutdown();
    return r;
  }
  [Symbol.dispose](): void {
    if (this._process !== null) this.shutdown();
  }

  __repr__(): string {
    return `<${this.constructor.name} object at ${addressOf(this)}>`;
  }
}

type F = typeof FACTORIES;

/** A manager with every type of CPython's SyncManager; what `Manager()` returns, started. */
export class SyncManager extends BaseManager {
  static override _registry: Record<string, RegistryEntry> = {};
}
// Each factory takes its Python signature's arguments (managers/signatures.ts): positionally, or
// the rest as one trailing options object (`Value({ typecode: "i", value: 3 })`).
export interface SyncManager {
  /** A shared `queue.Queue(maxsize=0)`. */
  Queue<T = any>(...args: Bound<F["Queue"]>): QueueProxy<T>;
  /** A shared `queue.Queue(maxsize=0)` (with task_done and join). */
  JoinableQueue<T = any>(...args: Bound<F["JoinableQueue"]>): QueueProxy<T>;
  /** A shared `threading.Event()`. */
  Event(...args: Bound<F["Event"]>): EventProxy;
  /** A shared `threading.Lock()`. */
  Lock(...args: Bound<F["Lock"]>): AcquirerProxy;
  /** A shared `threading.RLock()` (which, as CPython's, ignores any argument). */
  RLock(...args: unknown[]): AcquirerProxy;
  /** A shared `threading.Semaphore(value=1)`. */
  Semaphore(...args: Bound<F["Semaphore"]>): AcquirerProxy;
  /** A shared `threading.BoundedSemaphore(value=1)`. */
  BoundedSemaphore(...args: Bound<F["BoundedSemaphore"]>): AcquirerProxy;
  /** A shared `threading.Condition(lock=None)` (over an RLock, or the manager Lock/RLock given). */
  Condition(...args: Bound<F["Condition"]>): ConditionProxy;
  /** A shared `threading.Barrier(parties, action=None, timeout=None)`. */
  Barrier(...args: Bound<F["Barrier"]>): BarrierProxy;
  /** A process pool living in the server: `Pool(processes=None, initializer=None, initargs=(), maxtasksperchild=None)`. */
  Pool(...args: Bound<typeof POOL_INIT>): PoolProxy;
  /** A shared list: `list()`, `list(iterable)` (a dict gives its keys, as in Python). */
  list<T = any>(sequence?: Iterable<T> | Record<string, unknown>): ListProxy;
  /** A shared dict: `dict()`, `dict(mapping)`, `dict(pairs)`, `dict({ k: v })`, `dict(pairs, { k: v })`. */
  dict(...args: unknown[]): DictProxy;
  /** A shared `managers.Value(typecode, value, lock=True)` (no type checking, `lock` ignored, as in CPython). */
  Value(...args: Bound<F["Value"]>): ValueProxy;
  /** A shared `array.array`: `Array(typecode, sequence, lock=True)`. */
  Array(...args: Bound<F["Array"]>): ArrayProxy;
  /** A shared `managers.Namespace`: `Namespace({ a: 1 })`. */
  Namespace(kwds?: Record<string, unknown>): NamespaceProxy;
  [typeid: string]: any;
}

SyncManager.register("Queue", "builtin:Queue" as any);
SyncManager.register("JoinableQueue", "builtin:JoinableQueue" as any);
SyncManager.register("Event", "builtin:Event" as any, { proxytype: EventProxy });
SyncManager.register("Lock", "builtin:Lock" as any, { proxytype: AcquirerProxy });
SyncManager.register("RLock", "builtin:RLock" as any, { proxytype: AcquirerProxy });
SyncManager.register("Semaphore", "builtin:Semaphore" as any, { proxytype: AcquirerProxy });
SyncManager.register("BoundedSemaphore", "builtin:BoundedSemaphore" as any, { proxytype: AcquirerProxy });
SyncManager.register("Condition", "builtin:Condition" as any, { proxytype: ConditionProxy });
SyncManager.register("Barrier", "builtin:Barrier" as any, { proxytype: BarrierProxy });
SyncManager.register("Pool", "builtin:Pool" as any, { proxytype: PoolProxy });
SyncManager.register("list", "builtin:list" as any, { proxytype: ListProxy });
SyncManager.register("dict", "builtin:dict" as any, { proxytype: DictProxy });
SyncManager.register("Value", "builtin:Value" as any, { proxytype: ValueProxy });
SyncManager.register("Array", "builtin:Array" as any, { proxytype: ArrayProxy });
SyncManager.register("Namespace", "builtin:Namespace" as any, { proxytype: NamespaceProxy });
// Types of objects returned by methods of the others:
SyncManager.register("Iterator", null, { proxytype: IteratorProxy, create_method: false });
SyncManager.register("AsyncResult", null, { create_method: false });
