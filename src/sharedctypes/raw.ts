// Part of the sharedctypes module (CPython Lib/multiprocessing/sharedctypes.py, PSF-2.0): the
// raw C objects in shared memory, CScalar (RawValue) and CArray (RawArray), and how a
// synchronized one takes its lock for a single access. sharedctypes.ts builds the synchronized
// wrappers, the factories and the reducers on them.

import { addressOf } from "../shared/current.js";
import { reprScalar, type CType } from "../shared/ctypes.js";
import { AttributeError, IndexError, TypeError, ValueError } from "../shared/pyerrors.js";
import { Lock } from "../synchronize.js";
import { PyObject } from "../shared/pyobject.js";
import { kLocked, kUnlocked } from "../shared/semlock.js";

/** A lock-like object accepted as `lock=`: anything with acquire() and release(). */
export interface LockLike {
  acquire(...args: any[]): boolean;
  release(): void;
}

/** @internal the typed array under a raw object. */
export const kView = Symbol("view");
/** @internal the C type of a raw object. */
export const kType = Symbol("ctype");
/** @internal the shared id of a raw object. */
export const kId = Symbol("id");

// --- raw objects ---------------------------------------------------------------------------

/**
 * A C scalar in shared memory (what `RawValue('i', 5)` returns; prints as `c_int(5)`). `T` is
 * what `.value` reads as, `In` what it accepts (see `Typecodes`).
 */
