// Port of CPython Lib/multiprocessing/sharedctypes.py (PSF-2.0): CScalar, CArray, Value,
// Array, copy, synchronized, over SharedArrayBuffers.
// Differs from Python: shared Arrays are Proxies over typed arrays (indexing with negative
// indices as in Python); `get_obj()` of an Array is the raw typed array, for full-speed loops;
// reading or writing one element of a synchronized object skips the lock when this process
// already holds it (Python would deadlock on a plain Lock there).

import { addressOf } from "./shared/current.js";
import { ctypeOf, reprScalar, type CType } from "./shared/ctypes.js";
import { repr } from "./shared/format.js";
import { AssertionError, AttributeError, IndexError, TypeError, ValueError } from "./shared/pyerrors.js";
import { newSharedId, register, rebuildOnce, rememberShared } from "./shared/reduction.js";
import { Lock, RLock } from "./synchronize.js";
import { Acquirable, PyObject } from "./shared/pyobject.js";
import { kLocked, kUnlocked, lockRelease } from "./shared/semlock.js";

export { ctypes } from "./shared/ctypes.js";
export type { CTypeRef } from "./shared/ctypes.js";

/** A lock-like object accepted as `lock=`: anything with acquire() and release(). */
export interface LockLike {
  acquire(...args: any[]): boolean;
  release(): void;
}

/** Keyword arguments of Value() and Array(). */
export interface SynchronizedOptions {
  /** true/null: a new RLock; a lock object: that lock; false: a raw object without a lock. */
  lock?: boolean | null | LockLike;
}

const kView = Symbol("view");
const kType = Symbol("ctype");
const kId = Symbol("id");

// --- raw objects ---------------------------------------------------------------------------

/** A C scalar in shared memory (what `RawValue('i', 5)` returns; prints as `c_int(5)`). */
export class CScalar extends PyObject {
  /** @internal */
  readonly [kView]: any;
  /** @internal */
  readonly [kType]: CType;
  /** @internal */
  readonly [kId]: string;

  readonly #view: any;
  readonly #type: CType;
  /** Numbers are stored and read as they are (the codes b B h H i I f d). */
  readonly #plain: boolean;
  readonly #float: boolean;

  /** @internal use the RawValue() factory */
  constructor(type: CType, view: any, id: string) {
    super();
    this[kType] = this.#type = type;
    this[kView] = this.#view = view;
    this[kId] = id;
    this.#plain = isPlainCode(type.code);
    this.#float = type.code === "f" || type.code === "d";
  }
  /** The value. 8-byte integer codes read as bigint; integer codes wrap like C on write. */
  get value(): any {
    return this.#plain ? this.#view[0] : this.#type.fromRaw(this.#view[0]);
  }
  set value(v: any) {
    // Fast path: a number the typed array stores exactly as Python would (integers wrap).
    if (this.#plain && typeof v === "number" && (this.#float || Number.isInteger(v))) this.#view[0] = v;
    else this.#view[0] = this.#type.toRaw(v);
  }
  /** `c_int(5)`. */
  __repr__(): string {
    return reprScalar(this[kType], this.value);
  }
}

function isPlainCode(code: string): boolean {
  return "bBhHiIfd".includes(code);
}

function sliceIndices(length: number, start?: number | null, stop?: number | null, step?: number | null): number[] {
  const st = step ?? 1;
  if (st === 0) throw new ValueError("slice step cannot be zero");
  for (const v of [start, stop, step]) {
    if (v !== null && v !== undefined && !Number.isInteger(v)) throw new TypeError("slice indices must be integers or None or have an __index__ method");
  }
  const [lower, upper] = st > 0 ? [0, length] : [-1, length - 1];
  const clamp = (v: number | null | undefined, dflt: number): number => {
    if (v === null || v === undefined) return dflt;
    if (v < 0) return Math.max(v + length, lower);
    return Math.min(v, upper);
  };
  const a = clamp(start, st > 0 ? lower : upper);
  const b = clamp(stop, st > 0 ? upper : lower);
  const out: number[] = [];
  if (st > 0) for (let i = a; i < b; i += st) out.push(i);
  else for (let i = a; i > b; i += st) out.push(i);
  return out;
}

/** Python's slice(start, stop).indices(length) for a step of 1. */
function sliceBounds(length: number, start?: number | null, stop?: number | null): [number, number] {
  for (const v of [start, stop]) {
    if (v !== null && v !== undefined && !Number.isInteger(v)) throw new TypeError("slice indices must be integers or None or have an __index__ method");
  }
  const clamp = (v: number | null | undefined, dflt: number) => (v === null || v === undefined ? dflt : v < 0 ? Math.max(0, v + length) : Math.min(v, length));
  return [clamp(start, 0), clamp(stop, length)];
}


/** True if every value is a number a plain code stores as it is (any number for a float code, an integer otherwise). */
function storableAsIs(values: unknown[], float: boolean): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || (!float && !Number.isInteger(v))) return false;
  }
  return true;
}

