// The objects a SyncManager's server holds, ported from what CPython's server process holds:
// threading.Lock/RLock/Semaphore/BoundedSemaphore/Condition/Event/Barrier, queue.Queue,
// managers.Namespace, managers.Value and array.array (Lib/threading.py, Lib/queue.py,
// Lib/multiprocessing/managers.py, Modules/arraymodule.c; PSF-2.0).
// Differs from Python: the server is one thread with an event loop, not a thread per client, so
// a call that would block (acquire, get, wait) returns a Promise that the server parks, replying
// when it settles; other clients are served meanwhile. "The calling thread" of RLock and
// Condition is the client connection on whose behalf the server runs the call (`caller()`).

import { addressOf } from "../shared/current.js";
import { repr } from "../shared/format.js";
import { PyObject } from "../shared/pyobject.js";
import { AttributeError, IndexError, OverflowError, RuntimeError, TypeError, ValueError } from "../shared/pyerrors.js";
import { register } from "../shared/reduction.js";
import { BrokenBarrierError, Empty, Full } from "../errors.js";
import { Slice } from "./wire.js";

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

/** Keyword names of referent methods, in positional order (how the server binds `kwds`). */
export const kKeywords = Symbol.for("multiprocessing-ts.managers.keywords");

// --- threading.Lock / RLock ----------------------------------------------------------------------

