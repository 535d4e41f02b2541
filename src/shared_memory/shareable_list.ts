// Part of the shared_memory module (CPython Lib/multiprocessing/shared_memory.py, PSF-2.0):
// ShareableList, with CPython's byte layout in the segment, so that its packing, its `format`
// and its errors are CPython's:
//   8 bytes           number of items N (int64)
//   (N + 1) * 8 bytes offsets of each item from the start of the data area (int64)
//   K bytes           the data area: each item packed with its struct format
//   N * 8 bytes       each item's struct format, NUL-padded ('q', 'd', 'xxxxxxx?', 'xxxxxx?x', '<n>s')
//   N bytes           each item's back-transform code (0 number/bool, 1 str, 2 bytes, 3 None)
// Every struct format here is native, little-endian on the platforms Node runs on.

import { IndexError, KeyError, StructError, TypeError, ValueError } from "../shared/pyerrors.js";
import { PyObject } from "../shared/pyobject.js";
import { register } from "../shared/reduction.js";
import { repr as pyRepr } from "../shared/format.js";
import { SharedMemory } from "../shared_memory.js";
import { pyTypeName } from "../shared/convert.js";
import { as, p, sig, type Bound } from "../shared/binder.js";

const kAlignment = 8;
const Code = { plain: 0, str: 1, bytes: 2, none: 3 } as const;
const kMinInt64 = -(2n ** 63n);
const kMaxInt64 = 2n ** 63n - 1n;

/** The struct format CPython's _types_mapping gives `item`, or its KeyError. */
function formatOf(item: unknown): string {
  if (typeof item === "string") return `${kAlignment * (Math.floor([...item].length / kAlignment) + 1)}s`;
  if (item instanceof Uint8Array) return `${kAlignment * (Math.floor(item.length / kAlignment) + 1)}s`;
  if (typeof item === "boolean") return "xxxxxxx?";
  if (item === null || item === undefined) return "xxxxxx?x";
  // A number beyond 2**53 is a float: ints that large are bigints (see API.md).
  if (typeof item === "bigint" || Number.isSafeInteger(item)) return "q";
  if (typeof item === "number") return "d";
  // CPython: KeyError: <class 'list'>
  throw new KeyError({ __repr__: () => `<class '${pyTypeName(item)}'>` });
}

function recreationCode(item: unknown): number {
  if (typeof item === "string") return Code.str;
  if (item instanceof Uint8Array) return Code.bytes;
  if (item === null || item === undefined) return Code.none;
  return Code.plain;
}

function encode(item: string | Uint8Array): Uint8Array {
  return typeof item === "string" ? Buffer.from(item, "utf8") : item;
}

/** struct.pack_into(fmt, buf, offset, value) for the one-item formats a ShareableList uses. */
function packItem(fmt: string, buf: Buffer, offset: number, value: unknown): void {
  if (fmt === "q") {
    const v = typeof value === "bigint" ? value : BigInt(value as number | boolean);
    if (v < kMinInt64 || v > kMaxInt64) throw new StructError("argument out of range");
    buf.writeBigInt64LE(v, offset);
  } else if (fmt === "d") {
    buf.writeDoubleLE(Number(value), offset);
  } else if (fmt === "xxxxxxx?") {
    buf.fill(0, offset, offset + 7);
    buf[offset + 7] = value ? 1 : 0;
  } else if (fmt === "xxxxxx?x") {
    buf.fill(0, offset, offset + 8);
  } else {
    // '<n>s': truncated or NUL-padded to n bytes, as struct does.
    const n = parseInt(fmt, 10);
    const bytes = encode(value as string | Uint8Array);
    const m = Math.min(n, bytes.length);
    buf.set(bytes.subarray(0, m), offset);
    buf.fill(0, offset + m, offset + n);
  }
}

function unpackItem(fmt: string, buf: Buffer, offset: number): unknown {
  if (fmt === "q") {
    const v = buf.readBigInt64LE(offset);
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }
  if (fmt === "d") return buf.readDoubleLE(offset);
  if (fmt === "xxxxxxx?") return buf[offset + 7] !== 0;
  if (fmt === "xxxxxx?x") return buf[offset + 6] !== 0;
  const n = parseInt(fmt, 10);
  return buf.subarray(offset, offset + n);
}

function backTransform(code: number, v: unknown): unknown {
  switch (code) {
    case Code.str:
    case Code.bytes: {
      const b = v as Buffer;
      let end = b.length;
      while (end > 0 && b[end - 1] === 0) end--; // rstrip(b'\x00')
      return code === Code.str ? b.toString("utf8", 0, end) : Buffer.from(b.subarray(0, end));
    }
    case Code.none:
      return null;
    default:
      return v;
  }
}

