// The objects a SyncManager's server holds, ported from what CPython's server process holds:
// threading.Lock/RLock/Semaphore/BoundedSemaphore/Condition/Event/Barrier, queue.Queue,
// and (managers/referent_values.ts) managers.Namespace, managers.Value and array.array (Lib/threading.py, Lib/queue.py,
// Lib/multiprocessing/managers.py, Modules/arraymodule.c; PSF-2.0).
// Differs from Python: the server is one thread with an event loop, not a thread per client, so
// a call that would block (acquire, get, wait) returns a Promise that the server parks, replying
// when it settles; other clients are served meanwhile. "The calling thread" of RLock and
// Condition is the client connection on whose behalf the server runs the call (`caller()`).

import { addressOf } from "../shared/current.js";
import { repr } from "../shared/format.js";
import { PyObject } from "../shared/pyobject.js";
import { AttributeError, RuntimeError, TypeError, ValueError } from "../shared/pyerrors.js";
import { BrokenBarrierError, Empty, Full } from "../errors.js";
import { kReferent } from "./referent_kind.js";

let callerId = 0;
/** The client connection the server is running a call for (Python's "current thread"). */
export function caller(): number {
  return callerId;
}
/** @internal set by the server around each call. */
export function setCaller(id: number): void {
  callerId = id;
}

/** A parked caller: resolved with its result, or by its timeout. */
interface Waiter<T> {
  resolve(v: T): void;
  timer: NodeJS.Timeout | null;
  done: boolean;
}

/**
 * Parks a caller until `waiters` hands it a value, or `timeout` seconds pass (then resolves with
 * `onTimeout()`). Returns the promise the server replies with.
 */
function park<T>(waiters: Waiter<T>[], timeout: number | null, onTimeout: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const w: Waiter<T> = { resolve: (v) => { if (!w.done) { w.done = true; if (w.timer) clearTimeout(w.timer); resolve(v); } }, timer: null, done: false };
    waiters.push(w);
    if (timeout !== null) {
      w.timer = setTimeout(() => {
        if (w.done) return;
        w.done = true;
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
        try {
          resolve(onTimeout());
        } catch (e) {
          reject(e);
        }
      }, Math.max(0, timeout * 1000));
    }
  });
}

function checkTimeout(blocking: unknown, timeout: unknown): number | null {
  if (timeout === undefined || timeout === null || timeout === -1) return null;
  if (typeof timeout !== "number") throw new TypeError(`'${typeof timeout}' object cannot be interpreted as a timeout`);
  if (!blocking) throw new ValueError("can't specify a timeout for a non-blocking call");
  if (timeout < 0) throw new ValueError("timeout value must be positive");
  return timeout;
}

export { kReferent };
export { Namespace, PyArray, Value } from "./referent_values.js";

// --- threading.Lock / RLock ----------------------------------------------------------------------

