// The methods of Python's list and dict that ListProxy and DictProxy expose (CPython's
// Objects/listobject.c and dictobject.c behaviour and messages), over a JavaScript Array and Map
// in the manager's server. A Map keeps each key's Python type: 1 and "1" are two keys.

import { repr } from "../shared/format.js";
import { IndexError, KeyError, RuntimeError, StopIteration, TypeError, ValueError } from "../shared/pyerrors.js";
import { Slice, markTuple } from "./wire.js";
import { PyFloat } from "../shared/pickle/float.js";
import { kReferent } from "./referent_kind.js";
import { isPlainObject } from "../shared/binder.js";

/** Python's `==` for the values a manager holds. */
export function pyEq(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof PyFloat) a = a.valueOf();
  if (b instanceof PyFloat) b = b.valueOf();
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "bigint") return Number.isInteger(a) && BigInt(a) === b;
  if (typeof a === "bigint" && typeof b === "number") return Number.isInteger(b) && a === BigInt(b);
  if (typeof a === "boolean" && typeof b === "number") return Number(a) === b;
  if (typeof a === "number" && typeof b === "boolean") return a === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  if (a instanceof Map && b instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && pyEq(v, b.get(k)));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b) === 0;
  if (isPlainObject(a) && isPlainObject(b)) {
    // Dicts with string keys arrive as plain objects: equal as Python's dicts are.
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && pyEq(a[k], b[k]));
  }
  return false;
}

function typeName(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (v === null || v === undefined) return "NoneType";
  if (Array.isArray(v)) return (v as any)[Symbol.for("multiprocessing-ts.tuple")] ? "tuple" : "list";
  return typeof v === "bigint" ? "int" : (v as object).constructor?.name ?? "object";
}

/**
 * The items Python's `iter(x)` gives for a value a manager holds: a dict's keys (a Map's, or a
 * plain object's), a str's characters, any other iterable's items.
 * @throws TypeError `'int' object is not iterable` for what is not iterable.
 */
export function pyIterItems(x: unknown): unknown[] {
  if (x instanceof Map) return [...x.keys()];
  if (typeof x === "string") return [...x];
  if (isPlainObject(x)) return Object.keys(x);
  if (x !== null && typeof x === "object" && Symbol.iterator in x) return [...(x as Iterable<unknown>)];
  throw new TypeError(`'${typeName(x)}' object is not iterable`);
}

/** Python's `<` for sorting. */
export function pyLt(a: unknown, b: unknown): boolean {
  const num = (v: unknown) => typeof v === "number" || typeof v === "bigint" || typeof v === "boolean";
  if (num(a) && num(b)) return Number(a) < Number(b);
  if (typeof a === "string" && typeof b === "string") return a < b;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (!pyEq(a[i], b[i])) return pyLt(a[i], b[i]);
    return a.length < b.length;
  }
  throw new TypeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

function index(list: unknown[], i: unknown, what: string): number {
  if (typeof i !== "number" || !Number.isInteger(i)) throw new TypeError(`list indices must be integers or slices, not ${typeName(i)}`);
  const j = i < 0 ? i + list.length : i;
  if (j < 0 || j >= list.length) throw new IndexError(what);
  return j;
}

function mul(list: unknown[], n: unknown): unknown[] {
  if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError(`can't multiply sequence by non-int of type '${typeName(n)}'`);
  const out: unknown[] = [];
  for (let k = 0; k < n; k++) out.push(...list);
  return out;
}

type Methods = Record<string, (self: any, ...args: any[]) => unknown>;