/** Python's `==` between two items of a ShareableList (True == 1, 1 == 1.0, bytes by content). */
function pyEquals(a: unknown, b: unknown): boolean {
  const num = (v: unknown) => typeof v === "number" || typeof v === "bigint" || typeof v === "boolean";
  if (num(a) && num(b)) {
    const x = typeof a === "boolean" ? Number(a) : a;
    const y = typeof b === "boolean" ? Number(b) : b;
    // eslint-disable-next-line eqeqeq
    return x == y; // number == bigint compares values exactly
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  return a === b;
}

// Element access through the Proxy: keys that start with a digit or '-' are indices.
const handler: ProxyHandler<any> = {
  get(t, k) {
    if (typeof k === "string") {
      const c = k.charCodeAt(0);
      if (c < 58 && (c > 47 || c === 45)) return t._getitem(k);
    }
    return t[k];
  },
  set(t, k, v) {
    if (typeof k === "string") {
      const c = k.charCodeAt(0);
      if (c < 58 && (c > 47 || c === 45)) {
        t._setitem(k, v);
        return true;
      }
    }
    t[k] = v;
    return true;
  },
};

/** `ShareableList.__init__(sequence=None, *, name=None)` (shared/binder.ts). */
const SHAREABLE_LIST = sig("ShareableList.__init__", [
  p("sequence", as<Iterable<unknown> | null>(), { default: null }),
  p("name", as<string | null>(), { kind: "keyword-only", default: null }),
], { method: true });

/** Options of `new ShareableList(...)`. */
export interface ShareableListOptions {
  /** Attach to (without a sequence) or create (with one) the segment of this name. */
  name?: string | null;
}

/**
 * Pattern for a mutable list-like object shareable via a shared memory block. It differs from
 * the built-in list type in that these lists can not change their overall length (no append,
 * insert, etc.).
 *
 * `new ShareableList(sequence)` creates one (items: numbers, bigint, booleans, strings, `Buffer`s,
 * null; a string or bytes item gets a slot of 8·(len//8 + 1) bytes); `new ShareableList(null,
 * { name })` attaches. `sl[i]`, `sl[-1] = v`, `sl.length` / `len(sl)`, `for...of`.
 *
 * Differs from Python: JavaScript has one number type, so an integral number up to 2**53 is
 * stored as an int (`q`; `3.0` too, where Python's float packs as `d`), any other number as a
 * float (`d`), a bigint as an int. Indices below `-len` raise IndexError (CPython reads garbage).
 *
 * @throws KeyError `<class 'list'>` for an item of a type it cannot store
 * @throws struct.error `argument out of range` for an integer outside int64
 */
export class ShareableList<T = any> extends PyObject implements Iterable<T> {
  /** The SharedMemory holding the list (close() and unlink() it through here). */
  shm: SharedMemory;
  [index: number]: T;
  /** @internal cached as CPython caches them at construction */
  readonly _listLen: number;
  /** @internal */
  readonly _offsets: number[];

  constructor(...args: Bound<typeof SHAREABLE_LIST, { sequence: Iterable<T> | null }>);
  constructor(...args: unknown[]) {
    super();
    const a = SHAREABLE_LIST.bind(args);
    const name = a[1] ?? null;
    let seq = a[0] ?? null;
    if (name === null || seq !== null) {
      if (seq !== null && typeof (seq as any)[Symbol.iterator] !== "function") {
        throw new TypeError(`'${pyTypeName(seq)}' object is not iterable`);
      }
      const items = seq === null ? [] : [...seq];
      seq = items;
      const formats = items.map(formatOf);
      this._listLen = formats.length;
      this._offsets = [0];
      let offset = 0;
      for (const f of formats) {
        offset += f.endsWith("s") ? parseInt(f, 10) : kAlignment;
        this._offsets.push(offset);
      }
      const n = formats.length;
      const size = 8 + 8 * (n + 1) + offset + 8 * n + n;
      this.shm = new SharedMemory(name, true, size);
      const buf = this.shm.buf!;
      try {
        buf.writeBigInt64LE(BigInt(n), 0);
        this._offsets.forEach((o, i) => buf.writeBigInt64LE(BigInt(o), 8 + 8 * i));
        items.forEach((v, i) => packItem(formats[i]!, buf, this._dataStart + this._offsets[i]!, v));
        formats.forEach((f, i) => packItem("8s", buf, this._formatsStart + 8 * i, f));
        items.forEach((v, i) => (buf[this._codesStart + i] = recreationCode(v)));
      } catch (e) {
        // CPython leaves the segment behind here; unlinking it loses nothing the caller could use.
        this.shm.close();
        this.shm.unlink();
        throw e;
      }
    } else {
      this.shm = new SharedMemory(name);
      const buf = this.shm.buf!;
      this._listLen = Number(buf.readBigInt64LE(0));
      this._offsets = [];
      for (let i = 0; i <= this._listLen; i++) this._offsets.push(Number(buf.readBigInt64LE(8 + 8 * i)));
    }
    return new Proxy(this, handler);
  }

  /** @internal */
  get _dataStart(): number {
    return (this._listLen + 2) * 8;
  }
  /** @internal */
  get _formatsStart(): number {
    return this._dataStart + this._offsets[this._listLen]!;
  }
  /** @internal */
  get _codesStart(): number {
    return this._formatsStart + this._listLen * 8;
  }

  /** @internal the segment's bytes (methods run with the Proxy as `this`: no #private here) */
  _buf(): Buffer {
    const b = this.shm.buf;
    if (b === null) throw new TypeError("a bytes-like object is required, not 'NoneType'");
    return b;
  }

  /** @internal the position for index key `k`, or null when out of range. */
  _position(k: string | number): number | null {
    const i = Number(k);
    if (!Number.isInteger(i)) {
      throw new TypeError(Number.isNaN(i) ? `'>=' not supported between instances of 'str' and 'int'` : "list indices must be integers or slices, not float");
    }
    const p = i < 0 ? i + this._listLen : i;
    return p >= 0 && p < this._listLen ? p : null;
  }

  /** @internal item p's struct format, read from the segment */
  _fmt(p: number): string {
    const b = this._buf();
    const o = this._formatsStart + p * 8;
    let end = o + 8;
    while (end > o && b[end - 1] === 0) end--;
    return b.toString("utf8", o, end);
  }

  /** @internal `sl[k]` */
  _getitem(k: string | number): T {
    const p = this._position(k);
    if (p === null) throw new IndexError("index out of range");
    const b = this._buf();
    const v = unpackItem(this._fmt(p), b, this._dataStart + this._offsets[p]!);
    return backTransform(b[this._codesStart + p]!, v) as T;
  }

  /** @internal `sl[k] = value`: the item's type may change; a str/bytes must fit the item's slot. */
  _setitem(k: string | number, value: unknown): void {
    const p = this._position(k);
    if (p === null) throw new IndexError("assignment index out of range");
    const b = this._buf();
    const current = this._fmt(p);
    let fmt: string;
    let encoded: unknown = value;
    if (typeof value === "string" || value instanceof Uint8Array) {
      const allocated = this._offsets[p + 1]! - this._offsets[p]!;
      encoded = encode(value);
      if ((encoded as Uint8Array).length > allocated) throw new ValueError("bytes/str item exceeds available storage");
      fmt = current.endsWith("s") ? current : `${allocated}s`;
    } else {
      fmt = formatOf(value);
    }
    // As CPython: the range check of an int comes after the format and code are stored.
    packItem("8s", b, this._formatsStart + p * 8, fmt);
    b[this._codesStart + p] = recreationCode(value);
    packItem(fmt, b, this._dataStart + this._offsets[p]!, encoded);
  }

  /** The number of items (`len(sl)`), read from the segment. */
  get length(): number {
    return Number(this._buf().readBigInt64LE(0));
  }

  /** Python's `__len__`. */
  __len__(): number {
    return this.length;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this._listLen; i++) yield this._getitem(i);
  }

  /** The struct packing format used by all currently stored items (`'8s8sdqxxxxxx?...'`). */
  get format(): string {
    let out = "";
    for (let i = 0; i < this._listLen; i++) out += this._fmt(i);
    return out;
  }

  /** L.count(value) -> integer -- return number of occurrences of value. */
  count(value: unknown): number {
    let n = 0;
    for (const v of this) if (pyEquals(value, v)) n++;
    return n;
  }

  /**
   * L.index(value) -> integer -- return first index of value.
   * @throws ValueError `<repr> not in this container` if the value is not present
   */
  index(value: unknown): number {
    let i = 0;
    for (const v of this) {
      if (pyEquals(value, v)) return i;
      i++;
    }
    throw new ValueError(`${pyRepr(value)} not in this container`);
  }

  /** Python's `__reduce__`: a copy attaches to the same segment by name. */
  __reduce__(): [typeof ShareableList, [null, { name: string }]] {
    return [this.constructor as typeof ShareableList, [null, { name: this.shm.name }]];
  }

  /** `ShareableList(['howdy', 42], name='psm_1a2b3c4d')`. */
  __repr__(): string {
    return `${this.constructor.name}(${pyRepr([...this])}, name=${pyRepr(this.shm.name)})`;
  }
}

// A ShareableList sent to a child re-attaches there by name, as CPython's __reduce__
// (partial(cls, name=...)) does.
register("ShareableList", ShareableList, {
  reduce: (sl: ShareableList) => ({ name: sl.shm.name }),
  rebuild: (s) => new ShareableList(null, { name: s.name }),
});
