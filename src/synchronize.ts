// Port of CPython Lib/multiprocessing/synchronize.py (PSF-2.0): Lock, RLock, Semaphore,
// BoundedSemaphore, Condition, Event, Barrier over shared/semlock.ts.
// Differs from Python: no POSIX named semaphores; every blocking call has an `_async` twin;
// Event and Barrier wait on a futex word, so set()/abort() never block on a dead waiter.

import { addressOf, current } from "./shared/current.js";
import { AssertionError, OverflowError, OSError, TypeError, ValueError } from "./shared/pyerrors.js";
import { newSharedId, register, rememberShared, rebuildOnce } from "./shared/reduction.js";
import * as sem from "./shared/semlock.js";
import { Acquirable, PyObject } from "./shared/pyobject.js";
import { as, p, sig, type Bound } from "./shared/binder.js";
import * as cv from "./shared/convert.js";

export { SEM_VALUE_MAX } from "./shared/semlock.js";
export { Barrier, type BarrierAction, type BarrierOptions } from "./synchronize/barrier.js";

/** Keyword arguments of `acquire()`. */
export interface AcquireOptions {
  /** Wait for the lock (default true). */
  block?: boolean;
  /** Seconds to wait at most; null waits forever. */
  timeout?: number | null;
}

// --- signatures (shared/binder.ts): the runtime binding and the types of the calls -----------

/** `SemLock.acquire(block=True, timeout=None)`, parsed by Argument Clinic. */
export const ACQUIRE = sig("acquire", [p("block", cv.semBlock, { default: true }), p("timeout", cv.semTimeout, { default: null })], { style: "c" });
/** Arguments of `acquire()`: `()`, `(false)`, `(true, 0.5)`, `({ timeout: 0.5 })`. */
export type AcquireArgs = Bound<typeof ACQUIRE>;
const CONDITION_WAIT = sig("Condition.wait", [p("timeout", as<number | null>(), { default: null })], { method: true });
const CONDITION_WAIT_FOR = sig("Condition.wait_for", [p("predicate", as<() => unknown>()), p("timeout", as<number | null>(), { default: null })], { method: true });
const CONDITION_NOTIFY = sig("Condition.notify", [p("n", as<number>(), { default: 1 })], { method: true });
const EVENT_WAIT = sig("Event.wait", [p("timeout", as<number | null>(), { default: null })], { method: true });
/** Arguments of `wait(timeout=None)`: `()`, `(0.5)`, `({ timeout: 0.5 })`. */
export type WaitArgs = Bound<typeof EVENT_WAIT>;

/**
 * Binds acquire()'s arguments: [block, timeout]. After a failed try, `waitMs(a)` gives the
 * milliseconds to wait (OSError for a deadline that does not fit, as SemLock raises only when it
 * must sleep).
 */
function acquireArgs(args: AcquireArgs): [boolean, number | null] {
  return ACQUIRE.bind(args);
}
function waitMs(a: [boolean, number | null]): number {
  return cv.semWaitMs(a[0], a[1]);
}

function intArg(value: unknown): number {
  if (typeof value === "bigint") value = Number(value);
  if (typeof value === "boolean") value = value ? 1 : 0;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    const tn = typeof value === "number" ? "float" : typeof value === "string" ? "str" : value === null || value === undefined ? "NoneType" : typeof value;
    throw new TypeError(`'${tn}' object cannot be interpreted as an integer`);
  }
  if (value > sem.SEM_VALUE_MAX) throw new OverflowError("Python int too large to convert to C int");
  if (value < 0) throw new OSError(22, "Invalid argument");
  return value;
}

// --- Lock -----------------------------------------------------------------------------------

/**
 * A non-recursive lock: once a process has acquired it, later attempts to acquire it block
 * until it is released; any process may release it.
 */
export class Lock extends Acquirable {
  /** @internal shared lock word */
  readonly cells: Int32Array;
  /** @internal */
  readonly id: string;
  /** @internal how many times this process holds it (Python's SemLock count, process-local). */
  count = 0;

  constructor(state?: { cells: Int32Array; id: string }) {
    super();
    if (state) {
      this.cells = state.cells;
      this.id = state.id;
    } else {
      this.cells = new Int32Array(new SharedArrayBuffer(4));
      this.cells[0] = sem.kUnlocked;
      this.id = newSharedId();
      rememberShared(this.id, this);
    }
  }