/** `threading.Lock`. */
export class ThreadingLock extends PyObject {
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "lock";
  }
  #locked = false;
  #waiters: Waiter<boolean>[] = [];
  acquire(blocking: boolean = true, timeout: number | null = -1): boolean | Promise<boolean> {
    const t = checkTimeout(blocking, timeout);
    if (!this.#locked) return (this.#locked = true);
    if (!blocking) return false;
    return park(this.#waiters, t, () => false);
  }
  release(): void {
    if (!this.#locked) throw new RuntimeError("release unlocked lock");
    this.#locked = false;
    // Not handed over at once: like CPython's Lock, the lock is not fair, and a client that
    // acquires again right away (its next request is already on its way) takes it without a
    // sleeping client having to wake up first. A parked acquire gets it on the server's next
    // turn of its event loop if it is still free then.
    if (this.#waiters.length && !this.#granting) {
      this.#granting = true;
      setImmediate(() => this.#grant());
    }
  }
  #granting = false;
  #grant(): void {
    this.#granting = false;
    if (this.#locked) return; // taken meanwhile: its release() schedules the next grant
    const w = this.#waiters.shift();
    if (w) {
      this.#locked = true;
      w.resolve(true);
    }
  }
  locked(): boolean {
    return this.#locked;
  }
  __repr__(): string {
    return `<${this.#locked ? "locked" : "unlocked"} _thread.lock object at ${addressOf(this)}>`;
  }
}

/** `threading.RLock`: owned by the client connection that acquired it. */
export class ThreadingRLock extends PyObject {
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "rlock";
  }
  #owner = -1;
  #count = 0;
  /** Parked acquirers, with the owner and count they take the lock with. */
  #waiters: Array<Waiter<boolean> & { owner: number; count: number }> = [];
  acquire(blocking: boolean = true, timeout: number | null = -1): boolean | Promise<boolean> {
    const t = checkTimeout(blocking, timeout);
    const me = caller();
    if (this.#count > 0 && this.#owner === me) {
      this.#count++;
      return true;
    }
    if (this.#count === 0) {
      this.#owner = me;
      this.#count = 1;
      return true;
    }
    if (!blocking) return false;
    return this.#park(me, 1, t);
  }
  #park(owner: number, count: number, timeout: number | null): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const w = {
        owner, count, done: false, timer: null as NodeJS.Timeout | null,
        resolve: (v: boolean) => { if (!w.done) { w.done = true; if (w.timer) clearTimeout(w.timer); resolve(v); } },
      };
      this.#waiters.push(w);
      if (timeout !== null) w.timer = setTimeout(() => {
        if (w.done) return;
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(false);
      }, timeout * 1000);
    });
  }
  release(): void {
    if (this.#count === 0 || this.#owner !== caller()) throw new RuntimeError("cannot release un-acquired lock");
    if (--this.#count > 0) return;
    this.#handOver();
  }
  /** @internal releases fully (Condition.wait); returns the count to restore. */
  _releaseAll(): number {
    const n = this.#count;
    this.#count = 0;
    this.#handOver();
    return n;
  }
  /** @internal takes the lock for `owner` with `count` (Condition.wait's re-acquire). */
  _acquireRestore(owner: number, count: number): Promise<boolean> | boolean {
    if (this.#count === 0) {
      this.#owner = owner;
      this.#count = count;
      return true;
    }
    return this.#park(owner, count, null);
  }
  #handOver(): void {
    // The next waiter owns the lock from now on (not when its reply is sent).
    const w = this.#waiters.shift();
    if (w) {
      this.#owner = w.owner;
      this.#count = w.count;
      w.resolve(true);
    } else {
      this.#owner = -1;
    }
  }
  _isOwned(): boolean {
    return this.#count > 0 && this.#owner === caller();
  }
  __repr__(): string {
    return `<${this.#count ? "locked" : "unlocked"} _thread.RLock object owner=${this.#count ? this.#owner : 0} count=${this.#count} at ${addressOf(this)}>`;
  }
}

// --- Semaphore ---------------------------------------------------------------------------------

/** `threading.Semaphore`. */
export class ThreadingSemaphore extends PyObject {
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "semaphore";
  }
  protected _value: number;
  #waiters: Waiter<boolean>[] = [];
  constructor(value: number = 1) {
    super();
    if (value < 0) throw new ValueError("semaphore initial value must be >= 0");
    this._value = value;
  }
  acquire(blocking: boolean = true, timeout: number | null = null): boolean | Promise<boolean> {
    if (!blocking && timeout !== null && timeout !== undefined) throw new ValueError("can't specify timeout for non-blocking acquire");
    if (this._value > 0) {
      this._value--;
      return true;
    }
    if (!blocking) return false;
    if (timeout !== null && timeout !== undefined && timeout <= 0) return false;
    return park(this.#waiters, timeout ?? null, () => false);
  }
  release(n: number = 1): void {
    if (n < 1) throw new ValueError("n must be one or more");
    for (let i = 0; i < n; i++) {
      const w = this.#waiters.shift();
      if (w) w.resolve(true);
      else this._value++;
    }
  }
  __repr__(): string {
    return `<threading.${this.constructor.name.replace("Threading", "")} at ${addressOf(this)}: value=${this._value}>`;
  }
}

