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
  BaseProcess, Process, active_children, current_process, parent_process, is_main, _installMainExit, _setDefaultMethodResolver,
  type ProcessOptions,
} from "./process.js";
import { startMethods } from "./popen/index.js";

export {
  ProcessError, BufferTooShort, TimeoutError, AuthenticationError, BrokenBarrierError, Empty, Full, RemoteError,
} from "./errors.js";
export { current_process, parent_process, active_children, is_main, BaseProcess, Process } from "./process.js";
export type { ProcessOptions } from "./process.js";

type AnyFn = (...args: any[]) => unknown;

/**
 * A process started with the "spawn" start method: a fresh worker thread, used once.
 * Differs from Python: from the second start() on, the next worker is booted ahead of time (library
 * loaded, none of the program's modules imported), so that a later start() skips the boot.
 */
export class SpawnProcess<F extends AnyFn = AnyFn> extends BaseProcess<F> {
  constructor(options?: ProcessOptions<F>) {
    super(options);
    this._setStartMethod("spawn");
  }
}

/** A process started with the "forkserver" start method: a warm, pre-booted worker. */
export class ForkServerProcess<F extends AnyFn = AnyFn> extends BaseProcess<F> {
  constructor(options?: ProcessOptions<F>) {
    super(options);
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
  get_context(method?: string | null): BaseContext {
    if (method === null || method === undefined) return this;
    return concreteContext(method);
  }

  /** The name of the start method this context uses. */
  get_start_method(_options?: GetStartMethodOptions | boolean): string | null {
    return this.#method;
  }

  /** Concrete contexts cannot change their start method. */
  set_start_method(_method: string | null, _force?: boolean | { force?: boolean }): void {
    throw new ValueError("cannot set start method of concrete context");
  }

  /** Returns the start methods this platform offers, the default first. */
  get_all_start_methods(): string[] {
    return [...startMethods];
  }

  /** The number of CPUs in the system. */
  cpu_count(): number {
    const n = availableParallelism();
    if (!n) throw new NotImplementedError("cannot determine number of cpus");
    return n;
  }

  /** Returns a non-recursive lock object. */
  Lock = callable(synchronize.Lock, () => (this.#fix(), new synchronize.Lock()));
  /** Returns a recursive lock object. */
  RLock = callable(synchronize.RLock, () => (this.#fix(), new synchronize.RLock()));
  /** Returns a condition object. */
  Condition = callable(synchronize.Condition, (lock?: synchronize.Lock | null) => (this.#fix(), new synchronize.Condition(lock)));
  /** Returns a semaphore object. */
  Semaphore = callable(synchronize.Semaphore, (value: number = 1) => (this.#fix(), new synchronize.Semaphore(value)));
  /** Returns a bounded semaphore object. */
  BoundedSemaphore = callable(synchronize.BoundedSemaphore, (value: number = 1) => (this.#fix(), new synchronize.BoundedSemaphore(value)));
  /** Returns an event object. */
  Event = callable(synchronize.Event, () => (this.#fix(), new synchronize.Event()));
  /** Returns a barrier object. */
  Barrier = callable(synchronize.Barrier, (parties: number, action?: synchronize.BarrierAction | synchronize.BarrierOptions | null, timeout?: number | null) =>
    (this.#fix(), new synchronize.Barrier(parties, action, timeout)));

  /** The Process class of this context. */
  Process: typeof BaseProcess = Process;
  /** Returns a synchronized shared object: `Value('i', 0)`, `Value('d', 1.5, { lock: false })`. */
  Value: typeof sharedctypes.value = named("Value", (...a: Parameters<typeof sharedctypes.value>) => (this.#fix(), sharedctypes.value(...a))) as typeof sharedctypes.value;
  /** Returns a synchronized shared array: `Array('i', 10)`, `Array('i', range(10))`. */
  Array: typeof sharedctypes.array = named("Array", (...a: Parameters<typeof sharedctypes.array>) => (this.#fix(), sharedctypes.array(...a))) as typeof sharedctypes.array;
  /** Returns a shared object without a lock: `RawValue('i', 5)`. */
  RawValue: typeof sharedctypes.rawValue = named("RawValue", (...a: Parameters<typeof sharedctypes.rawValue>) => (this.#fix(), sharedctypes.rawValue(...a))) as typeof sharedctypes.rawValue;
  /** Returns a shared array without a lock: `RawArray('i', 10)`. */
  RawArray: typeof sharedctypes.rawArray = named("RawArray", (...a: Parameters<typeof sharedctypes.rawArray>) => (this.#fix(), sharedctypes.rawArray(...a))) as typeof sharedctypes.rawArray;

  /** Returns a queue object: `Queue()`, `Queue(maxsize)`, typed as `Queue<T>()`. */
  Queue = callable(queues.Queue, (maxsize?: number, options?: queues.QueueOptions) => (this.#fix(), new queues.Queue(maxsize, options))) as unknown as QueueFactory<typeof queues.Queue>;
  /** Returns a joinable queue object. */
  JoinableQueue = callable(queues.JoinableQueue, (maxsize?: number, options?: queues.QueueOptions) => (this.#fix(), new queues.JoinableQueue(maxsize, options))) as unknown as QueueFactory<typeof queues.JoinableQueue>;
  /** Returns a simple queue object. */
  SimpleQueue = callable(queues.SimpleQueue, (options?: queues.QueueOptions) => (this.#fix(), new queues.SimpleQueue(options))) as unknown as SimpleQueueFactory;
  /** Returns two connection objects connected by a pipe. */
  Pipe = named("Pipe", (duplex?: boolean | connection.PipeOptions) => (this.#fix(), connection.Pipe(duplex)));

  /** Returns a process pool: `Pool(4)`, `Pool({ processes, initializer, initargs, maxtasksperchild })`. */
  Pool = callable(pool.Pool, (...a: ConstructorParameters<typeof pool.Pool>) => (this.#fix(), new pool.Pool(...a)));
  /** Returns a pool with Pool's API under Python's ThreadPool name. */
  ThreadPool = callable(pool.ThreadPool, (...a: ConstructorParameters<typeof pool.ThreadPool>) => (this.#fix(), new pool.ThreadPool(...a)));

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
  /** Sets the program used to start children: not applicable to worker threads. */
  set_executable(_executable: string): void {}
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
type QueueFactory<C extends typeof queues.Queue> = {
  <T = any>(maxsize?: number, options?: queues.QueueOptions): C extends typeof queues.JoinableQueue ? queues.JoinableQueue<T> : queues.Queue<T>;
  new <T = any>(maxsize?: number, options?: queues.QueueOptions): C extends typeof queues.JoinableQueue ? queues.JoinableQueue<T> : queues.Queue<T>;
  readonly prototype: InstanceType<C>;
};
type SimpleQueueFactory = {
  <T = any>(options?: queues.QueueOptions): queues.SimpleQueue<T>;
  new <T = any>(options?: queues.QueueOptions): queues.SimpleQueue<T>;
  readonly prototype: queues.SimpleQueue<any>;
};

class ConcreteContext extends BaseContext {}

function named<F extends Function>(name: string, fn: F): F {
  Object.defineProperty(fn, "name", { value: name });
  return fn;
}

const contexts: Record<string, ConcreteContext> = {
  spawn: Object.assign(new ConcreteContext("spawn"), { Process: SpawnProcess }),
  forkserver: Object.assign(new ConcreteContext("forkserver"), { Process: ForkServerProcess }),
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
  override get_context(method?: string | null): BaseContext {
    if (method === null || method === undefined) {
      this.fix();
      return this;
    }
    return concreteContext(method);
  }
  override get_start_method(options?: GetStartMethodOptions | boolean): string | null {
    const allowNone = typeof options === "boolean" ? options : options?.allow_none ?? false;
    if (this.#actual === null && allowNone) return null;
    return this.fix().get_start_method();
  }
  override set_start_method(method: string | null, force?: boolean | { force?: boolean }): void {
    const f = typeof force === "object" && force !== null ? force.force ?? false : force ?? false;
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
_installMainExit();

/** Returns a context object: the default one, or the one for `method` ("spawn" or "forkserver"). */
export const get_context = (method?: string | null): BaseContext => defaultContext.get_context(method);
/** The name of the default start method (fixing it, unless `{ allow_none: true }`). */
export const get_start_method = (options?: GetStartMethodOptions | boolean): string | null => defaultContext.get_start_method(options);
/** Sets the default start method: once, unless `force`. */
export const set_start_method = (method: string | null, force?: boolean | { force?: boolean }): void => defaultContext.set_start_method(method, force);
/** The start methods this platform offers. */
export const get_all_start_methods = (): string[] => defaultContext.get_all_start_methods();
/** The number of CPUs in the system. */
export const cpu_count = (): number => defaultContext.cpu_count();
/** A no-op kept for compatibility. */
export const freeze_support = (): void => defaultContext.freeze_support();
/** A no-op kept for compatibility. */
export const allow_connection_pickling = (): void => defaultContext.allow_connection_pickling();
/** Not applicable to worker threads: accepted and ignored. */
export const set_executable = (executable: string): void => defaultContext.set_executable(executable);
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
