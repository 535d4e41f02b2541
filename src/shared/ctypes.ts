// The simple C types of Python's ctypes that sharedctypes stores in shared memory: sizes, the
// typed array that views them, and Python's conversion rules (integers wrap like C, floats are
// refused by integer codes, 'f' rounds to float32, 8-byte codes read as bigint).
// Linux x86-64 (LP64) sizes, as CPython on this machine: c_long is 8 bytes.

import { reprBytes } from "./format.js";
import { addressOf } from "./current.js";
import { callerUrl, esmDistUrl } from "./location.js";
import { kGlobalRef, registerModule } from "./reduction.js";
import { OverflowError, TypeError } from "./pyerrors.js";

type View = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;
type ViewCtor = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): View; BYTES_PER_ELEMENT: number };

/**
 * One simple C type: how it is stored, converted and printed. `V` is what a read gives, `In` what
 * a write accepts (type-only).
 */
export interface CType<V = unknown, In = unknown> {
  /** ctypes name, as printed: `c_int`. */
  readonly name: string;
  /** The struct typecode: `'i'`. */
  readonly code: string;
  readonly size: number;
  readonly view: ViewCtor;
  /** Converts a JavaScript value for storage (Python's rules), or throws Python's TypeError. */
  readonly toRaw: (v: unknown) => number | bigint;
  /** Converts a stored element to the value Python users see. */
  readonly fromRaw: (raw: number | bigint) => V;
  /** The value of a zero-filled element. */
  readonly zero: V;
  /** Type-only: what a write accepts. */
  readonly __in?: In;
  /** For a Structure type: its class. */
  readonly struct?: new (...args: any[]) => Structure;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  if (typeof v === "bigint") return "int";
  if (typeof v === "boolean") return "bool";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return "list";
  return (v as any)?.constructor?.name ?? typeof v;
}

function intOf(v: unknown): number | bigint {
  if (typeof v === "number") {
    if (Number.isSafeInteger(v)) return v;
    // A number beyond 2**53 (1e300) is a float to Python: storing it would silently change it.
    if (Number.isInteger(v)) throw new TypeError("'float' object cannot be interpreted as an integer (an integer beyond 2**53 is exact only as a bigint: 2n ** 60n)");
    throw new TypeError(`'${typeName(v)}' object cannot be interpreted as an integer`);
  }
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new TypeError(`'${typeName(v)}' object cannot be interpreted as an integer`);
}

function int32Like(v: unknown): number {
  const n = intOf(v);
  // Typed arrays wrap numbers modulo 2^bits on store; bigints are reduced first so that values
  // beyond 2^53 wrap exactly as C does.
  return typeof n === "bigint" ? Number(BigInt.asIntN(32, n)) : n;
}

function int64(v: unknown): bigint {
  const n = intOf(v);
  return BigInt.asIntN(64, typeof n === "bigint" ? n : BigInt(n));
}

function floatOf(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") {
    const f = Number(v);
    if (!Number.isFinite(f)) throw new OverflowError("int too large to convert to float");
    return f;
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new TypeError(`must be real number, not ${typeName(v)}`);
}

function charOf(v: unknown): number {
  if (v instanceof Uint8Array && v.length === 1) return v[0]!;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 255) return v;
  throw new TypeError("one character bytes, bytearray or integer expected");
}

function wcharOf(v: unknown): number {
  if (typeof v === "string" && [...v].length === 1) return v.codePointAt(0)!;
  throw new TypeError("one character unicode string expected");
}

/** What an integer or float typecode accepts: Python's int, float and bool (`number | bigint | boolean`). */
export type Real = number | bigint | boolean;
const ints = (name: string, code: string, view: ViewCtor): CType<number, Real> => ({ name, code, size: view.BYTES_PER_ELEMENT, view, toRaw: int32Like, fromRaw: (r) => r as number, zero: 0 });
const longs = (name: string, code: string, view: ViewCtor): CType<bigint, Real> => ({ name, code, size: 8, view, toRaw: int64, fromRaw: (r) => r as bigint, zero: 0n });

/**
 * The typecodes that sharedctypes accepts, with what each reads as and accepts: 8-byte integer
 * codes read as bigint, 'c' as a 1-byte Buffer (`b'a'`), 'u' as a 1-character string.
 */