  /**
   * Acquire the lock, blocking or non-blocking: `acquire()`, `acquire(false)`,
   * `acquire(true, 0.5)`, `acquire({ timeout: 0.5 })` (seconds).
   * @returns true if the lock was acquired, false on timeout or when `block` is false and it is held.
   */
  acquire(...args: AcquireArgs): boolean {
    // Fast path, one CAS: a free lock and no argument to validate.
    if (args.length === 0 && Atomics.compareExchange(this.cells, 0, sem.kUnlocked, sem.kLocked) === sem.kUnlocked) {
      this.count = 1;
      return true;
    }
    const a = acquireArgs(args);
    if (sem.lockTryAcquire(this.cells, 0) || (a[0] && sem.lockAcquire(this.cells, 0, waitMs(a)))) {
      this.count = 1;
      return true;
    }
    return false;
  }

  /** Non-blocking twin of `acquire()`: resolves when acquired (or false on timeout). */
  async acquire_async(...args: AcquireArgs): Promise<boolean> {
    const a = acquireArgs(args);
    if (sem.lockTryAcquire(this.cells, 0) || (a[0] && (await sem.lockAcquireAsync(this.cells, 0, waitMs(a))))) {
      this.count = 1;
      return true;
    }
    return false;
  }

  /**
   * Release the lock. May be called from any process, not only the one that acquired it.
   * @throws ValueError "semaphore or lock released too many times" when it is not locked.
   */
  release(): void {
    // One exchange releases and tells whether a waiter may sleep (see semlock.lockRelease).
    const prev = Atomics.exchange(this.cells, 0, sem.kUnlocked);
    if (prev !== sem.kLocked) {
      if (prev === sem.kUnlocked) throw new ValueError("semaphore or lock released too many times");
      Atomics.notify(this.cells, 0, 1);
    }
    this.count = 0;
  }

  /** `<Lock(owner=None)>`, `<Lock(owner=MainProcess)>`, `<Lock(owner=SomeOtherProcess)>`. */
  __repr__(): string {
    let name: string;
    if (this.count > 0) name = current().name;
    else if (sem.lockIsFree(this.cells, 0)) name = "None";
    else name = "SomeOtherProcess";
    return `<${this.constructor.name}(owner=${name})>`;
  }

  /** @internal */
  _isMine(): boolean {
    return this.count > 0;
  }

}

// --- RLock ----------------------------------------------------------------------------------

/** A recursive lock: the process that holds it may acquire it again; each acquire needs a release. */
export class RLock extends Lock {
  override acquire(...args: AcquireArgs): boolean {
    const a = args.length === 0 ? null : acquireArgs(args);
    if (this.count > 0) {
      this.count++;
      return true;
    }
    if (Atomics.compareExchange(this.cells, 0, sem.kUnlocked, sem.kLocked) === sem.kUnlocked) {
      this.count = 1;
      return true;
    }
    if (a === null ? sem.lockAcquire(this.cells, 0, Infinity) : a[0] && sem.lockAcquire(this.cells, 0, waitMs(a))) {
      this.count = 1;
      return true;
    }
    return false;
  }

  override async acquire_async(...args: AcquireArgs): Promise<boolean> {
    const a = acquireArgs(args);
    if (this.count > 0) {
      this.count++;
      return true;
    }
    if (sem.lockTryAcquire(this.cells, 0) || (a[0] && (await sem.lockAcquireAsync(this.cells, 0, waitMs(a))))) {
      this.count = 1;
      return true;
    }
    return false;
  }

  /**
   * Release one level of recursion.
   * @throws AssertionError "attempt to release recursive lock not owned by thread" when this
   * process does not hold it.
   */
  override release(): void {
    if (this.count <= 0) throw new AssertionError("attempt to release recursive lock not owned by thread");
    if (--this.count === 0) sem.lockRelease(this.cells, 0);
  }

  /** `<RLock(None, 0)>`, `<RLock(MainProcess, 3)>`, `<RLock(SomeOtherProcess, nonzero)>`. */
  override __repr__(): string {
    let name: string;
    let count: string | number;
    if (this.count > 0) [name, count] = [current().name, this.count];
    else if (sem.lockIsFree(this.cells, 0)) [name, count] = ["None", 0];
    else [name, count] = ["SomeOtherProcess", "nonzero"];
    return `<${this.constructor.name}(${name}, ${count})>`;
  }
}

// --- Semaphore ------------------------------------------------------------------------------

/** A counting semaphore: `acquire()` decrements, blocking at zero; `release()` increments. */
export class Semaphore extends Acquirable {
  /** @internal the value, and the sleeper count at sem.kSleepers */
  readonly cells: Int32Array;
  /** @internal */
  readonly id: string;
  /** @internal */
  readonly maxvalue: number;