/** The methods of a managed list (ListProxy's exposed names), `self` being the Array. */
export const listMethods: Methods = {
  __add__: (l: unknown[], other: unknown[]) => [...l, ...other],
  __contains__: (l: unknown[], x: unknown) => l.some((y) => pyEq(x, y)),
  __delitem__: (l: unknown[], i: number | Slice) => {
    if (i instanceof Slice) {
      for (const k of i.range(l.length).sort((a, b) => b - a)) l.splice(k, 1);
      return null;
    }
    l.splice(index(l, i, "list assignment index out of range"), 1);
    return null;
  },
  __getitem__: (l: unknown[], i: number | Slice) => (i instanceof Slice ? i.range(l.length).map((k) => l[k]) : l[index(l, i, "list index out of range")]),
  __len__: (l: unknown[]) => l.length,
  __mul__: (l: unknown[], n: number) => mul(l, n),
  __rmul__: (l: unknown[], n: number) => mul(l, n),
  __reversed__: (l: unknown[]) => [...l].reverse(),
  __setitem__: (l: unknown[], i: number | Slice, v: unknown) => {
    if (i instanceof Slice) {
      const src = [...(v as Iterable<unknown>)];
      const [a, b, step] = i.indices(l.length);
      if (step === 1) {
        l.splice(a, Math.max(0, b - a), ...src);
        return null;
      }
      const idx = i.range(l.length);
      if (idx.length !== src.length) throw new ValueError(`attempt to assign sequence of size ${src.length} to extended slice of size ${idx.length}`);
      idx.forEach((k, n) => (l[k] = src[n]));
      return null;
    }
    l[index(l, i, "list assignment index out of range")] = v;
    return null;
  },
  __iadd__: (l: unknown[], other: unknown) => (l.push(...pyIterItems(other)), null),
  __imul__: (l: unknown[], n: number) => {
    const r = mul(l, n);
    l.length = 0;
    l.push(...r);
    return null;
  },
  __iter__: (l: unknown[]) => l[Symbol.iterator](),
  append: (l: unknown[], x: unknown) => (l.push(x), null),
  count: (l: unknown[], x: unknown) => l.filter((y) => pyEq(x, y)).length,
  extend: (l: unknown[], xs: unknown) => (l.push(...pyIterItems(xs)), null),
  index: (l: unknown[], x: unknown, start = 0, stop = l.length) => {
    for (let k = start < 0 ? Math.max(0, start + l.length) : start; k < Math.min(stop < 0 ? stop + l.length : stop, l.length); k++) if (pyEq(l[k], x)) return k;
    throw new ValueError(`${repr(x)} is not in list`);
  },
  insert: (l: unknown[], i: number, x: unknown) => {
    let j = i < 0 ? Math.max(0, i + l.length) : Math.min(i, l.length);
    l.splice(j, 0, x);
    return null;
  },
  pop: (l: unknown[], i: number = -1) => {
    if (l.length === 0) throw new IndexError("pop from empty list");
    return l.splice(index(l, i, "pop index out of range"), 1)[0];
  },
  remove: (l: unknown[], x: unknown) => {
    const k = l.findIndex((y) => pyEq(x, y));
    if (k < 0) throw new ValueError("list.remove(x): x not in list");
    l.splice(k, 1);
    return null;
  },
  reverse: (l: unknown[]) => (l.reverse(), null),
  sort: (l: unknown[], keyFn: ((x: unknown) => unknown) | null = null, reverse = false) => {
    const key = keyFn ?? ((x: unknown) => x);
    const keyed = l.map((x) => [key(x), x] as const);
    keyed.sort((a, b) => (pyLt(a[0], b[0]) ? -1 : pyLt(b[0], a[0]) ? 1 : 0));
    if (reverse) keyed.reverse();
    l.length = 0;
    l.push(...keyed.map((e) => e[1]));
    return null;
  },
};

/** Python's iterator over a dict's keys: raises if the dict changes size while iterated. */
export class DictIterator {
  get [kReferent](): string {
    return "iterator";
  }
  readonly #map: Map<unknown, unknown>;
  readonly #it: Iterator<unknown>;
  readonly #size: number;
  #done = false;
  constructor(map: Map<unknown, unknown>) {
    this.#map = map;
    this.#it = map.keys();
    this.#size = map.size;
  }
  __next__(): unknown {
    if (this.#done) throw new StopIteration();
    if (this.#map.size !== this.#size) {
      this.#done = true;
      throw new RuntimeError("dictionary changed size during iteration");
    }
    const r = this.#it.next();
    if (r.done) {
      this.#done = true;
      throw new StopIteration();
    }
    return r.value;
  }
}

/** Python's iterator over anything iterable (what `__iter__` of a list returns to a proxy). */
export class SeqIterator {
  get [kReferent](): string {
    return "iterator";
  }
  readonly #it: Iterator<unknown>;
  constructor(it: Iterator<unknown>) {
    this.#it = it;
  }
  __next__(): unknown {
    const r = this.#it.next();
    if (r.done) throw new StopIteration();
    return r.value;
  }
}

/** `dict(...)` arguments as Python takes them: a mapping or iterable of pairs, then keywords. */
export function makeDict(...args: unknown[]): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  dictMethods.update!(m, ...args);
  return m;
}

/** Dicts that have had an integral float key (a PyFloat): their number keys are looked up among those too. */
const floatKeyed = new WeakSet<Map<unknown, unknown>>();

/** The key of `m` equal to the number `n` as Python compares (2 == 2.0), or undefined. */
function numberKey(m: Map<unknown, unknown>, n: number): unknown {
  if (m.has(n)) return n;
  if (floatKeyed.has(m)) for (const existing of m.keys()) if (existing instanceof PyFloat && existing.valueOf() === n) return existing;
  return undefined;
}