/** `threading.BoundedSemaphore`. */
export class ThreadingBoundedSemaphore extends ThreadingSemaphore {
  override get [kReferent](): string {
    return "boundedsemaphore";
  }
  readonly #initial: number;
  constructor(value: number = 1) {
    super(value);
    this.#initial = value;
  }
  override release(n: number = 1): void {
    if (n < 1) throw new ValueError("n must be one or more");
    if (this._value + n > this.#initial) throw new ValueError("Semaphore released too many times");
    super.release(n);
  }
}

// --- Condition ---------------------------------------------------------------------------------

/** `threading.Condition` over an RLock (or the Lock/RLock given). */
export class ThreadingCondition extends PyObject {
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    // Over a lock given (a proxy, in CPython's server too), acquire and release are the proxy's.
    return this.#given ? "condition-proxy" : "condition";
  }
  readonly _lock: ThreadingRLock | ThreadingLock;
  #waiters: Waiter<boolean>[] = [];
  readonly #given: boolean;
  constructor(lock: ThreadingRLock | ThreadingLock | null = null) {
    super();
    this._lock = lock ?? new ThreadingRLock();
    this.#given = lock !== null;
  }
  acquire(blocking: boolean = true, timeout: number | null = -1): boolean | Promise<boolean> {
    return this._lock.acquire(blocking, timeout);
  }
  release(): void {
    this._lock.release();
  }
  #owned(): boolean {
    const l = this._lock;
    return l instanceof ThreadingRLock ? l._isOwned() : l.locked();
  }
  wait(timeout: number | null = null): boolean | Promise<boolean> {
    if (!this.#owned()) throw new RuntimeError("cannot wait on un-acquired lock");
    const me = caller();
    const l = this._lock;
    let count = 1;
    if (l instanceof ThreadingRLock) count = l._releaseAll();
    else l.release();
    const notified = park(this.#waiters, timeout, () => false);
    return notified.then(async (got) => {
      if (l instanceof ThreadingRLock) await l._acquireRestore(me, count);
      else await l.acquire(true, -1);
      return got;
    });
  }
  notify(n: number = 1): void {
    if (!this.#owned()) throw new RuntimeError("cannot notify on un-acquired lock");
    for (let i = 0; i < n; i++) {
      const w = this.#waiters.shift();
      if (!w) break;
      w.resolve(true);
    }
  }
  notify_all(): void {
    this.notify(this.#waiters.length);
  }
  __repr__(): string {
    return `<Condition(${repr(this._lock)}, ${this.#waiters.length})>`;
  }
}

// --- Event -------------------------------------------------------------------------------------

/** `threading.Event`. */
export class ThreadingEvent extends PyObject {
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "event";
  }
  #flag = false;
  #waiters: Waiter<boolean>[] = [];
  is_set(): boolean {
    return this.#flag;
  }
  set(): void {
    this.#flag = true;
    for (const w of this.#waiters.splice(0)) w.resolve(true);
  }
  clear(): void {
    this.#flag = false;
  }
  wait(timeout: number | null = null): boolean | Promise<boolean> {
    if (this.#flag) return true;
    if (timeout !== null && timeout <= 0) return false;
    return park(this.#waiters, timeout, () => this.#flag);
  }
  __repr__(): string {
    return `<threading.Event at ${addressOf(this)}: ${this.#flag ? "set" : "unset"}>`;
  }
}

// --- Barrier -----------------------------------------------------------------------------------

/** `threading.Barrier(parties, action=None, timeout=None)`. */
export class ThreadingBarrier extends PyObject {
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "barrier";
  }
  readonly #parties: number;
  readonly #action: (() => unknown) | null;
  readonly #timeout: number | null;
  #waiters: Array<Waiter<number> & { reject(e: unknown): void }> = [];
  #broken = false;
  constructor(parties: number, action: (() => unknown) | null = null, timeout: number | null = null) {
    super();
    if (parties < 1) throw new ValueError("parties must be > 0");
    this.#parties = parties;
    this.#action = action;
    this.#timeout = timeout;
  }
  get parties(): number {
    return this.#parties;
  }
  get n_waiting(): number {
    return this.#waiters.length;
  }
  get broken(): boolean {
    return this.#broken;
  }
  wait(timeout: number | null = null): number | Promise<number> {
    if (this.#broken) throw new BrokenBarrierError();
    const index = this.#waiters.length;
    if (index + 1 === this.#parties) {
      try {
        if (this.#action) this.#action();
      } catch (e) {
        this.#break();
        throw e;
      }
      const ws = this.#waiters.splice(0);
      ws.forEach((w, i) => w.resolve(i));
      return index;
    }
    const t = timeout ?? this.#timeout;
    return new Promise<number>((resolve, reject) => {
      const w = {
        done: false,
        timer: null as NodeJS.Timeout | null,
        resolve: (v: number) => { if (!w.done) { w.done = true; if (w.timer) clearTimeout(w.timer); resolve(v); } },
        reject: (e: unknown) => { if (!w.done) { w.done = true; if (w.timer) clearTimeout(w.timer); reject(e); } },
      };
      this.#waiters.push(w);
      if (t !== null) w.timer = setTimeout(() => this.#break(), Math.max(0, t * 1000));
    });
  }
  #break(): void {
    this.#broken = true;
    for (const w of this.#waiters.splice(0)) w.reject(new BrokenBarrierError());
  }
  abort(): void {
    this.#break();
  }
  reset(): void {
    for (const w of this.#waiters.splice(0)) w.reject(new BrokenBarrierError());
    this.#broken = false;
  }
  __getattribute__(name: string): unknown {
    if (name === "parties" || name === "n_waiting" || name === "broken") return this[name];
    throw new AttributeError(`'Barrier' object has no attribute '${name}'`);
  }
  __repr__(): string {
    return `<threading.Barrier at ${addressOf(this)}: waiters=${this.n_waiting}/${this.#parties}>`;
  }
}

// --- queue.Queue -------------------------------------------------------------------------------

/** `queue.Queue(maxsize=0)` (also what the manager's JoinableQueue is). */
export class StdQueue extends PyObject {
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "queue";
  }
  readonly maxsize: number;
  #items: unknown[] = [];
  #getters: Waiter<unknown>[] = [];
  #putters: Array<Waiter<void> & { item: unknown }> = [];
  #unfinished = 0;
  #joiners: Waiter<null>[] = [];
  constructor(maxsize: number = 0) {
    super();
    this.maxsize = maxsize;
  }
  #full(): boolean {
    return this.maxsize > 0 && this.#items.length >= this.maxsize;
  }
  put(item: unknown, block: boolean = true, timeout: number | null = null): null | Promise<null> {
    if (timeout !== null && timeout < 0) throw new ValueError("'timeout' must be a non-negative number");
    if (!this.#full()) return this.#add(item);
    if (!block || timeout === 0) throw new Full();
    return new Promise<null>((resolve, reject) => {
      const w = { item, done: false, timer: null as NodeJS.Timeout | null, resolve: () => { if (!w.done) { w.done = true; if (w.timer) clearTimeout(w.timer); resolve(null); } } };
      this.#putters.push(w);
      if (timeout !== null) w.timer = setTimeout(() => {
        if (w.done) return;
        w.done = true;
        this.#putters.splice(this.#putters.indexOf(w), 1);
        reject(new Full());
      }, timeout * 1000);
    });
  }
  #add(item: unknown): null {
    this.#unfinished++;
    const g = this.#getters.shift();
    if (g) g.resolve(item);
    else this.#items.push(item);
    return null;
  }
  get(block: boolean = true, timeout: number | null = null): unknown {
    if (timeout !== null && timeout < 0) throw new ValueError("'timeout' must be a non-negative number");
    if (this.#items.length > 0) {
      const item = this.#items.shift();
      const p = this.#putters.shift();
      if (p) {
        p.resolve();
        this.#add(p.item);
      }
      return item;
    }
    if (!block || timeout === 0) throw new Empty();
    return park(this.#getters, timeout, () => {
      throw new Empty();
    });
  }
  put_nowait(item: unknown): null | Promise<null> {
    return this.put(item, false);
  }
  get_nowait(): unknown {
    return this.get(false);
  }
  qsize(): number {
    return this.#items.length;
  }
  empty(): boolean {
    return this.#items.length === 0;
  }
  full(): boolean {
    return this.#full();
  }
  task_done(): void {
    if (this.#unfinished <= 0) throw new ValueError("task_done() called too many times");
    if (--this.#unfinished === 0) for (const j of this.#joiners.splice(0)) j.resolve(null);
  }
  join(): null | Promise<null> {
    if (this.#unfinished === 0) return null;
    return park(this.#joiners, null, () => null);
  }
  __repr__(): string {
    return `<queue.Queue object at ${addressOf(this)}>`;
  }
}