function isIndexKey(k: string | symbol): k is string {
  if (typeof k !== "string") return false;
  const c = k.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 45; // a digit or '-'
}

// The traps are on every element access: they test the key's first character only, and leave
// the rest (range, integer check, conversion, lock) to the array's own _get/_set.
const arrayHandler: ProxyHandler<any> = {
  get(t, k) {
    if (typeof k === "string") {
      const c = k.charCodeAt(0);
      if (c < 58 && (c > 47 || c === 45)) return t._get(k);
    }
    return t[k];
  },
  set(t, k, v) {
    if (typeof k === "string") {
      const c = k.charCodeAt(0);
      if (c < 58 && (c > 47 || c === 45)) {
        t._set(k, v);
        return true;
      }
    }
    t[k] = v;
    return true;
  },
  has(t, k) {
    if (isIndexKey(k)) {
      const i = Number(k);
      return Number.isInteger(i) && i >= 0 && i < t[kView].length;
    }
    return k in t;
  },
  deleteProperty(t, k) {
    if (isIndexKey(k)) throw new AttributeError(`'${t.constructor.name}' object has no attribute '__delitem__'`);
    return delete t[k];
  },
};

/** A C array in shared memory (what `RawArray()` returns): index it like a Python list (`a[i]`, `a[-1]`, `a.slice(1, 3)`). */
export class CArray extends PyObject implements Iterable<any> {
  /** @internal */
  readonly [kView]: any;
  /** @internal */
  readonly [kType]: CType;
  /** @internal */
  readonly [kId]: string;
  [index: number]: any;

  /** @internal the typed array (a plain field: methods run with the Proxy as `this`). */
  readonly _v: any;
  /** @internal */
  readonly _t: CType;
  /** @internal numbers are stored and read as they are */
  readonly _plain: boolean;
  /** @internal a float code: any number is stored as it is */
  readonly _float: boolean;

  /** @internal the lock of a synchronized array (null for a raw one) */
  readonly _lock: LockLike | null;
  /** @internal the lock when it is one of ours (its word is taken directly) */
  readonly _ours: Lock | null;

  /** @internal use the RawArray() factory */
  constructor(type: CType, view: any, id: string, lock: LockLike | null = null) {
    super();
    this[kType] = this._t = type;
    this[kView] = this._v = view;
    this[kId] = id;
    this._plain = isPlainCode(type.code);
    this._float = type.code === "f" || type.code === "d";
    this._lock = lock;
    this._ours = lock instanceof Lock ? lock : null;
    return new Proxy(this, arrayHandler);
  }

  /** @internal the index for key `k` (a string, from the Proxy), or Python's errors. */
  _index(k: string): number {
    const n = this._v.length;
    let i = +k;
    if (i < 0) i += n;
    if (i >= 0 && i < n && Number.isInteger(i)) return i;
    if (!Number.isInteger(+k)) throw new TypeError("indices must be integers");
    throw new IndexError("invalid index");
  }

