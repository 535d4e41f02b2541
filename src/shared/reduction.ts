// How values cross to a worker: CPython's multiprocessing/reduction.py for worker_threads.
// Structured clone carries data (and SharedArrayBuffers by reference) but not classes or
// functions, so before a value travels we walk it and replace
//   - shared objects (Lock, Value, Queue, Connection...) by their registered reduced state,
//   - functions and instances of user classes by {module URL, export name}, as pickle does,
//   - tuples, Maps and Sets by tags that survive the trip with their meaning.
// The receiving side imports the named modules, then rebuilds the same tree. Each shared type
// registers its reducer at the bottom of its own file (CPython's reduction.register).

import { threadId } from "node:worker_threads";
import { isTuple, markTuple } from "./format.js";
import { TypeError } from "./pyerrors.js";

const kTag = "\u0000mp";

type Reducer = {
  reduce(obj: any): unknown;
  rebuild(state: any): unknown;
  /** Undoes what `reduce` acquired (a handle) when the receiver died without doing it itself. */
  release?(state: any): void;
};
const kRegistry = Symbol.for("multiprocessing-ts.reducers");
const registry: Map<string, Reducer> = ((globalThis as any)[kRegistry] ??= new Map());
/** Every class that has a reducer carries its type name under this symbol. */
export const kReduceType = Symbol.for("multiprocessing-ts.reduceType");

/** Registers how instances of a shared type travel: `reduce` runs in the sender, `rebuild` in the receiver. */
export function register(typeName: string, ctor: { prototype: object }, reducer: Reducer): void {
  registry.set(typeName, reducer);
  Object.defineProperty(ctor.prototype, kReduceType, { value: typeName, enumerable: false, configurable: true });
}

/** A function or class named by module and export path: what pickle writes for a global. */
export interface GlobalRef {
  module: string;
  path: string;
}

/** Marks a library function or object with the export path a worker uses to find it. */
export const kGlobalRef = Symbol.for("multiprocessing-ts.globalRef");

/** Names a function (or class) for the trip: its module URL and export name. */
export type Locator = (fn: Function) => string | null;

/** Options of one reduction: where to look up functions and classes. */
export interface ReduceOptions {
  /** Finds the module that defines a function; falls back to `defaultModule`. */
  locate?: Locator;
  /** The module named for functions whose definition cannot be located (the caller's module). */
  defaultModule?: string;
  /** What the value is for, used in error messages ("Process args"). */
  what?: string;
}

/** Describes a function for a worker, or throws Python's pickling error for ones that cannot travel. */
export function globalRefOf(fn: Function, opts: ReduceOptions): GlobalRef {
  const marked = (fn as any)[kGlobalRef] as GlobalRef | undefined;
  if (marked) return marked;
  const name = fn.name;
  if (!name || name.startsWith("bound ") || /^(anonymous|<anonymous>)$/.test(name)) {
    throw new TypeError(
      `cannot send an anonymous function to a worker (${opts.what ?? "value"}): ` +
        "define it with `export function name(...)` at the top level of a module and pass it by name",
    );
  }
  const module = opts.locate?.(fn) ?? opts.defaultModule;
  if (!module) throw new TypeError(`cannot find the module that defines '${name}'; pass { module: import.meta } to name it`);
  return { module, path: name };
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Replaces shared objects, functions and class instances in `value` by transferable descriptions. */
export function reduceValue(value: unknown, opts: ReduceOptions = {}, seen = new Map<object, unknown>()): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value === "function") return { [kTag]: "fn", ref: globalRefOf(value, opts) };
    return value;
  }
  if (seen.has(value)) return seen.get(value);
  const typeName = (value as any)[kReduceType] as string | undefined;
  if (typeName !== undefined) {
    const out: Record<string, unknown> = { [kTag]: "obj", type: typeName };
    seen.set(value, out);
    // The reduced state may hold other shared objects or functions (a Condition's lock, a
    // Barrier's action): reduce it in turn.
    out.state = reduceValue(registry.get(typeName)!.reduce(value), opts, seen);
    return out;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, isTuple(value) ? { [kTag]: "tuple", items: out } : out);
    for (const x of value) out.push(reduceValue(x, opts, seen));
    return seen.get(value);
  }
  if (value instanceof Map) {
    const entries: unknown[] = [];
    const out = { [kTag]: "map", entries };
    seen.set(value, out);
    for (const [k, v] of value) entries.push([reduceValue(k, opts, seen), reduceValue(v, opts, seen)]);
    return out;
  }
  if (value instanceof Set) {
    const items: unknown[] = [];
    const out = { [kTag]: "set", items };
    seen.set(value, out);
    for (const v of value) items.push(reduceValue(v, opts, seen));
    return out;
  }
  if (isPlain(value)) {
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const k of Object.keys(value)) out[k] = reduceValue((value as any)[k], opts, seen);
    return out;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer ||
      value instanceof Date || value instanceof RegExp || value instanceof Error) {
    return value; // structured clone carries these as they are
  }
  // An instance of a user class: send its class by name and its own fields, as pickle does.
  const ctor = (value as any).constructor as Function | undefined;
  if (typeof ctor !== "function") throw new TypeError(`cannot send ${String(value)} to a worker`);
  const fields: Record<string, unknown> = {};
  const out = { [kTag]: "inst", cls: globalRefOf(ctor, opts), fields };
  seen.set(value, out);
  for (const k of Object.keys(value)) fields[k] = reduceValue((value as any)[k], opts, seen);
  return out;
}