function key(m: Map<unknown, unknown>, k: unknown): unknown {
  // 1 and 1n (and True) are one key in Python; a Map tells them apart: normalize numbers.
  if (typeof k === "bigint" && k >= BigInt(Number.MIN_SAFE_INTEGER) && k <= BigInt(Number.MAX_SAFE_INTEGER)) k = Number(k);
  if (typeof k === "boolean") return m.has(k) ? k : (numberKey(m, Number(k)) ?? Number(k));
  // float(2) is the key 2 (and 2.0 stays the key once it is one); float(0.25) is the number 0.25.
  if (k instanceof PyFloat) {
    const n = k.valueOf();
    if (!Number.isInteger(n)) return n;
    const existing = numberKey(m, n);
    if (existing !== undefined) return existing;
    floatKeyed.add(m);
    return k;
  }
  if (typeof k === "number") return numberKey(m, k) ?? k;
  if (k !== null && typeof k === "object" && !Array.isArray(k) && !(k instanceof Uint8Array)) {
    throw new TypeError(`unhashable type: '${typeName(k)}'`);
  }
  if (Array.isArray(k)) {
    if (!(k as any)[Symbol.for("multiprocessing-ts.tuple")]) throw new TypeError(`unhashable type: 'list'`);
    for (const existing of m.keys()) if (pyEq(existing, k)) return existing;
  }
  return k;
}

/** The methods of a managed dict (DictProxy's exposed names), `self` being the Map. */
export const dictMethods: Methods = {
  __contains__: (m: Map<unknown, unknown>, k: unknown) => m.has(key(m, k)),
  __delitem__: (m: Map<unknown, unknown>, k: unknown) => {
    if (!m.delete(key(m, k))) throw new KeyError(k);
    return null;
  },
  __getitem__: (m: Map<unknown, unknown>, k: unknown) => {
    const kk = key(m, k);
    if (!m.has(kk)) throw new KeyError(k);
    return m.get(kk);
  },
  __iter__: (m: Map<unknown, unknown>) => new DictIterator(m),
  __len__: (m: Map<unknown, unknown>) => m.size,
  __setitem__: (m: Map<unknown, unknown>, k: unknown, v: unknown) => (m.set(key(m, k), v), null),
  clear: (m: Map<unknown, unknown>) => (m.clear(), null),
  copy: (m: Map<unknown, unknown>) => new Map(m),
  get: (m: Map<unknown, unknown>, k: unknown, dflt: unknown = null) => {
    const kk = key(m, k);
    return m.has(kk) ? m.get(kk) : dflt;
  },
  items: (m: Map<unknown, unknown>) => [...m].map(([k, v]) => markTuple([k, v])),
  keys: (m: Map<unknown, unknown>) => [...m.keys()],
  values: (m: Map<unknown, unknown>) => [...m.values()],
  pop: (m: Map<unknown, unknown>, ...a: unknown[]) => {
    const kk = key(m, a[0]);
    if (m.has(kk)) {
      const v = m.get(kk);
      m.delete(kk);
      return v;
    }
    if (a.length > 1) return a[1];
    throw new KeyError(a[0]);
  },
  popitem: (m: Map<unknown, unknown>) => {
    if (m.size === 0) throw new KeyError("popitem(): dictionary is empty");
    const last = [...m.keys()].pop();
    const v = m.get(last);
    m.delete(last);
    return markTuple([last, v]);
  },
  setdefault: (m: Map<unknown, unknown>, k: unknown, dflt: unknown = null) => {
    const kk = key(m, k);
    if (!m.has(kk)) m.set(kk, dflt);
    return m.get(kk);
  },
  update: (m: Map<unknown, unknown>, ...args: unknown[]) => {
    for (const src of args) {
      if (src === null || src === undefined) continue;
      if (src instanceof Map) for (const [k, v] of src) m.set(key(m, k), v);
      else if (typeof src === "object" && !Array.isArray(src) && !(Symbol.iterator in (src as object))) {
        for (const [k, v] of Object.entries(src as object)) m.set(k, v);
      } else {
        let n = 0;
        for (const pair of src as Iterable<unknown>) {
          const p = [...(pair as Iterable<unknown>)];
          if (p.length !== 2) throw new ValueError(`dictionary update sequence element #${n} has length ${p.length}; 2 is required`);
          m.set(key(m, p[0]), p[1]);
          n++;
        }
      }
    }
    return null;
  },
};
