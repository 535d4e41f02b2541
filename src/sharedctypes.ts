// Port of CPython Lib/multiprocessing/sharedctypes.py (PSF-2.0): Value, Array, RawValue,
// RawArray, copy, synchronized, over SharedArrayBuffers. The raw objects (CScalar, CArray) are in
// sharedctypes/raw.ts; this file has the synchronized wrappers, the factories and the reducers.
// Differs from Python: shared Arrays are Proxies over typed arrays (indexing with negative
// indices as in Python); `get_obj()` of an Array is the raw typed array, for full-speed loops;
// reading or writing one element of a synchronized object skips the lock when this process
// already holds it (Python would deadlock on a plain Lock there).

import { assignStruct, ctypeOf, kBytes, layoutOf, Structure, structAt, type CType, type CTypeCode, type CTypeRef, type SimpleCTypeRef, type Typecode, type Typecodes } from "./shared/ctypes.js";
import { repr } from "./shared/format.js";
import { AssertionError, AttributeError, TypeError, ValueError } from "./shared/pyerrors.js";
import { newSharedId, register, rebuildOnce, rememberShared } from "./shared/reduction.js";
import { Lock, RLock } from "./synchronize.js";
import { Acquirable } from "./shared/pyobject.js";
import { kLocked, kUnlocked, lockRelease } from "./shared/semlock.js";
import { CArray, CScalar, kId, kType, kView, locked, makeArray, makeScalar, type LockLike } from "./sharedctypes/raw.js";
import { as, p, sig } from "./shared/binder.js";
import * as cv from "./shared/convert.js";

export { ctypes, Structure } from "./shared/ctypes.js";
export { CArray, CScalar, type LockLike } from "./sharedctypes/raw.js";
export type { CTypeCode, CTypeRef, Real, SimpleCTypeRef, Typecode, Typecodes } from "./shared/ctypes.js";

/** Keyword arguments of Value() and Array(). */
export interface SynchronizedOptions {
  /** true/null: a new RLock; a lock object: that lock; false: a raw object without a lock. */
  lock?: boolean | null | LockLike;
}

/**
 * What `Value()` returns: a shared C scalar and the lock that guards it. `T` is what `.value`
 * reads as, `In` what it accepts: annotate a parameter as `Synchronized<number>` for
 * `Value('i', 0)` or `Value('d', 0)`, `Synchronized<bigint>` for `'q'`, `Synchronized<Buffer>` for `'c'`.
 */