  constructor(value: number = 1, state?: { cells: Int32Array; id: string; maxvalue: number }) {
    super();
    if (state) {
      this.cells = state.cells;
      this.id = state.id;
      this.maxvalue = state.maxvalue;
      return;
    }
    const v = intArg(value);
    this.cells = new Int32Array(new SharedArrayBuffer(4 * sem.kSemCells));
    this.cells[0] = v;
    this.maxvalue = this.boundFor(v);
    this.id = newSharedId();
    rememberShared(this.id, this);
  }

  /** @internal the largest value release() may reach. */
  protected boundFor(_value: number): number {
    return sem.SEM_VALUE_MAX;
  }

  /** Decrement the counter, waiting while it is zero (`timeout` in seconds). Returns false on timeout. */
  acquire(...args: AcquireArgs): boolean {
    if (args.length === 0 && sem.semTryAcquire(this.cells, 0)) return true;
    const a = acquireArgs(args);
    if (sem.semTryAcquire(this.cells, 0)) return true;
    return a[0] && sem.semAcquire(this.cells, 0, waitMs(a));
  }

  /** Non-blocking twin of `acquire()`. */
  async acquire_async(...args: AcquireArgs): Promise<boolean> {
    const a = acquireArgs(args);
    if (sem.semTryAcquire(this.cells, 0)) return true;
    return a[0] && sem.semAcquireAsync(this.cells, 0, waitMs(a));
  }

  /**
   * Increment the counter, waking one waiter.
   * @throws ValueError "semaphore or lock released too many times" past the maximum.
   */
  release(): void {
    if (!sem.semRelease(this.cells, 0, this.maxvalue)) throw new ValueError("semaphore or lock released too many times");
  }

  /** The current value of the counter. */
  get_value(): number {
    return Atomics.load(this.cells, 0);
  }

  /** `<Semaphore(value=2)>`. */
  __repr__(): string {
    return `<${this.constructor.name}(value=${this.get_value()})>`;
  }
}

/** A semaphore that cannot be released above its initial value. */
export class BoundedSemaphore extends Semaphore {
  protected override boundFor(value: number): number {
    return value;
  }
  /** `<BoundedSemaphore(value=2, maxvalue=2)>`. */
  override __repr__(): string {
    return `<${this.constructor.name}(value=${this.get_value()}, maxvalue=${this.maxvalue})>`;
  }
}

// --- Condition ------------------------------------------------------------------------------

/** How long notify() waits for a woken sleeper before deciding that it died (seconds). */
const kDeadWaiterSeconds = 2;

/**
 * A condition variable over a Lock or RLock (a new RLock by default).
 * Port of CPython's Condition: notify() wakes exactly the waiters asked for and waits until they
 * have woken.
 */
export class Condition extends Acquirable {
  /** @internal */
  readonly lock: Lock;
  /** @internal */
  readonly sleeping: Semaphore;
  /** @internal */
  readonly woken: Semaphore;
  /** @internal */
  readonly waitSem: Semaphore;
  /** @internal */
  readonly id: string;

