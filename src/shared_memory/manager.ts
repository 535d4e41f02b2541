// Part of the shared_memory module: SharedMemoryManager, from CPython
// Lib/multiprocessing/managers.py (PSF-2.0). CPython runs a SharedMemoryServer process that
// remembers the segments made through the manager and unlinks them at shutdown; here the
// registry thread already answers every process of the tree, so the manager keeps that list
// itself.

import { addressOf } from "../shared/current.js";
import { AttributeError, FileNotFoundError, ValueError } from "../shared/pyerrors.js";
import { PyObject } from "../shared/pyobject.js";
import { ProcessError } from "../errors.js";
import { SharedMemory } from "../shared_memory.js";
import { as, p, sig, type Bound } from "../shared/binder.js";
import { ShareableList } from "./shareable_list.js";

const State = { initial: 0, started: 1, shutdown: 2 } as const;

/** `SharedMemoryManager.SharedMemory(size)` and `.ShareableList(sequence)` (shared/binder.ts). */
const SMM_SHARED_MEMORY = sig("SharedMemoryManager.SharedMemory", [p("size", as<number>())], { method: true });
const SMM_SHAREABLE_LIST = sig("SharedMemoryManager.ShareableList", [p("sequence", as<Iterable<unknown>>())], { method: true });

/**
 * Like SyncManager but uses SharedMemoryServer instead of Server: it provides methods for
 * creating and returning SharedMemory instances and ShareableLists, which it unlinks when it
 * shuts down.
 *
 * `const smm = new SharedMemoryManager(); smm.start(); ... smm.shutdown()`;
 * `with SharedMemoryManager() as smm:` is `new SharedMemoryManager().with((smm) => ...)`, or
 * `using smm = new SharedMemoryManager(); smm.start();` (disposal shuts it down).
 *
 * Differs from Python: no server process. The manager tracks its segments in the process that
 * made it; `start()` launches nothing, so `address`, `connect()`, `get_server()` and
 * `register()` are not offered. Segments made through it are visible to the whole tree as
 * usual, and `shutdown()` unlinks them all.
 */
export class SharedMemoryManager extends PyObject implements Disposable {
  #state: number = State.initial;
  #segments: string[] = [];

  /** Options of CPython's BaseManager (address, authkey...) are accepted and unused. */
  constructor(..._args: unknown[]) {
    super();
  }

  /**
   * Spawn a server process for this manager object (here: nothing to spawn; marks it started).
   * @throws ProcessError `Already started server` / `Manager has shut down`
   */
  start(): void {
    if (this.#state === State.started) throw new ProcessError("Already started server");
    if (this.#state === State.shutdown) throw new ProcessError("Manager has shut down");
    this.#state = State.started;
  }

  /**
   * Shut down the manager: unlinks every segment made through it. Idempotent once started.
   * @throws AttributeError before start(), as CPython (its `shutdown` is set by start())
   */
  shutdown(): void {
    if (this.#state === State.initial) throw new AttributeError(`'${this.constructor.name}' object has no attribute 'shutdown'`);
    if (this.#state === State.shutdown) return;
    this.#state = State.shutdown;
    for (const name of this.#segments.splice(0)) {
      try {
        new SharedMemory(name).unlink(); // a segment its user already unlinked is skipped
      } catch (e) {
        if (!(e instanceof FileNotFoundError)) throw e;
      }
    }
  }

  #check(): void {
    // CPython connects to the server's address: None before start(), a removed socket after shutdown.
    if (this.#state === State.initial) throw new ValueError("address type of None unrecognized");
    if (this.#state === State.shutdown) throw new FileNotFoundError(2, "No such file or directory");
  }

  /**
   * Returns a new SharedMemory instance with the specified size in bytes, to be tracked by the
   * manager: `smm.SharedMemory(size)` or `smm.SharedMemory({ size })`.
   * @throws ValueError `address type of None unrecognized` before start()
   */
  SharedMemory(...args: Bound<typeof SMM_SHARED_MEMORY>): SharedMemory {
    const [size] = SMM_SHARED_MEMORY.bind(args);
    this.#check();
    const sms = new SharedMemory(null, true, size);
    this.#segments.push(sms.name);
    return sms;
  }

  /**
   * Returns a new ShareableList instance populated with the values from the input sequence, to
   * be tracked by the manager.
   * @throws ValueError `address type of None unrecognized` before start()
   */
  ShareableList<T>(...args: Bound<typeof SMM_SHAREABLE_LIST, { sequence: Iterable<T> }>): ShareableList<T> {
    const [sequence] = SMM_SHAREABLE_LIST.bind(args);
    this.#check();
    const sl = new ShareableList<T>(sequence as Iterable<T>);
    this.#segments.push(sl.shm.name);
    return sl;
  }

  /** Python's `__enter__`: starts the manager if it was not started; returns it. */
  __enter__(): this {
    if (this.#state === State.initial) this.start();
    else if (this.#state === State.shutdown) throw new ProcessError("Manager has shut down");
    return this;
  }

  /** Python's `__exit__`: shuts the manager down. */
  __exit__(): void {
    this.shutdown();
  }

  /** `with SharedMemoryManager() as smm:`: starts it, runs `fn(smm)`, shuts it down (after a returned promise settles). */
  with<R>(fn: (smm: this) => R): R {
    const m = this.__enter__();
    let r: R;
    try {
      r = fn(m);
    } catch (e) {
      this.shutdown();
      throw e;
    }
    if (r !== null && typeof r === "object" && typeof (r as any).then === "function") {
      return (r as any).then(
        (v: unknown) => (this.shutdown(), v),
        (e: unknown) => {
          this.shutdown();
          throw e;
        },
      );
    }
    this.shutdown();
    return r;
  }

  /**
   * Shuts the manager down at the end of a `using` scope. Differs from Python: `using` has no
   * `__enter__`, so call `start()` after `using smm = new SharedMemoryManager()`.
   */
  [Symbol.dispose](): void {
    if (this.#state === State.started) this.shutdown();
  }

  /** `<multiprocessing.managers.SharedMemoryManager object at 0x...>`. */
  __repr__(): string {
    return `<multiprocessing.managers.${this.constructor.name} object at ${addressOf(this)}>`;
  }
}