  /** @internal element `k`; a synchronized array takes its lock for the access, as Python's does. */
  _get(k: string): any {
    // Inlined index check (this runs on every a[i]): an integer in range after adding the length
    // to a negative index.
    const v = this._v;
    const n = v.length;
    let i = +k;
    if (i < 0) i += n;
    if (!(i >= 0 && i < n && (i | 0) === i)) i = this._index(k);
    const l = this._ours;
    let x: any;
    if (l !== null) {
      if (l.count > 0) x = v[i];
      else if (Atomics.compareExchange(l.cells, 0, kUnlocked, kLocked) === kUnlocked) {
        // Our own lock, free: one CAS to take it, one exchange to give it back.
        x = v[i];
        if (Atomics.exchange(l.cells, 0, kUnlocked) !== kLocked) Atomics.notify(l.cells, 0, 1);
      } else x = locked(l, () => v[i]);
    } else if (this._lock === null) x = v[i];
    else x = locked(this._lock, () => v[i]);
    return this._plain ? x : this._t.fromRaw(x);
  }

  /** @internal */
  _set(k: string, value: unknown): void {
    const v = this._v;
    const n = v.length;
    let i = +k;
    if (i < 0) i += n;
    if (!(i >= 0 && i < n && (i | 0) === i)) i = this._index(k);
    const x = this._plain && typeof value === "number" && (this._float || Number.isInteger(value)) ? value : this._t.toRaw(value);
    const l = this._ours;
    if (l !== null) {
      if (l.count > 0) v[i] = x;
      else if (Atomics.compareExchange(l.cells, 0, kUnlocked, kLocked) === kUnlocked) {
        v[i] = x;
        if (Atomics.exchange(l.cells, 0, kUnlocked) !== kLocked) Atomics.notify(l.cells, 0, 1);
      } else locked(l, () => (v[i] = x));
    } else if (this._lock === null) v[i] = x;
    else locked(this._lock, () => (v[i] = x));
  }

  /** The number of elements. */
  get length(): number {
    return this[kView].length;
  }
  /** Python's `len(a)`. */
  __len__(): number {
    return this[kView].length;
  }
  /** @internal element `i` (already normalized). */
  _getitem(i: number): any {
    return this[kType].fromRaw(this[kView][i]);
  }
  /** @internal */
  _setitem(i: number, v: unknown): void {
    this[kView][i] = this[kType].toRaw(v);
  }
  /** Iterates over the elements. */
  *[Symbol.iterator](): Iterator<any> {
    const n = this[kView].length;
    for (let i = 0; i < n; i++) yield this._getitem(i);
  }
  /**
   * Python's `a[start:stop:step]`: a new plain array (a Buffer for 'c' arrays, a string for 'u').
   * Negative and out-of-range bounds behave as in Python.
   */
  slice(start?: number | null, stop?: number | null, step?: number | null): any {
    if ((step === null || step === undefined || step === 1) && this._plain) {
      const [a, b] = sliceBounds(this._v.length, start, stop);
      // A plain loop: Array.from() over a typed array goes through its iterator, ~8x slower.
      const v = this._v;
      const out = new Array<number>(Math.max(0, b - a));
      for (let i = 0; i < out.length; i++) out[i] = v[a + i];
      return out;
    }
    const items = sliceIndices(this[kView].length, start, stop, step).map((i) => this._getitem(i));
    if (this[kType].code === "c") return Buffer.concat(items);
    if (this[kType].code === "u") return items.join("");
    return items;
  }
  /**
   * Python's `a[start:stop] = seq` (`set_slice(start, stop, seq)`) or, with a step,
   * `a[start:stop:step] = seq` (`set_slice(start, stop, step, seq)`).
   * @throws ValueError "Can only assign sequence of same size".
   */
  set_slice(start: number | null | undefined, stop: number | null | undefined, stepOrSeq: number | null | Iterable<unknown>, seq?: Iterable<unknown>): void {
    let step: number | null = null;
    if (seq === undefined) seq = stepOrSeq as Iterable<unknown>;
    else step = stepOrSeq as number | null;
    const values = Array.isArray(seq) ? seq : [...seq];
    const v = this._v;
    let first = 0;
    let idx: number[] | null = null;
    if (step === null || step === undefined || step === 1) {
      const [a, b] = sliceBounds(v.length, start, stop);
      first = a;
      if (values.length !== Math.max(0, b - a)) throw new ValueError("Can only assign sequence of same size");
    } else {
      idx = sliceIndices(v.length, start, stop, step);
      if (values.length !== idx.length) throw new ValueError("Can only assign sequence of same size");
    }
    if (idx === null && this._plain && storableAsIs(values, this._float)) {
      v.set(values, first); // numbers a plain code stores as they are: no conversion, no copy
      return;
    }
    // Item by item, as ctypes assigns them: the items before a bad one are stored.
    const t = this._t;
    for (let k = 0; k < values.length; k++) {
      const x = values[k];
      v[idx === null ? first + k : idx[k]!] = this._plain && typeof x === "number" && (this._float || Number.isInteger(x)) ? x : t.toRaw(x);
    }
  }
  /** `<multiprocessing.sharedctypes.c_int_Array_3 object at 0x7f…>`. */
  __repr__(): string {
    return `<multiprocessing.sharedctypes.${this[kType].name}_Array_${this.length} object at ${addressOf(this)}>`;
  }
}