  constructor(lock?: Lock | null, state?: { lock: Lock; sleeping: Semaphore; woken: Semaphore; waitSem: Semaphore; id: string }) {
    super();
    if (state) {
      ({ lock: this.lock, sleeping: this.sleeping, woken: this.woken, waitSem: this.waitSem, id: this.id } = state);
      return;
    }
    if (lock !== null && lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`Condition() lock must be a Lock or RLock, not ${typeof lock}`);
    }
    this.id = newSharedId();
    rememberShared(this.id, this);
    this.lock = lock ?? new RLock();
    this.sleeping = new Semaphore(0);
    this.woken = new Semaphore(0);
    this.waitSem = new Semaphore(0);
  }

  /** Acquire the underlying lock. */
  acquire(...args: AcquireArgs): boolean {
    return this.lock.acquire(...args);
  }
  /** Non-blocking twin of `acquire()`. */
  acquire_async(...args: AcquireArgs): Promise<boolean> {
    return this.lock.acquire_async(...args);
  }
  /** Release the underlying lock. */
  release(): void {
    this.lock.release();
  }

  #beginWait(): number {
    if (!this.lock._isMine()) throw new AssertionError("must acquire() condition before using wait()");
    this.sleeping.release(); // tell notify() that we are going to sleep
    const count = this.lock.count;
    for (let i = 0; i < count; i++) this.lock.release();
    return count;
  }

  #endWait(count: number): void {
    this.woken.release(); // tell notify() that we have woken
    for (let i = 0; i < count; i++) this.lock.acquire();
  }

  /**
   * Release the lock, wait until notified or until `timeout` seconds pass, then re-acquire it.
   * @returns false if the timeout expired.
   * @throws AssertionError "must acquire() condition before using wait()".
   */
  wait(...args: WaitArgs): boolean {
    const [timeout] = CONDITION_WAIT.bind(args);
    const count = this.#beginWait();
    try {
      return this.waitSem.acquire(true, timeout);
    } finally {
      this.#endWait(count);
    }
  }

  /** Non-blocking twin of `wait()`. */
  async wait_async(...args: WaitArgs): Promise<boolean> {
    const [timeout] = CONDITION_WAIT.bind(args);
    const count = this.#beginWait();
    try {
      return await this.waitSem.acquire_async(true, timeout);
    } finally {
      this.woken.release();
      for (let i = 0; i < count; i++) await this.lock.acquire_async();
    }
  }

  /**
   * Wake up to `n` waiting processes, and wait until they have woken.
   * @throws AssertionError "lock is not owned".
   */
  notify(...args: Bound<typeof CONDITION_NOTIFY>): void {
    const [n] = CONDITION_NOTIFY.bind(args);
    if (!this.lock._isMine()) throw new AssertionError("lock is not owned");
    if (this.waitSem.acquire(false)) throw new AssertionError("");
    // Account for waiters that timed out since the last notify: they woke without a wake-up.
    while (this.woken.acquire(false)) {
      if (!this.sleeping.acquire(false)) throw new AssertionError("notify: Bug in sleeping_count.acquire- res should not be False");
    }
    let sleepers = 0;
    while (sleepers < n && this.sleeping.acquire(false)) {
      this.waitSem.release(); // wake up one sleeper
      sleepers++;
    }
    if (sleepers) {
      for (let i = 0; i < sleepers; i++) {
        // Wait for a sleeper to wake. A sleeper that was terminated never will: a live one takes
        // its wake-up within microseconds of the release above, so a wake-up still unclaimed
        // after kDeadWaiterSeconds is taken back instead of waiting forever.
        while (!this.woken.acquire(true, kDeadWaiterSeconds)) {
          if (this.waitSem.acquire(false)) break;
        }
      }
      while (this.waitSem.acquire(false)) {
        // re-zero the wait semaphore in case some timeouts just happened
      }
    }
  }

  /** Wake every waiting process. */
  notify_all(): void {
    this.notify(Number.MAX_SAFE_INTEGER);
  }

  /**
   * Wait until `predicate()` is truthy or `timeout` seconds pass.
   * @returns the predicate's last value (falsy after a timeout).
   */
  wait_for<T>(...args: Bound<typeof CONDITION_WAIT_FOR, { predicate: () => T }>): T {
    const [predicate, rawTimeout] = CONDITION_WAIT_FOR.bind(args);
    let result = predicate() as T;
    if (result) return result;
    const timeout = cv.addTimeout(rawTimeout);
    const end = timeout === null ? null : performance.now() + timeout * 1000;
    while (!result) {
      let left: number | null = null;
      if (end !== null) {
        left = (end - performance.now()) / 1000;
        if (left <= 0) break;
      }
      this.wait(left);
      result = predicate() as T;
    }
    return result;
  }

  /** Non-blocking twin of `wait_for()`. */
  async wait_for_async<T>(...args: Bound<typeof CONDITION_WAIT_FOR, { predicate: () => T }>): Promise<T> {
    const [predicate, rawTimeout] = CONDITION_WAIT_FOR.bind(args);
    let result = predicate() as T;
    if (result) return result;
    const timeout = cv.addTimeout(rawTimeout);
    const end = timeout === null ? null : performance.now() + timeout * 1000;
    while (!result) {
      let left: number | null = null;
      if (end !== null) {
        left = (end - performance.now()) / 1000;
        if (left <= 0) break;
      }
      await this.wait_async(left);
      result = predicate() as T;
    }
    return result;
  }

  /** `<Condition(<RLock(None, 0)>, 0)>`: the lock and the number of sleepers. */
  __repr__(): string {
    const waiters = this.sleeping.get_value() - this.woken.get_value();
    return `<${this.constructor.name}(${this.lock.__repr__()}, ${waiters})>`;
  }
}

// --- Event ----------------------------------------------------------------------------------

const kEventSpins = 2000;