export class Synchronized<T = any, In = T> extends Acquirable {
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
  set value(v: In) {
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

/**
 * What `Array()` returns: a shared C array and the lock that guards it; `a[i]` reads as `T`
 * (annotate a parameter as `SynchronizedArray<number>` for `Array('i', 10)`).
 */
export class SynchronizedArray<T = any> extends CArray<T> {
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

/** Bytes before a synchronized value, for its lock word: the lock and the value share a cache line. */
const kLockSlot = 8;

function newRawValue(type: CType, value: unknown, withLockSlot = false): CScalar {
  const view = withLockSlot ? new type.view(new SharedArrayBuffer(kLockSlot + type.size), kLockSlot, 1) : new type.view(new SharedArrayBuffer(type.size));
  const v = makeScalar(type, view, newSharedId());
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
  const a = makeArray(type, view, newSharedId());
  rememberShared(a[kId], a);
  return a;
}

function lockFor(lock: SynchronizedOptions["lock"]): LockLike | null {
  if (lock === false) return null;
  if (lock === undefined || lock === null || lock === true || (lock as unknown) === 1) return new RLock();
  if (typeof (lock as any)?.acquire !== "function") throw new AttributeError(`${repr(lock)} has no method 'acquire'`);
  return lock as LockLike;
}

/** The typecode of a typecode or ctypes simple type (never for a Structure class). */
type CodeOf<C> = 0 extends 1 & C ? never : C extends Typecode ? C : C extends SimpleCTypeRef<infer K extends CTypeCode> ? (C extends abstract new (...a: any[]) => unknown ? never : K) : never;
/** What a value of typecode (or ctypes type) `C` reads as: `ValueOf<'i'>` is number, `ValueOf<'q'>` bigint. */
export type ValueOf<C> = [CodeOf<C>] extends [never] ? any : Typecodes[CodeOf<C>] extends CType<infer V, any> ? V : never;
/** What a value of typecode (or ctypes type) `C` accepts. */
export type InputOf<C> = [CodeOf<C>] extends [never] ? any : Typecodes[CodeOf<C>] extends CType<any, infer In> ? In : never;
/** What `Value(C, ...)` returns (a Structure's fields are its own: any). */
export type SynchronizedValue<C> = [CodeOf<C>] extends [never] ? any : Synchronized<ValueOf<C>, InputOf<C>>;
/** What `Array(C, ...)` returns: a SynchronizedString for 'c'. */
export type SynchronizedArrayOf<C> = [CodeOf<C>] extends [never] ? SynchronizedArray : CodeOf<C> extends "c" ? SynchronizedString : SynchronizedArray<ValueOf<C>>;
/**
 * The arguments after the typecode of `Value()`: an optional initial value (Python's `*args` of
 * the ctypes constructor), then the keyword object.
 */
export type ValueArgs<C> = [CodeOf<C>] extends [never]
  ? unknown[]
  : [] | [value: InputOf<C> | undefined] | [value: InputOf<C> | undefined, options: SynchronizedOptions] | [options: SynchronizedOptions];
/** The arguments after the typecode of `RawValue()`: an optional initial value. */
export type RawValueArgs<C> = [CodeOf<C>] extends [never] ? unknown[] : [] | [value: InputOf<C> | undefined];
/** What `RawValue(C, ...)` (or `Value(C, ..., { lock: false })`) returns. */
export type RawValueOf<C> = [CodeOf<C>] extends [never] ? any : CScalar<ValueOf<C>, InputOf<C>>;
/** `{ lock: false }`: Value() and Array() return the raw object. */
export interface NoLock extends SynchronizedOptions {
  lock: false;
}
/** An array's `size_or_initializer` for typecode `C`: a length, or the initial elements. */
export type SizeOrInitializer<C> = number | ([CodeOf<C>] extends [never] ? Iterable<unknown> : CodeOf<C> extends "u" ? string | Iterable<string> : Iterable<InputOf<C>>);

// --- signatures (shared/binder.ts) of the module's factories -------------------------------------
// CPython's module-level functions take `ctx=None` too (ignored here: one kind of shared memory).

const typecode = () => p("typecode_or_type", as<Typecode | CTypeRef>());
const ctx = () => p("ctx", as<unknown>(), { kind: "keyword-only", default: null });
const RAW_VALUE = sig("RawValue", [typecode(), p("args", null, { kind: "var-positional" })]);
const RAW_ARRAY = sig("RawArray", [typecode(), p("size_or_initializer", cv.sizeOrInitializer)]);
const VALUE = sig("Value", [typecode(), p("args", null, { kind: "var-positional" }), p("lock", as<SynchronizedOptions["lock"]>(), { kind: "keyword-only", default: true }), ctx()]);
const ARRAY = sig("Array", [typecode(), p("size_or_initializer", cv.sizeOrInitializer), p("lock", as<SynchronizedOptions["lock"]>(), { kind: "keyword-only", default: true }), ctx()]);
const SYNCHRONIZED = sig("synchronized", [p("obj", as<CScalar | CArray>()), p("lock", as<LockLike | null>(), { default: null }), ctx()]);

/** `{ lock: false }` in the all-keyword spelling of Value(). */
interface ValueKeywords<C> extends SynchronizedOptions {
  typecode_or_type: C;
}
/** The keywords of Array() after its typecode. */
interface ArrayKeywords<C> extends SynchronizedOptions {
  size_or_initializer: SizeOrInitializer<C>;
}

/**
 * Returns a ctypes object allocated from shared memory, without a lock: `RawValue('i', 5)`.
 * @throws TypeError "this type has no size" for an unknown typecode.
 */
export function rawValue<C extends Typecode | CTypeRef>(...args: [typecodeOrType: C, ...RawValueArgs<C>] | [keywords: { typecode_or_type: C }]): RawValueOf<C>;
export function rawValue(...a: unknown[]): unknown {
  const [type, args] = RAW_VALUE.bind(a);
  return _makeRawValue(type, args);
}

/** @internal RawValue() on bound arguments. */
export function _makeRawValue(type: Typecode | CTypeRef, args: unknown[]): CScalar {
  if (ctypeOf(type).struct) return newStruct(type as any, args) as any;
  if (args.length > 1) throw new TypeError(`__init__ expected at most 1 argument, got ${args.length}`);
  return newRawValue(ctypeOf(type), args[0]);
}

/** Returns a ctypes array allocated from shared memory, without a lock: `RawArray('i', 10)` or `RawArray('i', [1, 2])`. */
export function rawArray<C extends Typecode | CTypeRef>(
  ...args: [typecodeOrType: C, sizeOrInitializer: SizeOrInitializer<C> | { size_or_initializer: SizeOrInitializer<C> }] | [keywords: { typecode_or_type: C; size_or_initializer: SizeOrInitializer<C> }]
): CArray<ValueOf<C>>;
export function rawArray(...a: unknown[]): unknown {
  const [type, size] = RAW_ARRAY.bind(a);
  return _makeRawArray(type, size);
}

/** @internal RawArray() on bound arguments. */
export function _makeRawArray(type: Typecode | CTypeRef, size: number | Iterable<unknown>): CArray {
  return newRawArray(ctypeOf(type), size);
}

/**
 * Returns a synchronized shared object: `Value('i', 0)`, `Value('d', 1.5, { lock: false })`.
 * @throws TypeError for an unknown typecode or a value of the wrong type; AttributeError for a bad lock.
 */
export function value<C extends Typecode | CTypeRef>(keywords: ValueKeywords<C> & NoLock): RawValueOf<C>;
export function value<C extends Typecode | CTypeRef>(keywords: ValueKeywords<C>): SynchronizedValue<C>;
export function value<C extends Typecode | CTypeRef>(typecodeOrType: C, ...args: [...RawValueArgs<C>, NoLock]): RawValueOf<C>;
export function value<C extends Typecode | CTypeRef>(typecodeOrType: C, ...args: ValueArgs<C>): SynchronizedValue<C>;
export function value(...a: unknown[]): unknown {
  const [type, args, lock] = VALUE.bind(a);
  return _makeValue(type, args, lock);
}

/** @internal Value() on bound arguments. */
export function _makeValue(type: Typecode | CTypeRef, args: unknown[], l: SynchronizedOptions["lock"]): Synchronized | CScalar {
  if (ctypeOf(type).struct) {
    const obj = newStruct(type as any, args);
    const lock = lockFor(l);
    return (lock === null ? obj : wrapStruct(obj, lock)) as any;
  }
  if (l === undefined || l === null || l === true || (l as unknown) === 1) {
    // The default RLock lives in the same buffer as the value: `with v.get_lock(): v.value += 1`
    // then moves one cache line between processes instead of two.
    if (args.length > 1) throw new TypeError(`__init__ expected at most 1 argument, got ${args.length}`);
    const obj = newRawValue(ctypeOf(type), args[0], true);
    const cells = new Int32Array(obj[kView].buffer, 0, 1);
    cells[0] = kUnlocked;
    return new Synchronized(obj, new RLock({ cells, id: newSharedId() }));
  }
  const obj = _makeRawValue(type, args);
  const lock = lockFor(l);
  return lock === null ? obj : new Synchronized(obj, lock);
}

/**
 * Returns a synchronized shared array: `Array('i', 10)`, `Array('i', range(10))`, `Array('c', Buffer.from('hi'))`.
 * @throws ValueError "Array length must be >= 0, not -1"; TypeError for bad types.
 */
export function array<C extends Typecode | CTypeRef>(keywords: ValueKeywords<C> & ArrayKeywords<C> & NoLock): CArray<ValueOf<C>>;
export function array<C extends Typecode | CTypeRef>(keywords: ValueKeywords<C> & ArrayKeywords<C>): SynchronizedArrayOf<C>;
export function array<C extends Typecode | CTypeRef>(typecodeOrType: C, keywords: ArrayKeywords<C> & NoLock): CArray<ValueOf<C>>;
export function array<C extends Typecode | CTypeRef>(typecodeOrType: C, keywords: ArrayKeywords<C>): SynchronizedArrayOf<C>;
export function array<C extends Typecode | CTypeRef>(typecodeOrType: C, sizeOrInitializer: SizeOrInitializer<C>, options: NoLock): CArray<ValueOf<C>>;
export function array<C extends Typecode | CTypeRef>(typecodeOrType: C, sizeOrInitializer: SizeOrInitializer<C>, options?: SynchronizedOptions): SynchronizedArrayOf<C>;
export function array(...a: unknown[]): unknown {
  const [type, size, lock] = ARRAY.bind(a);
  return _makeArray(type, size, lock);
}

/** @internal Array() on bound arguments. */
export function _makeArray(type: Typecode | CTypeRef, size: number | Iterable<unknown>, l: SynchronizedOptions["lock"]): SynchronizedArray | CArray {
  const raw = newRawArray(ctypeOf(type), size);
  const lock = lockFor(l);
  if (lock === null) return raw;
  return wrapArray(raw, lock);
}

function wrapArray(raw: CArray, lock: LockLike): SynchronizedArray {
  const t = raw[kType];
  const Cls = t.code === "c" ? SynchronizedString : SynchronizedArray;
  return new Cls(t, raw[kView], raw[kId], lock);
}

// --- Structures in shared memory ---------------------------------------------------------------

const kStructId = Symbol("structId");

/** A Structure of class `cls` in shared memory, initialized as `cls(...args)` would be. */
function newStruct(cls: new (...a: any[]) => Structure, args: unknown[]): Structure {
  const { size } = layoutOf(cls as any);
  const s = structAt(cls, new SharedArrayBuffer(size), 0);
  const init = args.length === 1 && (Array.isArray(args[0]) || args[0] instanceof Structure) ? args[0] : args.length && !(args.length === 1 && isPlainObject(args[0])) ? args : args[0];
  if (init !== undefined) assignStruct(s, init);
  Object.defineProperty(s, kStructId, { value: newSharedId() });
  rememberShared((s as any)[kStructId], s);
  return s;
}

function isPlainObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;
}

const syncStructClasses = new Map<Function, new (obj: any, lock: LockLike) => Synchronized>();

/** `Value(Point, ...)`: a `SynchronizedPoint` whose fields read and write under the lock. */
function wrapStruct(obj: Structure, lock: LockLike): Synchronized {
  const cls = obj.constructor;
  let Sync = syncStructClasses.get(cls);
  if (!Sync) {
    Sync = class extends Synchronized {};
    Object.defineProperty(Sync, "name", { value: `Synchronized${cls.name}` });
    for (const f of layoutOf(cls as any).fields) {
      Object.defineProperty(Sync.prototype, f.name, {
        get(this: Synchronized) {
          return locked(this.get_lock(), () => (this.get_obj() as any)[f.name]);
        },
        set(this: Synchronized, v: unknown) {
          locked(this.get_lock(), () => ((this.get_obj() as any)[f.name] = v));
        },
      });
    }
    syncStructClasses.set(cls, Sync);
  }
  return new Sync(obj, lock);
}

register("Structure", Structure, {
  reduce: (s: Structure) => ({ cls: s.constructor, bytes: s[kBytes], id: (s as any)[kStructId] ?? null }),
  rebuild: (st) => {
    const make = () => {
      const s = structAt(st.cls, st.bytes.buffer, st.bytes.byteOffset);
      if (st.id) Object.defineProperty(s, kStructId, { value: st.id });
      return s;
    };
    return st.id ? rebuildOnce(st.id, make) : make();
  },
});

/** Returns a new shared object with a copy of `obj`'s contents (no lock): a raw value, array or Structure. */
export function copy<T extends CScalar | CArray | Structure>(obj: T): T {
  if (obj instanceof Structure) {
    const s = newStruct(obj.constructor as any, []);
    s[kBytes].set((obj as Structure)[kBytes]);
    return s as unknown as T;
  }
  const t = obj[kType];
  if (t.struct) {
    const n = obj[kView].length;
    const view = new t.view(new SharedArrayBuffer(Math.max(1, n) * t.size), 0, n);
    (view as any)[kBytes].set(obj[kView][kBytes]);
    return makeArray(t, view, newSharedId()) as T;
  }
  const view = new t.view(new SharedArrayBuffer(Math.max(1, obj[kView].length) * t.size), 0, obj[kView].length);
  view.set(obj[kView]);
  const out = obj instanceof CArray ? makeArray(t, view, newSharedId()) : makeScalar(t, view, newSharedId());
  return out as T;
}

/**
 * Wraps a raw shared object with a lock: `synchronized(RawValue('i', 1))`.
 * @throws AssertionError "object already synchronized".
 */
export function synchronized(obj: CScalar | CArray, lock?: LockLike | null): Synchronized | SynchronizedArray;
export function synchronized(obj: CScalar | CArray, keywords: { lock?: LockLike | null }): Synchronized | SynchronizedArray;
export function synchronized(...a: unknown[]): Synchronized | SynchronizedArray {
  const [obj, lock] = SYNCHRONIZED.bind(a);
  if (obj instanceof Synchronized || obj instanceof SynchronizedArray) throw new AssertionError("object already synchronized");
  const l = lock ?? new RLock();
  return obj instanceof CArray ? wrapArray(obj, l) : new Synchronized(obj, l);
}

// --- reducers ----------------------------------------------------------------------------------

function viewState(o: CScalar | CArray) {
  const t = o[kType];
  // An Array of Structures sends its bytes and its class (by reference); the receiver makes the view again.
  if (t.struct) return { code: t.code, struct: t.struct, bytes: o[kView][kBytes], length: o[kView].length, id: o[kId] };
  return { code: t.code, view: o[kView], id: o[kId] };
}

/** The element type and view of a reduced raw array (see viewState). */
function viewOfState(s: any): [CType, any] {
  if (s.struct) {
    const t = ctypeOf(s.struct);
    return [t, new t.view(s.bytes.buffer, s.bytes.byteOffset, s.length)];
  }
  return [ctypeOf(s.code), s.view];
}

register("RawValue", CScalar, {
  reduce: viewState,
  rebuild: (s) => rebuildOnce(s.id, () => makeScalar(ctypeOf(s.code), s.view, s.id)),
});
register("RawArray", CArray, {
  reduce: viewState,
  rebuild: (s) => rebuildOnce(s.id, () => makeArray(...viewOfState(s), s.id)),
});
register("Synchronized", Synchronized, {
  reduce: (v: Synchronized) => ({ obj: v.get_obj(), lock: v.get_lock(), id: ((v.get_obj() as any)[kId] ?? (v.get_obj() as any)[kStructId]) + "/s" }),
  rebuild: (s) => rebuildOnce(s.id, () => (s.obj instanceof Structure ? wrapStruct(s.obj, s.lock) : new Synchronized(s.obj, s.lock))),
});
for (const [name, Cls] of [["SynchronizedArray", SynchronizedArray], ["SynchronizedString", SynchronizedString]] as const) {
  register(name, Cls, {
    reduce: (a: SynchronizedArray) => ({ ...viewState(a), lock: a._lock }),
    rebuild: (s) => rebuildOnce(s.id + "/s", () => new Cls(...viewOfState(s), s.id, s.lock)),
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
