// Port of CPython Lib/multiprocessing/context.py (PSF-2.0): one factory per public class, the
// default context that the module-level names come from, and the "spawn" and "forkserver"
// contexts. Differs from Python: there is no "fork"; "forkserver" reuses warm workers.

import { availableParallelism } from "node:os";
import { callable } from "./shared/callable.js";
import { RuntimeError, ValueError, NotImplementedError, TypeError } from "./shared/pyerrors.js";
import * as synchronize from "./synchronize.js";
import * as sharedctypes from "./sharedctypes.js";
import * as queues from "./queues.js";
import * as connection from "./connection.js";
import * as pool from "./pool.js";
import * as managers from "./managers.js";
import {
  BaseProcess, Process, active_children, current_process, parent_process, is_main, _installMainExit, _setDefaultMethodResolver, _setStartMethodForcer,
  type ProcessArgs,
  type ProcessOptions,
  type ProcessPositionalArgs,
} from "./process.js";
import { startMethods } from "./popen/index.js";
import { as, callableValue, noArgs, p, sig, type Bound } from "./shared/binder.js";
import * as cv from "./shared/convert.js";
import { CONTEXT_POOL } from "./pool/pool.js";

export {
  ProcessError, BufferTooShort, TimeoutError, AuthenticationError, BrokenBarrierError, Empty, Full, RemoteError,
} from "./errors.js";
export { current_process, parent_process, active_children, is_main, BaseProcess, Process } from "./process.js";
export type { ProcessOptions } from "./process.js";

type AnyFn = (...args: any[]) => unknown;

// --- signatures (shared/binder.ts) of the context's factories and functions ----------------------

const m = { method: true } as const;
const CONDITION = sig("BaseContext.Condition", [p("lock", as<synchronize.Lock | null>(), { default: null })], m);
const SEMAPHORE = sig("BaseContext.Semaphore", [p("value", cv.cInt, { default: 1 })], m);
const BOUNDED_SEMAPHORE = sig("BaseContext.BoundedSemaphore", [p("value", cv.cInt, { default: 1 })], m);
const BARRIER = sig("BaseContext.Barrier", [
  p("parties", as<number>()),
  p("action", as<synchronize.BarrierAction | null>(), { default: null, object: callableValue }),
  p("timeout", as<number | null>(), { default: null }),
], m);
const capacity = () => p("capacity", as<number | undefined>(), { kind: "keyword-only", default: undefined });
const QUEUE = sig("BaseContext.Queue", [p("maxsize", cv.queueMaxsize, { default: 0 }), capacity()], m);
const JOINABLE_QUEUE = sig("BaseContext.JoinableQueue", [p("maxsize", cv.queueMaxsize, { default: 0 }), capacity()], m);
const SIMPLE_QUEUE = sig("BaseContext.SimpleQueue", [capacity()], m);
const PIPE = sig("BaseContext.Pipe", [p("duplex", as<boolean>(), { default: true }), capacity()], m);
const typecode = () => p("typecode_or_type", as<sharedctypes.Typecode | sharedctypes.CTypeRef>());
const VALUE = sig("BaseContext.Value", [typecode(), p("args", null, { kind: "var-positional" }), p("lock", as<unknown>(), { kind: "keyword-only", default: true })], m);
const RAW_VALUE = sig("BaseContext.RawValue", [typecode(), p("args", null, { kind: "var-positional" })], m);
const ARRAY = sig("BaseContext.Array", [typecode(), p("size_or_initializer", cv.sizeOrInitializer), p("lock", as<unknown>(), { kind: "keyword-only", default: true })], m);
const RAW_ARRAY = sig("BaseContext.RawArray", [typecode(), p("size_or_initializer", cv.sizeOrInitializer)], m);
const GET_CONTEXT = sig("DefaultContext.get_context", [p("method", as<string | null>(), { default: null })], m);
const GET_START_METHOD = sig("DefaultContext.get_start_method", [p("allow_none", cv.truthy, { default: false })], m);
const SET_START_METHOD = sig("DefaultContext.set_start_method", [p("method", as<string | null>()), p("force", cv.truthy, { default: false })], m);

/** A factory callable with or without `new`. */
type Factory<A extends unknown[], T> = { (...args: A): T; new (...args: A): T; readonly prototype: T };