export interface Typecodes {
  c: CType<Buffer, Uint8Array | number>;
  u: CType<string, string>;
  b: CType<number, Real>;
  B: CType<number, Real>;
  h: CType<number, Real>;
  H: CType<number, Real>;
  i: CType<number, Real>;
  I: CType<number, Real>;
  l: CType<bigint, Real>;
  L: CType<bigint, Real>;
  q: CType<bigint, Real>;
  Q: CType<bigint, Real>;
  f: CType<number, Real>;
  d: CType<number, Real>;
  "?": CType<boolean, boolean | number>;
}
/** The `_type_` code of a ctypes simple type: a typecode, or `'?'` for c_bool. */
export type CTypeCode = Extract<keyof Typecodes, string>;
/**
 * A typecode: `'i'`, `'d'`, `'c'`... (Python's `array` module codes that ctypes has). `'?'` is
 * c_bool's code but no typecode: `Value('?')` raises TypeError (CPython too); pass `ctypes.c_bool`.
 */
export type Typecode = Exclude<CTypeCode, "?">;

const table: Typecodes = {
  c: { name: "c_char", code: "c", size: 1, view: Uint8Array, toRaw: charOf, fromRaw: (r) => Buffer.from([Number(r)]), zero: Buffer.from([0]) },
  u: { name: "c_wchar", code: "u", size: 4, view: Uint32Array, toRaw: wcharOf, fromRaw: (r) => String.fromCodePoint(Number(r)), zero: "\x00" },
  b: ints("c_byte", "b", Int8Array),
  B: ints("c_ubyte", "B", Uint8Array),
  h: ints("c_short", "h", Int16Array),
  H: ints("c_ushort", "H", Uint16Array),
  i: ints("c_int", "i", Int32Array),
  I: ints("c_uint", "I", Uint32Array),
  l: longs("c_long", "l", BigInt64Array),
  L: longs("c_ulong", "L", BigUint64Array),
  q: longs("c_long", "q", BigInt64Array), // c_longlong is an alias of c_long on LP64
  Q: longs("c_ulong", "Q", BigUint64Array),
  f: { name: "c_float", code: "f", size: 4, view: Float32Array, toRaw: floatOf, fromRaw: (r) => r as number, zero: 0 },
  d: { name: "c_double", code: "d", size: 8, view: Float64Array, toRaw: floatOf, fromRaw: (r) => r as number, zero: 0 },
  "?": { name: "c_bool", code: "?", size: 1, view: Uint8Array, toRaw: (v) => (v ? 1 : 0), fromRaw: (r) => r !== 0, zero: false },
};
/** The typecodes of Python's `array` module that sharedctypes accepts, by code. */
export const typecodes: Readonly<Record<string, CType>> = table as unknown as Record<string, CType>;

/** A ctypes simple type given instead of a typecode: `Value(ctypes.c_int, 0)`. */
export interface SimpleCTypeRef<C extends CTypeCode = CTypeCode> {
  readonly _type_: C;
  readonly __name__: string;
}

/** A ctypes type given instead of a typecode: a simple type, or a `ctypes.Structure` subclass. */
export type CTypeRef = SimpleCTypeRef | (abstract new (...args: any[]) => Structure);

function ref<const C extends CTypeCode>(code: C, name: string): SimpleCTypeRef<C> {
  return Object.freeze({ _type_: code, __name__: name, toString: () => `<class 'ctypes.${name}'>` });
}

/** Python's ctypes simple types, for `Value(ctypes.c_int, 0)`. */
export const ctypes = Object.freeze({
  c_bool: ref("?", "c_bool"), c_char: ref("c", "c_char"), c_wchar: ref("u", "c_wchar"), c_byte: ref("b", "c_byte"),
  c_ubyte: ref("B", "c_ubyte"), c_short: ref("h", "c_short"), c_ushort: ref("H", "c_ushort"), c_int: ref("i", "c_int"),
  c_uint: ref("I", "c_uint"), c_long: ref("l", "c_long"), c_ulong: ref("L", "c_ulong"), c_longlong: ref("q", "c_longlong"),
  c_ulonglong: ref("Q", "c_ulonglong"), c_float: ref("f", "c_float"), c_double: ref("d", "c_double"),
  get Structure() {
    return Structure;
  },
});

/** Finds the C type for a typecode or a ctypes type; Python's TypeError for anything else. */
export function ctypeOf(typecodeOrType: unknown): CType {
  if (isStructClass(typecodeOrType)) return layoutOf(typecodeOrType).ctype;
  // '?' is ctypes.c_bool's own code, not a typecode sharedctypes takes as a string (CPython's
  // typecode_to_type has no '?': `Value('?', 1)` fails there as any unknown string does).
  const code = typeof typecodeOrType === "string" ? (typecodeOrType === "?" ? undefined : typecodeOrType) : (typecodeOrType as SimpleCTypeRef | null)?._type_;
  const t = typeof code === "string" && Object.hasOwn(typecodes, code) ? typecodes[code] : undefined;
  if (!t) throw new TypeError("this type has no size");
  return t;
}