/** `threading.Lock`. */
export class ThreadingLock extends PyObject {
  static [kKeywords] = { acquire: ["blocking", "timeout"] };
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
  static [kKeywords] = { acquire: ["blocking", "timeout"] };
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
  static [kKeywords] = { acquire: ["blocking", "timeout"], release: ["n"] };
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
  static [kKeywords] = { acquire: ["blocking", "timeout"], wait: ["timeout"], notify: ["n"] };
  readonly _lock: ThreadingRLock | ThreadingLock;
  #waiters: Waiter<boolean>[] = [];
  constructor(lock: ThreadingRLock | ThreadingLock | null = null) {
    super();
    this._lock = lock ?? new ThreadingRLock();
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
  static [kKeywords] = { wait: ["timeout"] };
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
  static [kKeywords] = { wait: ["timeout"] };
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

interface QueueBlock {
  block?: boolean;
  timeout?: number | null;
}

/** `queue.Queue(maxsize=0)` (also what the manager's JoinableQueue is). */
export class StdQueue extends PyObject {
  static [kKeywords] = { put: ["item", "block", "timeout"], get: ["block", "timeout"] };
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
  put(item: unknown, block: boolean | QueueBlock = true, timeout: number | null = null): null | Promise<null> {
    if (typeof block === "object" && block !== null) ({ block = true, timeout = null } = block);
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
  get(block: boolean | QueueBlock = true, timeout: number | null = null): unknown {
    if (typeof block === "object" && block !== null) ({ block = true, timeout = null } = block);
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

// --- Namespace, Value, array --------------------------------------------------------------------

/** `multiprocessing.managers.Namespace`: attributes; repr lists the public ones, sorted. */
export class Namespace extends PyObject {
  constructor(kwds: Record<string, unknown> = {}) {
    super();
    Object.assign(this, kwds);
  }
  __getattribute__(name: string): unknown {
    if (!Object.hasOwn(this, name)) throw new AttributeError(`'Namespace' object has no attribute '${name}'`);
    return (this as any)[name];
  }
  __setattr__(name: string, value: unknown): void {
    (this as any)[name] = value;
  }
  __delattr__(name: string): void {
    if (!Object.hasOwn(this, name)) throw new AttributeError(`'Namespace' object has no attribute '${name}'`);
    delete (this as any)[name];
  }
  __repr__(): string {
    const items = Object.keys(this).filter((k) => !k.startsWith("_")).sort();
    return `Namespace(${items.map((k) => `${k}=${repr((this as any)[k])}`).join(", ")})`;
  }
}
register("managers.Namespace", Namespace, {
  reduce: (n: Namespace) => ({ ...n }),
  rebuild: (s: Record<string, unknown>) => new Namespace(s),
});

/** `multiprocessing.managers.Value(typecode, value)`: no type checking, as in CPython. */
export class Value extends PyObject {
  _typecode: string;
  _value: unknown;
  constructor(typecode: string, value: unknown, _lock: unknown = true) {
    super();
    this._typecode = typecode;
    this._value = value;
  }
  get(): unknown {
    return this._value;
  }
  set(value: unknown): void {
    this._value = value;
  }
  get value(): unknown {
    return this._value;
  }
  set value(v: unknown) {
    this._value = v;
  }
  __repr__(): string {
    return `Value(${repr(this._typecode)}, ${repr(this._value)})`;
  }
}
register("managers.Value", Value, {
  reduce: (v: Value) => [v._typecode, v._value],
  rebuild: (s: [string, unknown]) => new Value(s[0], s[1]),
});

const kTypecodes: Record<string, [number, number] | "float" | "char"> = {
  b: [-128, 127], B: [0, 255], h: [-32768, 32767], H: [0, 65535], i: [-2147483648, 2147483647], I: [0, 4294967295],
  l: [-(2 ** 63), 2 ** 63 - 1], L: [0, 2 ** 64 - 1], q: [-(2 ** 63), 2 ** 63 - 1], Q: [0, 2 ** 64 - 1], f: "float", d: "float", u: "char",
};

function pyTypeName(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  if (v === null || v === undefined) return "NoneType";
  if (Array.isArray(v)) return "list";
  return typeof v === "bigint" ? "int" : (v as object).constructor?.name ?? "object";
}

/** `array.array(typecode, initializer)`: what a manager's Array() holds. */
export class PyArray extends PyObject {
  readonly typecode: string;
  readonly items: unknown[] = [];
  constructor(typecode: string, sequence: Iterable<unknown> = [], _lock: unknown = true) {
    super();
    if (typeof typecode !== "string" || !Object.hasOwn(kTypecodes, typecode)) {
      throw new ValueError("bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d)");
    }
    this.typecode = typecode;
    for (const x of sequence) this.items.push(this.#check(x));
  }
  #check(v: unknown): unknown {
    const kind = kTypecodes[this.typecode]!;
    if (kind === "float") {
      if (typeof v !== "number" && typeof v !== "bigint") throw new TypeError(`must be real number, not ${pyTypeName(v)}`);
      return Number(v);
    }
    if (kind === "char") {
      if (typeof v !== "string" || [...v].length !== 1) throw new TypeError(`array item must be unicode character`);
      return v;
    }
    if (typeof v === "boolean") v = v ? 1 : 0;
    if (typeof v === "number" && !Number.isInteger(v)) throw new TypeError(`'float' object cannot be interpreted as an integer`);
    if (typeof v !== "number" && typeof v !== "bigint") throw new TypeError(`'${pyTypeName(v)}' object cannot be interpreted as an integer`);
    const [lo, hi] = kind;
    const signed = lo < 0;
    if (Number(v) > hi) throw new OverflowError(signed ? "signed integer is greater than maximum" : "unsigned integer is greater than maximum");
    if (Number(v) < lo) throw new OverflowError(signed ? "signed integer is less than minimum" : "unsigned integer is less than minimum");
    return v;
  }
  #index(i: number): number {
    if (typeof i !== "number" || !Number.isInteger(i)) throw new TypeError("array indices must be integers");
    const j = i < 0 ? i + this.items.length : i;
    if (j < 0 || j >= this.items.length) throw new IndexError("array index out of range");
    return j;
  }
  __len__(): number {
    return this.items.length;
  }
  __getitem__(i: number | Slice): unknown {
    if (i instanceof Slice) return new PyArray(this.typecode, i.range(this.items.length).map((k) => this.items[k]));
    return this.items[this.#index(i)];
  }
  __setitem__(i: number | Slice, v: unknown): void {
    if (i instanceof Slice) {
      const idx = i.range(this.items.length);
      const src = v instanceof PyArray ? v.items : [...(v as Iterable<unknown>)];
      if (idx.length !== src.length) throw new ValueError(`attempt to assign array of size ${src.length} to extended slice of size ${idx.length}`);
      idx.forEach((k, n) => (this.items[k] = this.#check(src[n])));
      return;
    }
    const j = this.#index(i);
    this.items[j] = this.#check(v);
  }
  tolist(): unknown[] {
    return [...this.items];
  }
  [Symbol.iterator](): Iterator<unknown> {
    return this.items[Symbol.iterator]();
  }
  get length(): number {
    return this.items.length;
  }
  __repr__(): string {
    if (this.items.length === 0) return `array('${this.typecode}')`;
    return `array('${this.typecode}', ${repr(this.items)})`;
  }
}
register("managers.array", PyArray, {
  reduce: (a: PyArray) => [a.typecode, a.items],
  rebuild: (s: [string, unknown[]]) => new PyArray(s[0], s[1]),
});