export class CScalar<T = any, In = T> extends PyObject {
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
  get value(): T {
    return this.#plain ? this.#view[0] : (this.#type.fromRaw(this.#view[0]) as T);
  }
  set value(v: In) {
    // Fast path: a number the typed array stores exactly as Python would (integers wrap).
    if (this.#plain && typeof v === "number" && (this.#float || Number.isSafeInteger(v))) this.#view[0] = v;
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
    if (typeof v !== "number" || (!float && !Number.isSafeInteger(v))) return false;
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
// JavaScript turns every key into a string: a[true] is a["true"], a[NaN] is a["NaN"]. Python
// indexes with True as 1 and refuses None, NaN and other non-integers: so do we, rather than
// setting (or reading) a property of that name and losing the value.
const kBoolKeys: Record<string, string> = { true: "1", false: "0" };
const kBadKeys = new Set(["NaN", "null", "undefined", "Infinity"]);

const arrayHandler: ProxyHandler<any> = {
  get(t, k) {
    if (typeof k === "string") {
      const c = k.charCodeAt(0);
      if (c < 58 && (c > 47 || c === 45)) return t._get(k);
      const v = t[k];
      if (v === undefined && !(k in t)) {
        if (k in kBoolKeys) return t._get(kBoolKeys[k]);
        if (kBadKeys.has(k)) throw new TypeError("indices must be integers");
      }
      return v;
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
      if (!(k in t)) {
        if (k in kBoolKeys) {
          t._set(kBoolKeys[k], v);
          return true;
        }
        throw new TypeError("indices must be integer");
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
    if (isIndexKey(k)) {
      if (t._lock !== null) throw new AttributeError(`'${t.constructor.name}' object has no attribute '__delitem__'`);
      throw new TypeError("Array does not support item deletion"); // a raw ctypes array
    }
    return delete t[k];
  },
};

/**
 * A C array in shared memory (what `RawArray()` returns): index it like a Python list (`a[i]`,
 * `a[-1]`, `a.slice(1, 3)`). `T` is what an element reads as.
 */
export class CArray<T = any> extends PyObject implements Iterable<T> {
  /** @internal */
  readonly [kView]: any;
  /** @internal */
  readonly [kType]: CType;
  /** @internal */
  readonly [kId]: string;
  [index: number]: T;

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
  _index(k: string, setting = false): number {
    const n = this._v.length;
    let i = +k;
    if (i < 0) i += n;
    if (i >= 0 && i < n && Number.isInteger(i)) return i;
    // CPython's own texts: "indices must be integers" when reading, "... integer" when writing.
    if (!Number.isInteger(+k) || k.trim() !== k || k === "") throw new TypeError(setting ? "indices must be integer" : "indices must be integers");
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
    if (!(i >= 0 && i < n && (i | 0) === i)) i = this._index(k, true);
    const x = this._plain && typeof value === "number" && (this._float || Number.isSafeInteger(value)) ? value : this._t.toRaw(value);
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
  *[Symbol.iterator](): Iterator<T> {
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
      v[idx === null ? first + k : idx[k]!] = this._plain && typeof x === "number" && (this._float || Number.isSafeInteger(x)) ? x : t.toRaw(x);
    }
  }
  /** `<multiprocessing.sharedctypes.c_int_Array_3 object at 0x7f…>`. */
  __repr__(): string {
    return `<multiprocessing.sharedctypes.${this[kType].name}_Array_${this.length} object at ${addressOf(this)}>`;
  }
}

// --- ctypes' class names ------------------------------------------------------------------------
// A raw object is an instance of a class named as ctypes names it: RawValue('i') is a `c_int`,
// RawArray('d', 2) a `c_double_Array_2` (subclasses of CScalar / CArray, made once per name).

const scalarClasses = new Map<string, typeof CScalar>();
const arrayClasses = new Map<string, typeof CArray>();

function named<C extends Function>(cls: C, name: string): C {
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

/** The class of a raw scalar of type `t`: `c_int`. */
export function scalarClass(t: CType): typeof CScalar {
  let cls = scalarClasses.get(t.name);
  if (!cls) scalarClasses.set(t.name, (cls = named(class extends CScalar {}, t.name)));
  return cls;
}

/** The class of a raw array of `n` elements of type `t`: `c_double_Array_2`. */
export function arrayClass(t: CType, n: number): typeof CArray {
  const name = `${t.name}_Array_${n}`;
  let cls = arrayClasses.get(name);
  if (!cls) arrayClasses.set(name, (cls = named(t.code === "c" ? class extends CharArray {} : class extends CArray {}, name)));
  return cls;
}

/** A raw `c_char` array: as ctypes' `c_char_Array_n`, it has `.value` (up to the first NUL) and `.raw`. */
class CharArray extends CArray {
  /** The bytes up to the first NUL. */
  get value(): Buffer {
    const v = this[kView] as Uint8Array;
    const end = v.indexOf(0);
    return Buffer.from(v.subarray(0, end < 0 ? v.length : end));
  }
  set value(b: Uint8Array) {
    const v = this[kView] as Uint8Array;
    const bytes = charBytes(b, v.length);
    v.set(bytes);
    if (bytes.length < v.length) v[bytes.length] = 0;
  }
  /** All the bytes of the array. */
  get raw(): Buffer {
    return Buffer.from(this[kView] as Uint8Array);
  }
  set raw(b: Uint8Array) {
    const v = this[kView] as Uint8Array;
    v.set(charBytes(b, v.length));
  }
}

function charBytes(b: unknown, length: number): Uint8Array {
  if (typeof b === "string") throw new TypeError("bytes expected instead of str instance");
  if (!(b instanceof Uint8Array)) throw new TypeError(`bytes expected instead of ${(b as any)?.constructor?.name ?? typeof b} instance`);
  if (b.length > length) throw new ValueError("byte string too long");
  return b;
}

/** A raw scalar with its ctypes class. */
export function makeScalar(t: CType, view: any, id: string): CScalar {
  return new (scalarClass(t))(t, view, id);
}

/** A raw array with its ctypes class. */
export function makeArray(t: CType, view: any, id: string): CArray {
  return new (arrayClass(t, view.length))(t, view, id);
}

// --- synchronized wrappers ----------------------------------------------------------------------

export function holds(lock: LockLike): boolean {
  return typeof (lock as any)._isMine === "function" && (lock as any)._isMine();
}

/** Runs `fn` under `lock`, unless this process already holds it. */
export function locked<T>(lock: LockLike, fn: () => T): T {
  if (holds(lock)) return fn();
  lock.acquire();
  try {
    return fn();
  } finally {
    lock.release();
  }
}