/** Python's repr of one stored value inside its ctypes name: `c_int(5)`, `c_char(b'x')`. */
export function reprScalar(t: CType, value: unknown): string {
  let inner: string;
  if (t.code === "c") inner = reprBytes(value as Uint8Array);
  else if (t.code === "u") inner = `'${value as string}'`;
  else if (t.code === "?") inner = value ? "True" : "False";
  else inner = String(value);
  return `${t.name}(${inner})`;
}

// --- ctypes.Structure ---------------------------------------------------------------------------
// `class Point extends ctypes.Structure { static _fields_ = [["x", ctypes.c_double], ["y",
// ctypes.c_double]] as const }`: fields laid out as C lays them out (each aligned to its size),
// read and written through typed views over the struct's bytes, which may be shared memory (a
// Value or an Array of Points) or the struct's own buffer (`new Point(1, 2)`).

/** @internal the bytes of a Structure instance. */
export const kBytes = Symbol.for("multiprocessing-ts.ctypes.bytes");
const kViews = Symbol("views");
const kLayout = Symbol("layout");

interface Layout {
  fields: { name: string; type: CType; offset: number }[];
  size: number;
  ctype: CType;
}

type StructClass = (abstract new (...args: any[]) => Structure) & { _fields_?: readonly (readonly [string, unknown])[] };

/** True when `x` is a subclass of ctypes.Structure. */
export function isStructClass(x: unknown): x is StructClass {
  return typeof x === "function" && x.prototype instanceof Structure;
}

/** The layout of a Structure subclass (computed once; installs the field accessors). */
export function layoutOf(cls: StructClass): Layout {
  if (Object.hasOwn(cls, kLayout)) return (cls as any)[kLayout];
  const fields: Layout["fields"] = [];
  let offset = 0;
  let align = 1;
  const decl = cls._fields_;
  if (!Array.isArray(decl)) throw new TypeError("_fields_ must be a sequence of pairs");
  for (const pair of decl) {
    const [name, ref] = pair as [string, unknown];
    if (typeof name !== "string") throw new TypeError("'_fields_' must be a sequence of (name, C type) pairs");
    if (isStructClass(ref)) throw new TypeError(`nested Structures are not supported (field '${name}')`);
    const type = ctypeOf(ref);
    offset = Math.ceil(offset / type.size) * type.size;
    fields.push({ name, type, offset });
    offset += type.size;
    align = Math.max(align, type.size);
  }
  const size = Math.max(1, Math.ceil(offset / align) * align);
  const layout: Layout = { fields, size, ctype: null as unknown as CType };
  layout.ctype = structCType(cls as unknown as new () => Structure, layout);
  Object.defineProperty(cls, kLayout, { value: layout });
  fields.forEach((f, i) => {
    Object.defineProperty(cls.prototype, f.name, {
      configurable: true,
      enumerable: false,
      get(this: Structure) {
        return f.type.fromRaw(viewOf(this, i, f)[0]);
      },
      set(this: Structure, v: unknown) {
        viewOf(this, i, f)[0] = f.type.toRaw(v);
      },
    });
  });
  return layout;
}

function viewOf(s: Structure, i: number, f: Layout["fields"][number]): any {
  const views: any[] = ((s as any)[kViews] ??= []);
  const bytes = s[kBytes];
  return (views[i] ??= new f.type.view(bytes.buffer, bytes.byteOffset + f.offset, 1));
}

/** A Structure of class `cls` over `size` bytes of `buffer` from `byteOffset` (no constructor runs). */
export function structAt<T extends Structure>(cls: abstract new (...a: any[]) => T, buffer: ArrayBufferLike, byteOffset: number): T {
  const layout = layoutOf(cls as StructClass);
  const s = Object.create(cls.prototype) as T;
  Object.defineProperty(s, kBytes, { value: new Uint8Array(buffer, byteOffset, layout.size) });
  return s;
}