/**
 * A process started with the "spawn" start method: a fresh worker thread, used once.
 * Differs from Python: from the second start() on, the next worker is booted ahead of time (library
 * loaded, none of the program's modules imported), so that a later start() skips the boot.
 */
export class SpawnProcess<F extends AnyFn = AnyFn> extends BaseProcess<F> {
  constructor(...params: ProcessPositionalArgs<F>);
  constructor(options?: ProcessOptions<F>);
  constructor(...params: ProcessArgs<F>) {
    super(...(params as [ProcessOptions<F>]));
    this._setStartMethod("spawn");
  }
}

/** A process started with the "forkserver" start method: a warm, pre-booted worker. */
export class ForkServerProcess<F extends AnyFn = AnyFn> extends BaseProcess<F> {
  constructor(...params: ProcessPositionalArgs<F>);
  constructor(options?: ProcessOptions<F>);
  constructor(...params: ProcessArgs<F>) {
    super(...(params as [ProcessOptions<F>]));
    this._setStartMethod("forkserver");
  }
}

/** Keyword arguments of `get_start_method()`. */
export interface GetStartMethodOptions {
  allow_none?: boolean;
}

/** The factories and helpers that every context offers (CPython's BaseContext). */
export class BaseContext {
  readonly #method: string | null;
  constructor(method: string | null) {
    this.#method = method;
  }

  /** Returns a context object that has the same attributes as the module. */
  get_context(...args: Bound<typeof GET_CONTEXT>): BaseContext {
    const [method] = GET_CONTEXT.bind(args);
    if (method === null) return this;
    return concreteContext(method);
  }

  /** The name of the start method this context uses. */
  get_start_method(...args: Bound<typeof GET_START_METHOD>): string | null {
    GET_START_METHOD.bind(args);
    return this.#method;
  }

  /** Concrete contexts cannot change their start method. */
  set_start_method(...args: Bound<typeof SET_START_METHOD>): void {
    SET_START_METHOD.bind(args);
    throw new ValueError("cannot set start method of concrete context");
  }

  /** Returns the start methods this platform offers, the default first. */
  get_all_start_methods(...none: []): string[] {
    noArgs("BaseContext.get_all_start_methods", none);
    return [...startMethods];
  }

  /** The number of CPUs in the system. */
  cpu_count(...none: []): number {
    noArgs("BaseContext.cpu_count", none);
    const n = availableParallelism();
    if (!n) throw new NotImplementedError("cannot determine number of cpus");
    return n;
  }