/** Lists the module URLs that `rebuildValue` will need to have imported. */
export function modulesOf(reduced: unknown, acc = new Set<string>(), seen = new Set<object>()): Set<string> {
  if (reduced === null || typeof reduced !== "object" || seen.has(reduced)) return acc;
  seen.add(reduced);
  const tag = (reduced as any)[kTag];
  if (tag === "fn") acc.add((reduced as any).ref.module);
  else if (tag === "inst") acc.add((reduced as any).cls.module);
  if (ArrayBuffer.isView(reduced) || reduced instanceof SharedArrayBuffer || reduced instanceof ArrayBuffer) return acc;
  for (const v of Object.values(reduced)) modulesOf(v, acc, seen);
  return acc;
}

/** Finds `path` (dotted) in a module namespace, looking through a CommonJS `default` too. */
export function lookupGlobal(ns: any, ref: GlobalRef): unknown {
  const parts = ref.path.split(".");
  for (const root of [ns, ns?.default]) {
    let cur = root;
    for (const p of parts) cur = cur == null ? undefined : cur[p];
    if (cur !== undefined) return cur;
  }
  throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].AttributeError(
    `'${ref.path}' is not exported from ${ref.module}: add \`export\` to its declaration ` +
      "(a worker finds functions and classes by module and export name, as Python's spawn does)",
  );
}

/** Rebuilds a value reduced by `reduceValue`; `modules` maps each URL of `modulesOf` to its namespace. */
export function rebuildValue(reduced: unknown, modules: Map<string, unknown>, seen = new Map<object, unknown>()): unknown {
  if (reduced === null || typeof reduced !== "object") return reduced;
  if (seen.has(reduced)) return seen.get(reduced);
  const tag = (reduced as any)[kTag];
  const r = reduced as any;
  switch (tag) {
    case "fn":
      return lookupGlobal(modules.get(r.ref.module), r.ref);
    case "obj": {
      const reducer = registry.get(r.type);
      if (!reducer) throw new TypeError(`Internal error: no reducer registered for ${r.type}`);
      const obj = reducer.rebuild(rebuildValue(r.state, modules, seen));
      seen.set(reduced, obj);
      return obj;
    }
    case "tuple": {
      const out = markTuple([] as unknown[]);
      seen.set(reduced, out);
      for (const x of r.items) out.push(rebuildValue(x, modules, seen));
      return out;
    }
    case "map": {
      const out = new Map();
      seen.set(reduced, out);
      for (const [k, v] of r.entries) out.set(rebuildValue(k, modules, seen), rebuildValue(v, modules, seen));
      return out;
    }
    case "set": {
      const out = new Set();
      seen.set(reduced, out);
      for (const v of r.items) out.add(rebuildValue(v, modules, seen));
      return out;
    }
    case "inst": {
      const cls = lookupGlobal(modules.get(r.cls.module), r.cls) as Function;
      const out = Object.create(cls.prototype);
      seen.set(reduced, out);
      for (const k of Object.keys(r.fields)) out[k] = rebuildValue(r.fields[k], modules, seen);
      return out;
    }
  }
  if (Array.isArray(reduced)) {
    const out: unknown[] = [];
    seen.set(reduced, out);
    for (const x of reduced) out.push(rebuildValue(x, modules, seen));
    return out;
  }
  if (isPlain(reduced)) {
    const out: Record<string, unknown> = {};
    seen.set(reduced, out);
    for (const k of Object.keys(reduced)) out[k] = rebuildValue(r[k], modules, seen);
    return out;
  }
  return reduced;
}

// --- identity of rebuilt shared objects ------------------------------------------------------
// The same Lock sent twice to one child (directly and inside a Condition) must be one object
// there, as unpickling gives one SemLock per handle. Shared objects carry an id; rebuilt ones are
// cached per thread by id.

const kIdentity = Symbol.for("multiprocessing-ts.identity");
const identities: Map<string, WeakRef<object>> = ((globalThis as any)[kIdentity] ??= new Map());
let idCounter = 0;

/** A new id, unique in the whole process tree. */
export function newSharedId(): string {
  return `${process.pid}.${threadId}.${++idCounter}`;
}

/** Returns the object already rebuilt (or created) here for `id`, or makes and remembers one. */
export function rebuildOnce<T extends object>(id: string, make: () => T): T {
  const known = identities.get(id)?.deref();
  if (known) return known as T;
  const obj = make();
  identities.set(id, new WeakRef(obj));
  return obj;
}

/** Remembers a locally created shared object under its id. */
export function rememberShared(id: string, obj: object): void {
  identities.set(id, new WeakRef(obj));
}

/** Calls the `release` hook of every shared object in a reduced tree (its receiver has died). */
export function releaseReduced(reduced: unknown, seen = new Set<object>()): void {
  if (reduced === null || typeof reduced !== "object" || seen.has(reduced)) return;
  seen.add(reduced);
  if (ArrayBuffer.isView(reduced) || reduced instanceof SharedArrayBuffer || reduced instanceof ArrayBuffer) return;
  const r = reduced as any;
  if (r[kTag] === "obj") registry.get(r.type)?.release?.(r.state);
  for (const v of Object.values(reduced)) releaseReduced(v, seen);
}