// --- synchronized wrappers ----------------------------------------------------------------------

function holds(lock: LockLike): boolean {
  return typeof (lock as any)._isMine === "function" && (lock as any)._isMine();
}

/** Runs `fn` under `lock`, unless this process already holds it. */
function locked<T>(lock: LockLike, fn: () => T): T {
  if (holds(lock)) return fn();
  lock.acquire();
  try {
    return fn();
  } finally {
    lock.release();
  }
}

/** What `Value()` returns: a shared C scalar and the lock that guards it. */
export class Synchronized<T = any> extends Acquirable {
  readonly #obj: CScalar;
  readonly #lock: LockLike;
  /** The lock when it is one of ours (its word can be taken directly). */
  readonly #ours: Lock | null;
  /** @internal */
  constructor(obj: CScalar, lock: LockLike) {
    super();
    this.#obj = obj;
    this.#lock = lock;
    this.#ours = lock instanceof Lock ? lock : null;
  }
  /** The value; each read and write takes the lock (`v.value += 1` is two locked steps: hold `get_lock()` around it). */
  get value(): T {
    const l = this.#ours;
    if (l !== null) {
      if (l.count > 0) return this.#obj.value;
      // Our own lock, free: take it with one CAS, read, release (no closure, no call chain).
      if (Atomics.compareExchange(l.cells, 0, kUnlocked, kLocked) === kUnlocked) {
        try {
          return this.#obj.value;
        } finally {
          lockRelease(l.cells, 0);
        }
      }
    }
    return locked(this.#lock, () => this.#obj.value);
  }
  set value(v: T | number | bigint | boolean | Uint8Array | string) {
    const l = this.#ours;
    if (l !== null) {
      if (l.count > 0) {
        this.#obj.value = v;
        return;
      }
      if (Atomics.compareExchange(l.cells, 0, kUnlocked, kLocked) === kUnlocked) {
        try {
          this.#obj.value = v;
        } finally {
          lockRelease(l.cells, 0);
        }
        return;
      }
    }
    locked(this.#lock, () => (this.#obj.value = v));
  }
  /** The raw object (`c_int(5)`). */
  get_obj(): CScalar {
    return this.#obj;
  }
  /** The lock that guards the value: a new RLock by default, or the `lock` option's object. */
  get_lock(): Lock {
    return this.#lock as Lock;
  }
  /** Acquires the lock. */
  acquire(...args: any[]): boolean {
    return this.#lock.acquire(...args);
  }
  /** Releases the lock. */
  release(): void {
    this.#lock.release();
  }
  /** `<Synchronized wrapper for c_int(0)>`. */
  __repr__(): string {
    return `<${this.constructor.name} wrapper for ${this.#obj.__repr__()}>`;
  }
}

/** What `Array()` returns: a shared C array and the lock that guards it. */
export class SynchronizedArray<T = any> extends CArray {
  /** @internal */
  declare readonly _lock: LockLike;
  /** @internal */
  constructor(type: CType, view: any, id: string, lock: LockLike) {
    super(type, view, id, lock);
  }
  override _getitem(i: number): T {
    return locked(this._lock, () => super._getitem(i));
  }
  override _setitem(i: number, v: unknown): void {
    locked(this._lock, () => super._setitem(i, v));
  }
  override slice(start?: number | null, stop?: number | null, step?: number | null): any {
    return locked(this._lock, () => super.slice(start, stop, step));
  }
  override set_slice(start: number | null | undefined, stop: number | null | undefined, stepOrSeq: number | null | Iterable<unknown>, seq?: Iterable<unknown>): void {
    locked(this._lock, () => super.set_slice(start, stop, stepOrSeq, seq));
  }
  /** The raw typed array over the shared memory: no lock, no checks, full speed. */
  get_obj(): any {
    return this[kView];
  }
  /** The lock that guards the array: a new RLock by default, or the `lock` option's object. */
  get_lock(): Lock {
    return this._lock as Lock;
  }
  /** Acquires the lock. */
  acquire(...args: any[]): boolean {
    return this._lock.acquire(...args);
  }
  /** Releases the lock. */
  release(): void {
    this._lock.release();
  }
  /** `with a:` — the same as `with a.get_lock():` (Python's context manager protocol). */
  declare with: Acquirable["with"];
  /** Python's `__enter__`. */
  declare __enter__: Acquirable["__enter__"];
  /** Python's `__exit__`. */
  declare __exit__: Acquirable["__exit__"];
  declare [Symbol.dispose]: Acquirable[typeof Symbol.dispose];
  /** `<SynchronizedArray wrapper for <multiprocessing.sharedctypes.c_int_Array_10 object at 0x7f…>>`. */
  override __repr__(): string {
    return `<${this.constructor.name} wrapper for ${super.__repr__()}>`;
  }
}

/** What `Array('c', ...)` returns: a synchronized byte string with `.value` and `.raw`. */
export class SynchronizedString extends SynchronizedArray<Buffer> {
  /** The bytes up to the first NUL. */
  get value(): Buffer {
    return locked(this._lock, () => {
      const v = this[kView] as Uint8Array;
      const end = v.indexOf(0);
      return Buffer.from(v.subarray(0, end < 0 ? v.length : end));
    });
  }
  set value(b: Uint8Array) {
    const bytes = checkBytes(b, this.length);
    locked(this._lock, () => {
      const v = this[kView] as Uint8Array;
      v.set(bytes);
      if (bytes.length < v.length) v[bytes.length] = 0;
    });
  }
  /** All the bytes of the array. */
  get raw(): Buffer {
    return locked(this._lock, () => Buffer.from(this[kView] as Uint8Array));
  }
  set raw(b: Uint8Array) {
    const bytes = checkBytes(b, this.length);
    locked(this._lock, () => (this[kView] as Uint8Array).set(bytes));
  }
}

function checkBytes(b: unknown, length: number): Uint8Array {
  if (typeof b === "string") throw new TypeError("bytes expected instead of str instance");
  if (!(b instanceof Uint8Array)) throw new TypeError(`bytes expected instead of ${(b as any)?.constructor?.name ?? typeof b} instance`);
  if (b.length > length) throw new ValueError("byte string too long");
  return b;
}

// A synchronized array is a CArray (for the Proxy) and a context manager over its lock.
for (const key of ["with", "__enter__", "__exit__", Symbol.dispose] as const) {
  Object.defineProperty(SynchronizedArray.prototype, key, Object.getOwnPropertyDescriptor(Acquirable.prototype, key)!);
}

// --- factories --------------------------------------------------------------------------------

function isOptions(v: unknown): v is SynchronizedOptions {
  if (v === null || typeof v !== "object" || v instanceof Uint8Array || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return (p === Object.prototype || p === null) && Object.keys(v).every((k) => k === "lock" || k === "ctx");
}

/** Bytes before a synchronized value, for its lock word: the lock and the value share a cache line. */
const kLockSlot = 8;

function newRawValue(type: CType, value: unknown, withLockSlot = false): CScalar {
  const view = withLockSlot ? new type.view(new SharedArrayBuffer(kLockSlot + type.size), kLockSlot, 1) : new type.view(new SharedArrayBuffer(type.size));
  const v = new CScalar(type, view, newSharedId());
  if (value !== undefined) v.value = value;
  rememberShared(v[kId], v);
  return v;
}

function newRawArray(type: CType, sizeOrInit: unknown): CArray {
  let values: unknown[] | null = null;
  let length: number;
  if (typeof sizeOrInit === "number" || typeof sizeOrInit === "bigint") {
    length = Number(sizeOrInit);
    if (!Number.isInteger(length)) throw new TypeError("object of type 'float' has no len()");
    if (length < 0) throw new ValueError(`Array length must be >= 0, not ${length}`);
  } else if (sizeOrInit !== null && typeof sizeOrInit === "object" && Symbol.iterator in sizeOrInit) {
    values = [...(sizeOrInit as Iterable<unknown>)];
    if (type.code === "c" && sizeOrInit instanceof Uint8Array) values = [...sizeOrInit].map((b) => b);
    length = values.length;
  } else if (typeof sizeOrInit === "string" && type.code === "u") {
    values = [...sizeOrInit];
    length = values.length;
  } else {
    const tn = sizeOrInit === null || sizeOrInit === undefined ? "NoneType" : typeof sizeOrInit === "string" ? "str" : typeof sizeOrInit;
    throw new TypeError(`object of type '${tn}' has no len()`);
  }
  const view = new type.view(new SharedArrayBuffer(Math.max(1, length) * type.size), 0, length);
  if (values) for (let i = 0; i < length; i++) view[i] = type.toRaw(values[i]) as never;
  const a = new CArray(type, view, newSharedId());
  rememberShared(a[kId], a);
  return a;
}

function lockFor(lock: SynchronizedOptions["lock"]): LockLike | null {
  if (lock === false) return null;
  if (lock === undefined || lock === null || lock === true || (lock as unknown) === 1) return new RLock();
  if (typeof (lock as any)?.acquire !== "function") throw new AttributeError(`${repr(lock)} has no method 'acquire'`);
  return lock as LockLike;
}

/** The value type a typecode reads as. */
export type ValueOf<C> = C extends "q" | "Q" | "l" | "L" ? bigint : C extends "c" ? Buffer : C extends "u" ? string : C extends "?" ? boolean : number;

/**
 * Returns a ctypes object allocated from shared memory, without a lock: `RawValue('i', 5)`.
 * @throws TypeError "this type has no size" for an unknown typecode.
 */
export function rawValue<C extends string>(typecodeOrType: C | import("./shared/ctypes.js").CTypeRef, ...args: unknown[]): CScalar {
  if (args.length > 1) throw new TypeError(`__init__ expected at most 1 argument, got ${args.length}`);
  return newRawValue(ctypeOf(typecodeOrType), args[0]);
}

/** Returns a ctypes array allocated from shared memory, without a lock: `RawArray('i', 10)` or `RawArray('i', [1, 2])`. */
export function rawArray(typecodeOrType: string | import("./shared/ctypes.js").CTypeRef, sizeOrInitializer: number | Iterable<unknown>): CArray {
  return newRawArray(ctypeOf(typecodeOrType), sizeOrInitializer);
}

/**
 * Returns a synchronized shared object: `Value('i', 0)`, `Value('d', 1.5, { lock: false })`.
 * @throws TypeError for an unknown typecode or a value of the wrong type; AttributeError for a bad lock.
 */
export function value<C extends string>(typecodeOrType: C | import("./shared/ctypes.js").CTypeRef, ...args: unknown[]): Synchronized<ValueOf<C>> {
  const opts = args.length && isOptions(args[args.length - 1]) ? (args.pop() as SynchronizedOptions) : {};
  const l = opts.lock;
  if (l === undefined || l === null || l === true || (l as unknown) === 1) {
    // The default RLock lives in the same buffer as the value: `with v.get_lock(): v.value += 1`
    // then moves one cache line between processes instead of two.
    if (args.length > 1) throw new TypeError(`__init__ expected at most 1 argument, got ${args.length}`);
    const obj = newRawValue(ctypeOf(typecodeOrType), args[0], true);
    const cells = new Int32Array(obj[kView].buffer, 0, 1);
    cells[0] = kUnlocked;
    return new Synchronized(obj, new RLock({ cells, id: newSharedId() })) as Synchronized<ValueOf<C>>;
  }
  const obj = rawValue(typecodeOrType, ...args);
  const lock = lockFor(opts.lock);
  return (lock === null ? obj : new Synchronized(obj, lock)) as Synchronized<ValueOf<C>>;
}

/**
 * Returns a synchronized shared array: `Array('i', 10)`, `Array('i', range(10))`, `Array('c', Buffer.from('hi'))`.
 * @throws ValueError "Array length must be >= 0, not -1"; TypeError for bad types.
 */
export function array<C extends string>(typecodeOrType: C | import("./shared/ctypes.js").CTypeRef, sizeOrInitializer: number | Iterable<unknown>, options: SynchronizedOptions = {}): SynchronizedArray<ValueOf<C>> {
  const raw = rawArray(typecodeOrType, sizeOrInitializer);
  const lock = lockFor(options.lock);
  if (lock === null) return raw as SynchronizedArray<ValueOf<C>>;
  return wrapArray(raw, lock) as SynchronizedArray<ValueOf<C>>;
}

function wrapArray(raw: CArray, lock: LockLike): SynchronizedArray {
  const t = raw[kType];
  const Cls = t.code === "c" ? SynchronizedString : SynchronizedArray;
  return new Cls(t, raw[kView], raw[kId], lock);
}

/** Returns a new shared object with a copy of `obj`'s contents (no lock). */
export function copy<T extends CScalar | CArray>(obj: T): T {
  const t = obj[kType];
  const view = new t.view(new SharedArrayBuffer(Math.max(1, obj[kView].length) * t.size), 0, obj[kView].length);
  view.set(obj[kView]);
  const out = obj instanceof CArray ? new CArray(t, view, newSharedId()) : new CScalar(t, view, newSharedId());
  return out as T;
}

/**
 * Wraps a raw shared object with a lock: `synchronized(RawValue('i', 1))`.
 * @throws AssertionError "object already synchronized".
 */
export function synchronized(obj: CScalar | CArray, lock?: LockLike | null): Synchronized | SynchronizedArray {
  if (obj instanceof Synchronized || obj instanceof SynchronizedArray) throw new AssertionError("object already synchronized");
  const l = lock ?? new RLock();
  return obj instanceof CArray ? wrapArray(obj, l) : new Synchronized(obj, l);
}

// --- reducers ----------------------------------------------------------------------------------

function viewState(o: CScalar | CArray) {
  return { code: o[kType].code, view: o[kView], id: o[kId] };
}

register("RawValue", CScalar, {
  reduce: viewState,
  rebuild: (s) => rebuildOnce(s.id, () => new CScalar(ctypeOf(s.code), s.view, s.id)),
});
register("RawArray", CArray, {
  reduce: viewState,
  rebuild: (s) => rebuildOnce(s.id, () => new CArray(ctypeOf(s.code), s.view, s.id)),
});
register("Synchronized", Synchronized, {
  reduce: (v: Synchronized) => ({ obj: v.get_obj(), lock: v.get_lock(), id: v.get_obj()[kId] + "/s" }),
  rebuild: (s) => rebuildOnce(s.id, () => new Synchronized(s.obj, s.lock)),
});
for (const [name, Cls] of [["SynchronizedArray", SynchronizedArray], ["SynchronizedString", SynchronizedString]] as const) {
  register(name, Cls, {
    reduce: (a: SynchronizedArray) => ({ ...viewState(a), lock: a._lock }),
    rebuild: (s) => rebuildOnce(s.id + "/s", () => new Cls(ctypeOf(s.code), s.view, s.id, s.lock)),
  });
}
export type { Lock };

/** Python's `sharedctypes.RawValue(typecode_or_type, *args)`. */
export const RawValue = rawValue;
/** Python's `sharedctypes.RawArray(typecode_or_type, size_or_initializer)`. */
export const RawArray = rawArray;
/** Python's `sharedctypes.Value(typecode_or_type, *args, lock=True)`. */
export const Value = value;
/** Python's `sharedctypes.Array(typecode_or_type, size_or_initializer, *, lock=True)`. */
const SharedArray = array;
export { SharedArray as Array };