/** A flag that processes can set, clear and wait for. */
export class Event extends PyObject {
  /** @internal one word: the flag in bit 0, a count of set() calls above it (see set()). */
  readonly cells: Int32Array;
  /** @internal */
  readonly id: string;

  constructor(state?: { cells: Int32Array; id: string }) {
    super();
    if (state) {
      this.cells = state.cells;
      this.id = state.id;
    } else {
      this.cells = new Int32Array(new SharedArrayBuffer(4));
      this.id = newSharedId();
      rememberShared(this.id, this);
    }
  }

  /** True if the flag is set. */
  is_set(): boolean {
    return (Atomics.load(this.cells, 0) & 1) === 1;
  }

  /** Set the flag and wake every waiter. */
  set(): void {
    // Flag and count change in one compare-exchange. Two steps would let a waiter see the flag
    // before the count moved, clear() it, wait again, and then be woken by this set()'s late
    // count: a wait() that returns False with nobody having set the flag during it. The count
    // itself makes a set() followed at once by clear() still wake the waiters present, as
    // Python's notify_all() does.
    for (let v = Atomics.load(this.cells, 0); ; ) {
      const seen = Atomics.compareExchange(this.cells, 0, v, ((v + 2) | 1) | 0);
      if (seen === v) break;
      v = seen;
    }
    sem.wake(this.cells, 0);
  }

  /** Clear the flag. */
  clear(): void {
    Atomics.and(this.cells, 0, ~1);
  }

  /**
   * Block until the flag is set, or until `timeout` seconds pass.
   * @returns the flag: false after a timeout, never null.
   */
  wait(...args: WaitArgs): boolean {
    const [rawTimeout] = EVENT_WAIT.bind(args);
    const v = Atomics.load(this.cells, 0);
    if (v & 1) return true;
    // CPython checks the timeout only here, in Condition.wait() -> SemLock.acquire(True, timeout).
    const ms = cv.semWaitMs(true, cv.semTimeout(rawTimeout));
    // The word only changes from v (flag clear) through a set(): a set() after the load above
    // ends the wait, whatever clear() does next. A short spin first: a set() from a running peer
    // usually lands within microseconds, and a futex sleep + wake costs ~10 µs each way here.
    sem.waitUntilChanged(this.cells, 0, v, ms, kEventSpins);
    return this.is_set();
  }

  /** Non-blocking twin of `wait()`. */
  async wait_async(...args: WaitArgs): Promise<boolean> {
    const [rawTimeout] = EVENT_WAIT.bind(args);
    const v = Atomics.load(this.cells, 0);
    if (v & 1) return true;
    await sem.waitUntilChangedAsync(this.cells, 0, v, cv.semWaitMs(true, cv.semTimeout(rawTimeout)));
    return this.is_set();
  }

  /** `<Event at 0x7f… set>` / `<Event at 0x7f… unset>`. */
  __repr__(): string {
    return `<${this.constructor.name} at ${addressOf(this)} ${this.is_set() ? "set" : "unset"}>`;
  }
}

// --- reducers: how each primitive travels to a child ------------------------------------------

register("Lock", Lock, {
  reduce: (l: Lock) => ({ cells: l.cells, id: l.id }),
  rebuild: (s) => rebuildOnce(s.id, () => new Lock(s)),
});
register("RLock", RLock, {
  reduce: (l: RLock) => ({ cells: l.cells, id: l.id }),
  rebuild: (s) => rebuildOnce(s.id, () => new RLock(s)),
});
register("Semaphore", Semaphore, {
  reduce: (x: Semaphore) => ({ cells: x.cells, id: x.id, maxvalue: x.maxvalue }),
  rebuild: (s) => rebuildOnce(s.id, () => new Semaphore(0, s)),
});
register("BoundedSemaphore", BoundedSemaphore, {
  reduce: (x: BoundedSemaphore) => ({ cells: x.cells, id: x.id, maxvalue: x.maxvalue }),
  rebuild: (s) => rebuildOnce(s.id, () => new BoundedSemaphore(0, s)),
});
register("Event", Event, {
  reduce: (e: Event) => ({ cells: e.cells, id: e.id }),
  rebuild: (s) => rebuildOnce(s.id, () => new Event(s)),
});
register("Condition", Condition, {
  reduce: (c: Condition) => ({ lock: c.lock, sleeping: c.sleeping, woken: c.woken, waitSem: c.waitSem, id: c.id }),
  rebuild: (s) => rebuildOnce(s.id, () => new Condition(null, s)),
});