/** Fills a Structure from positional values, a `[x, y]` list, a `{ x, y }` object or another Structure. */
export function assignStruct(s: Structure, init: unknown): void {
  const layout = layoutOf(s.constructor as StructClass);
  if (init instanceof Structure) {
    if (init.constructor !== s.constructor) throw new TypeError(`expected ${s.constructor.name} instance, got ${init.constructor.name}`);
    s[kBytes].set(init[kBytes]);
    return;
  }
  if (Array.isArray(init)) {
    if (init.length > layout.fields.length) throw new TypeError("too many initializers");
    init.forEach((v, i) => ((s as any)[layout.fields[i]!.name] = v));
    return;
  }
  if (init !== null && typeof init === "object") {
    for (const [k, v] of Object.entries(init)) {
      if (!layout.fields.some((f) => f.name === k)) throw new TypeError(`'${k}' is an invalid keyword argument for ${s.constructor.name}`);
      (s as any)[k] = v;
    }
    return;
  }
  throw new TypeError(`expected ${s.constructor.name} instance instead of ${typeName(init)}`);
}

/**
 * Python's `ctypes.Structure`: subclass it with a static `_fields_` list of `[name, ctype]`
 * pairs; `new Point(1, 2)` or `new Point({ x: 1 })`; the fields read and write as properties.
 * `Value(Point, 1, 2)` and `Array(Point, [[1, 2], [3, 4]])` put Points in shared memory.
 */
export class Structure {
  /** @internal the struct's bytes */
  declare readonly [kBytes]: Uint8Array;
  /** The fields: `[["x", ctypes.c_double], ["y", ctypes.c_double]]`. */
  static _fields_: readonly (readonly [string, unknown])[] = [];
  constructor(...args: unknown[]) {
    const layout = layoutOf(new.target as unknown as StructClass);
    Object.defineProperty(this, kBytes, { value: new Uint8Array(layout.size) });
    const last = args[args.length - 1];
    const kw = args.length && last !== null && typeof last === "object" && !Array.isArray(last) && !(last instanceof Structure) ? (args.pop() as object) : null;
    if (args.length) assignStruct(this, args);
    if (kw) assignStruct(this, kw);
  }
  /** `<__main__.Point object at 0x7f…>` (Differs from Python: the module is always shown as `__main__`). */
  __repr__(): string {
    return `<__main__.${this.constructor.name} object at ${addressOf(this)}>`;
  }
  toString(): string {
    return this.__repr__();
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.__repr__();
  }
}

/** The element type of an Array of Structures: elements are Structure views over the shared bytes. */
function structCType(cls: new () => Structure, layout: Layout): CType {
  const size = layout.size;
  // `new view(buffer, byteOffset, length)` gives an indexable list of Structures over the bytes:
  // reading element i gives a Structure over its bytes, writing one copies the value in.
  function StructView(buffer: ArrayBufferLike, byteOffset = 0, length?: number): any {
    const n = length ?? Math.floor((buffer.byteLength - byteOffset) / size);
    const bytes = new Uint8Array(buffer, byteOffset, n * size);
    const target = { length: n, [kBytes]: bytes, buffer, byteOffset };
    return new Proxy(target, {
      get(t, k) {
        if (typeof k === "string" && k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57) return structAt(cls, buffer, byteOffset + Number(k) * size);
        return (t as any)[k];
      },
      set(t, k, v) {
        if (typeof k === "string" && k.charCodeAt(0) >= 48 && k.charCodeAt(0) <= 57) {
          assignStruct(structAt(cls, buffer, byteOffset + Number(k) * size), v);
          return true;
        }
        (t as any)[k] = v;
        return true;
      },
    });
  }
  StructView.BYTES_PER_ELEMENT = size;
  const check = (v: unknown) => {
    if (!(v instanceof cls) && !Array.isArray(v) && (v === null || typeof v !== "object")) throw new TypeError(`expected ${cls.name} instance, got ${typeName(v)}`);
    return v as never;
  };
  return { name: cls.name, code: "T", size, view: StructView as unknown as ViewCtor, toRaw: check, fromRaw: (r) => r, zero: null, struct: cls } as CType;
}

/** Rebuilds a Structure copied through a queue or pipe: a new one of class `cls` with those bytes. */
export function structFromBytes(cls: new (...a: any[]) => Structure, bytes: Uint8Array): Structure {
  const s = new cls();
  s[kBytes].set(bytes.subarray(0, s[kBytes].length));
  return s;
}
// Named for the trip by the ESM URL of this file, which every thread registers as it loads it.
const selfUrl = esmDistUrl(callerUrl(), 1) + "shared/ctypes.js";
Object.defineProperty(structFromBytes, kGlobalRef, { value: { module: selfUrl, path: "structFromBytes" } });
registerModule(selfUrl, { structFromBytes });