  /** Returns a non-recursive lock object. */
  Lock: Factory<[], synchronize.Lock> = callable(synchronize.Lock, (...a: unknown[]) => (noArgs("BaseContext.Lock", a), this.#fix(), new synchronize.Lock())) as any;
  /** Returns a recursive lock object. */
  RLock: Factory<[], synchronize.RLock> = callable(synchronize.RLock, (...a: unknown[]) => (noArgs("BaseContext.RLock", a), this.#fix(), new synchronize.RLock())) as any;
  /** Returns a condition object. */
  Condition: Factory<Bound<typeof CONDITION>, synchronize.Condition> = callable(synchronize.Condition, (...a: any[]) => {
    const [lock] = CONDITION.bind(a);
    this.#fix();
    return new synchronize.Condition(lock);
  }) as any;
  /** Returns a semaphore object. */
  Semaphore: Factory<Bound<typeof SEMAPHORE>, synchronize.Semaphore> = callable(synchronize.Semaphore, (...a: any[]) => {
    const [value] = SEMAPHORE.bind(a);
    this.#fix();
    return new synchronize.Semaphore(value);
  }) as any;
  /** Returns a bounded semaphore object. */
  BoundedSemaphore: Factory<Bound<typeof BOUNDED_SEMAPHORE>, synchronize.BoundedSemaphore> = callable(synchronize.BoundedSemaphore, (...a: any[]) => {
    const [value] = BOUNDED_SEMAPHORE.bind(a);
    this.#fix();
    return new synchronize.BoundedSemaphore(value);
  }) as any;
  /** Returns an event object. */
  Event: Factory<[], synchronize.Event> = callable(synchronize.Event, (...a: unknown[]) => (noArgs("BaseContext.Event", a), this.#fix(), new synchronize.Event())) as any;
  /** Returns a barrier object: `Barrier(parties, action?, timeout?)`, `Barrier(2, { timeout: 1 })`. */
  Barrier: Factory<Bound<typeof BARRIER>, synchronize.Barrier> = callable(synchronize.Barrier, (...a: any[]) => {
    const [parties, action, timeout] = BARRIER.bind(a);
    this.#fix();
    return new synchronize.Barrier(parties, action, timeout);
  }) as any;

  /** The Process class of this context. */
  Process: typeof BaseProcess = Process;
  /** Returns a synchronized shared object: `Value('i', 0)`, `Value('d', 1.5, { lock: false })`. */
  Value: typeof sharedctypes.value = named("Value", (...a: any[]) => {
    const [type, args, lock] = VALUE.bind(a);
    this.#fix();
    return sharedctypes._makeValue(type, args, lock as sharedctypes.SynchronizedOptions["lock"]);
  }) as typeof sharedctypes.value;
  /** Returns a synchronized shared array: `Array('i', 10)`, `Array('i', range(10))`. */
  Array: typeof sharedctypes.array = named("Array", (...a: any[]) => {
    const [type, size, lock] = ARRAY.bind(a);
    this.#fix();
    return sharedctypes._makeArray(type, size, lock as sharedctypes.SynchronizedOptions["lock"]);
  }) as typeof sharedctypes.array;
  /** Returns a shared object without a lock: `RawValue('i', 5)`. */
  RawValue: typeof sharedctypes.rawValue = named("RawValue", (...a: any[]) => {
    const [type, args] = RAW_VALUE.bind(a);
    this.#fix();
    return sharedctypes._makeRawValue(type, args);
  }) as typeof sharedctypes.rawValue;
  /** Returns a shared array without a lock: `RawArray('i', 10)`. */
  RawArray: typeof sharedctypes.rawArray = named("RawArray", (...a: any[]) => {
    const [type, size] = RAW_ARRAY.bind(a);
    this.#fix();
    return sharedctypes._makeRawArray(type, size);
  }) as typeof sharedctypes.rawArray;

  /** Returns a queue object: `Queue()`, `Queue(maxsize)`, typed as `Queue<T>()`. */
  Queue = callable(queues.Queue, (...a: any[]) => {
    const [maxsize, cap] = QUEUE.bind(a);
    this.#fix();
    return new queues.Queue(maxsize, cap === undefined ? {} : { capacity: cap });
  }) as unknown as QueueFactory<typeof queues.Queue>;
  /** Returns a joinable queue object. */
  JoinableQueue = callable(queues.JoinableQueue, (...a: any[]) => {
    const [maxsize, cap] = JOINABLE_QUEUE.bind(a);
    this.#fix();
    return new queues.JoinableQueue(maxsize, cap === undefined ? {} : { capacity: cap });
  }) as unknown as QueueFactory<typeof queues.JoinableQueue>;
  /** Returns a simple queue object. */
  SimpleQueue = callable(queues.SimpleQueue, (...a: any[]) => {
    const [cap] = SIMPLE_QUEUE.bind(a);
    this.#fix();
    return new queues.SimpleQueue(cap === undefined ? {} : { capacity: cap });
  }) as unknown as SimpleQueueFactory;
  /** Returns two connection objects connected by a pipe. */
  Pipe = named("Pipe", (...a: Bound<typeof PIPE>): [connection.Connection, connection.Connection] => {
    const [duplex, cap] = PIPE.bind(a);
    this.#fix();
    return cap === undefined ? connection.Pipe(duplex) : connection.Pipe(duplex, { capacity: cap });
  });

  /** Returns a process pool: `Pool(4)`, `Pool(2, { initializer, initargs })`, `Pool({ processes })`. */
  Pool: Factory<Bound<typeof CONTEXT_POOL, { initializer: AnyFn | null; initargs: Iterable<unknown> }>, pool.Pool> = callable(pool.Pool, (...a: any[]) => {
    const [processes, initializer, initargs, maxtasksperchild, resourceLimits] = CONTEXT_POOL.bind(a);
    this.#fix();
    return new pool.Pool({ processes, initializer, initargs, maxtasksperchild, resourceLimits });
  }) as any;
  /** Returns a pool with Pool's API under Python's ThreadPool name. */
  ThreadPool: Factory<Bound<typeof CONTEXT_POOL, { initializer: AnyFn | null; initargs: Iterable<unknown> }>, pool.ThreadPool> = callable(pool.ThreadPool, (...a: any[]) => {
    const [processes, initializer, initargs, , resourceLimits] = CONTEXT_POOL.bind(a);
    this.#fix();
    return new pool.ThreadPool({ processes, initializer, initargs, resourceLimits });
  }) as any;

  /** Returns a started SyncManager: shared objects (`m.dict()`, `m.list()`, `m.Lock()`...) served by a process of the tree. */
  Manager = named("Manager", (): managers.SyncManager => {
    this.#fix();
    const m = new managers.SyncManager({ ctx: this.get_context() });
    m.start();
    return m;
  });

  current_process = current_process;
  parent_process = parent_process;
  active_children = active_children;
  is_main = is_main;

  /** Check whether this is a fake forked process in a frozen executable: a no-op. */
  freeze_support(): void {}
  /** A no-op kept for compatibility. */
  allow_connection_pickling(): void {}
  /**
   * Sets the program used to start children: a path (string, Buffer or file: URL, Node's
   * PathLike as Python's str, bytes or os.PathLike) or None, accepted and ignored.
   * Differs from Python: children are worker threads of this process, so there is no program to choose.
   * @throws TypeError "expected str, bytes or os.PathLike object, not int" for anything else (os.fsencode's error).
   */
  set_executable(executable: string | Uint8Array | URL | null): void {
    if (executable === null || executable === undefined || typeof executable === "string" || executable instanceof Uint8Array || executable instanceof URL) return;
    throw new TypeError(`expected str, bytes or os.PathLike object, not ${cv.pyTypeName(executable)}`);
  }
  /** Sets the modules the forkserver imports ahead of time. */
  set_forkserver_preload(module_names: string[]): void {
    if (!Array.isArray(module_names) || !module_names.every((m) => typeof m === "string")) {
      throw new TypeError("module_names must be a list of strings");
    }
  }

  #fix(): void {
    if ((this as BaseContext) === defaultContext) defaultContext.fix();
  }
}

/** A generic queue class that can also be called without `new`: `Queue<number>()`. */
type QueueFactory<C extends typeof queues.Queue | typeof queues.JoinableQueue> = {
  <T = any>(...args: Bound<typeof QUEUE>): C extends typeof queues.JoinableQueue ? queues.JoinableQueue<T> : queues.Queue<T>;
  new <T = any>(...args: Bound<typeof QUEUE>): C extends typeof queues.JoinableQueue ? queues.JoinableQueue<T> : queues.Queue<T>;
  readonly prototype: InstanceType<C>;
};
type SimpleQueueFactory = {
  <T = any>(...args: Bound<typeof SIMPLE_QUEUE>): queues.SimpleQueue<T>;
  new <T = any>(...args: Bound<typeof SIMPLE_QUEUE>): queues.SimpleQueue<T>;
  readonly prototype: queues.SimpleQueue<any>;
};

/** The context of the "spawn" start method (CPython's SpawnContext). */
class SpawnContext extends BaseContext {}
/** The context of the "forkserver" start method (CPython's ForkServerContext). */
class ForkServerContext extends BaseContext {}

function named<F extends Function>(name: string, fn: F): F {
  Object.defineProperty(fn, "name", { value: name });
  return fn;
}

const contexts: Record<string, BaseContext> = {
  spawn: Object.assign(new SpawnContext("spawn"), { Process: SpawnProcess }),
  forkserver: Object.assign(new ForkServerContext("forkserver"), { Process: ForkServerProcess }),
};

function concreteContext(method: string): BaseContext {
  const ctx = Object.hasOwn(contexts, method) ? contexts[method] : undefined;
  if (!ctx) throw new ValueError(`cannot find context for '${method}'`);
  return ctx;
}

/** The default context: module-level names come from it, and it fixes its start method on first use. */
class DefaultContext extends BaseContext {
  #actual: BaseContext | null = null;
  constructor() {
    super(null);
  }
  /** @internal fixes the start method to the default if not yet set. */
  fix(): BaseContext {
    return (this.#actual ??= contexts.spawn!);
  }
  override get_context(...args: Bound<typeof GET_CONTEXT>): BaseContext {
    const [method] = GET_CONTEXT.bind(args);
    // As CPython: the default context's get_context() is the concrete context it has fixed.
    if (method === null) return this.fix();
    return concreteContext(method);
  }
  override get_start_method(...args: Bound<typeof GET_START_METHOD>): string | null {
    const [allowNone] = GET_START_METHOD.bind(args);
    if (this.#actual === null && allowNone) return null;
    return this.fix().get_start_method();
  }
  override set_start_method(...args: Bound<typeof SET_START_METHOD>): void {
    const [method, f] = SET_START_METHOD.bind(args);
    if (this.#actual !== null && !f) throw new RuntimeError("context has already been set");
    if (method === null && f) {
      this.#actual = null;
      return;
    }
    this.#actual = concreteContext(method as string);
  }
}

const defaultContext: DefaultContext = new DefaultContext();
_setDefaultMethodResolver(() => defaultContext.fix().get_start_method()!);
// A child's default start method is the one that started it (CPython's _force_start_method).
_setStartMethodForcer((method) => defaultContext.set_start_method(method, true));
_installMainExit();

/** Returns a context object: the default one, or the one for `method` ("spawn" or "forkserver"). */
export const get_context = (...args: Bound<typeof GET_CONTEXT>): BaseContext => defaultContext.get_context(...args);
/** The name of the default start method (fixing it, unless `{ allow_none: true }`). */
export const get_start_method = (...args: Bound<typeof GET_START_METHOD>): string | null => defaultContext.get_start_method(...args);
/** Sets the default start method: once, unless `force` (`set_start_method("spawn", { force: true })`). */
export const set_start_method = (...args: Bound<typeof SET_START_METHOD>): void => defaultContext.set_start_method(...args);
/** The start methods this platform offers. */
export const get_all_start_methods = (...none: []): string[] => defaultContext.get_all_start_methods(...none);
/** The number of CPUs in the system. */
export const cpu_count = (...none: []): number => defaultContext.cpu_count(...none);
/** A no-op kept for compatibility. */
export const freeze_support = (): void => defaultContext.freeze_support();
/** A no-op kept for compatibility. */
export const allow_connection_pickling = (): void => defaultContext.allow_connection_pickling();
/** Sets the program used to start children: not applicable to worker threads, a path is accepted and ignored. */
export const set_executable = (executable: string | Uint8Array | URL | null): void => defaultContext.set_executable(executable);
/** Accepted for compatibility (the forkserver preloads the target's modules by itself). */
export const set_forkserver_preload = (module_names: string[]): void => defaultContext.set_forkserver_preload(module_names);

export const Lock = defaultContext.Lock;
export type Lock = synchronize.Lock;
export const RLock = defaultContext.RLock;
export type RLock = synchronize.RLock;
export const Condition = defaultContext.Condition;
export type Condition = synchronize.Condition;
export const Semaphore = defaultContext.Semaphore;
export type Semaphore = synchronize.Semaphore;
export const BoundedSemaphore = defaultContext.BoundedSemaphore;
export type BoundedSemaphore = synchronize.BoundedSemaphore;
export const Event = defaultContext.Event;
export type Event = synchronize.Event;
export const Barrier = defaultContext.Barrier;
export type Barrier = synchronize.Barrier;

export const Value = defaultContext.Value;
export const RawValue = defaultContext.RawValue;
export const RawArray = defaultContext.RawArray;
const SharedArray = defaultContext.Array;
export { SharedArray as Array };
export const Queue = defaultContext.Queue;
export type Queue<T = any> = queues.Queue<T>;
export const JoinableQueue = defaultContext.JoinableQueue;
export type JoinableQueue<T = any> = queues.JoinableQueue<T>;
export const SimpleQueue = defaultContext.SimpleQueue;
export type SimpleQueue<T = any> = queues.SimpleQueue<T>;
export const Pipe = defaultContext.Pipe;
export type Connection<S = any, R = any> = connection.Connection<S, R>;
export const Pool = defaultContext.Pool;
export type Pool = pool.Pool;
export const ThreadPool = defaultContext.ThreadPool;
export type ThreadPool = pool.ThreadPool;
export const Manager = defaultContext.Manager;
export type Manager = managers.SyncManager;
