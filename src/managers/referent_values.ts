// The plain-data objects a SyncManager's server holds (continues managers/referents.ts):
// managers.Namespace, managers.Value (Lib/multiprocessing/managers.py) and array.array
// (Modules/arraymodule.c), PSF-2.0.

import { repr } from "../shared/format.js";
import { reprFloat } from "../shared/pickle/float.js";
import { PyObject } from "../shared/pyobject.js";
import { AttributeError, IndexError, OverflowError, TypeError, ValueError } from "../shared/pyerrors.js";
import { register } from "../shared/reduction.js";
import { Slice } from "./wire.js";
import { kReferent } from "./referent_kind.js";

/** `multiprocessing.managers.Namespace`: attributes; repr lists the public ones, sorted. */
export class Namespace extends PyObject {
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "namespace";
  }
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
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "value";
  }
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
  /** Which declared signatures its methods have (managers/signatures.ts). */
  get [kReferent](): string {
    return "array";
  }
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
    // As CPython: a 'u' array shows its text; 'f' and 'd' items are floats (2.0).
    if (this.typecode === "u") return `array('u', ${repr(this.items.join(""))})`;
    if (kTypecodes[this.typecode] === "float") return `array('${this.typecode}', [${this.items.map((x) => reprFloat(x as number)).join(", ")}])`;
    return `array('${this.typecode}', ${repr(this.items)})`;
  }
}
register("managers.array", PyArray, {
  reduce: (a: PyArray) => [a.typecode, a.items],
  rebuild: (s: [string, unknown[]]) => new PyArray(s[0], s[1]),
});
