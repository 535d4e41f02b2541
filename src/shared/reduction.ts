// How values cross to a worker: CPython's multiprocessing/reduction.py for worker_threads.
// Structured clone carries data (and SharedArrayBuffers by reference) but not classes or
// functions, so before a value travels we walk it and replace
//   - shared objects (Lock, Value, Queue, Connection...) by their registered reduced state,
//   - functions and instances of user classes by {module URL, export name}, as pickle does,
//   - tuples, Maps and Sets by tags that survive the trip with their meaning.
// The receiving side imports the named modules, then rebuilds the same tree. Each shared type
// registers its reducer at the bottom of its own file (CPython's reduction.register).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { threadId } from "node:worker_threads";
import { isTuple, markTuple } from "./format.js";
import { callerUrl, esmDistUrl } from "./location.js";
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

// --- finding functions and classes by name, on both sides ------------------------------------

const kState = Symbol.for("multiprocessing-ts.reduction.state");
const state: {
  /** Module namespaces this thread imported through the library, by URL. */
  modules: Map<string, unknown>;
  /** Functions and classes this thread named for a trip, by `module#path`: it knows them when they come back. */
  known: Map<string, unknown>;
  /** Finds the module that defines a function (popen/locate.ts installs V8's answer). */
  locate: Locator | null;
  /** Reads a function's module-level bindings (popen/locate.ts installs the inspector's answer). */
  scopeLookup: ((fn: Function, name: string) => unknown) | null;
} = ((globalThis as any)[kState] ??= { modules: new Map(), known: new Map(), locate: null, scopeLookup: null });

/** The module namespaces of this thread by URL (the bootstrap and pool workers fill it as they import). */
export function moduleRegistry(): Map<string, unknown> {
  return state.modules;
}

/** Records a module namespace (or a plain object standing for one) under its URL. */
export function registerModule(url: string, ns: unknown): void {
  state.modules.set(url, ns);
}

/** Installs the default locator (V8's record of where a function was defined). */
export function setLocator(locate: Locator, scopeLookup?: (fn: Function, name: string) => unknown): void {
  state.locate = locate;
  if (scopeLookup) state.scopeLookup = scopeLookup;
}

/** Where a value sits in what is sent: `args[0].handler`. */
function at(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

const refCache = new WeakMap<Function, GlobalRef>();

// The library's own modules are named by their ESM URL, whichever build sent them: a child loads
// the ESM build, and one copy of the library per thread.
const esmRoot = esmDistUrl(callerUrl(), 1);
const cjsRoot = esmRoot + "cjs/";
const sourceCache = new Map<string, string | null>();

/** The text of a module (its exports are read from it), or null when it cannot be read. */
function sourceOf(url: string): string | null {
  if (sourceCache.has(url)) return sourceCache.get(url)!;
  let text: string | null = null;
  try {
    if (url.startsWith("file:")) text = readFileSync(fileURLToPath(url), "utf8");
  } catch {
    text = null;
  }
  sourceCache.set(url, text);
  return text;
}

/** The CommonJS exports of a loaded module file, or undefined when it is not a CommonJS module. */
function commonJsExports(url: string): Record<string, unknown> | undefined {
  const cache = requireShim.cache;
  if (!cache || !url.startsWith("file:")) return undefined;
  return cache[fileURLToPath(url)]?.exports;
}
const requireShim = createRequire(process.cwd() + "/");

/**
 * The name under which an ES module exports its top-level `name`, found in its text:
 * `export function name`, `export class name`, `export const name`, `export { name as alias }`,
 * `export default`. Null when the text has no such export; undefined when it cannot be read.
 */
function exportedName(url: string, name: string): string | null | undefined {
  const text = sourceOf(url);
  if (text === null) return undefined;
  const n = name.replace(/[$]/g, "\\$");
  if (new RegExp(`export\\s+(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:function\\s*\\*?|class|const|let|var)\\s*${n}(?![\\w$])`).test(text)) return name;
  if (new RegExp(`export\\s+default\\s+(?:abstract\\s+)?(?:async\\s+)?(?:function\\s*\\*?|class)\\s*${n}(?![\\w$])`).test(text)) return "default";
  for (const m of text.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}(?!\s*from)/g)) {
    for (const part of m[1]!.split(",")) {
      const [local, alias] = part.trim().split(/\s+as\s+/);
      if (local === name) return alias ?? local;
    }
  }
  return null;
}

/** Names a function or class for the trip: its module and export path; refuses what cannot travel. */
export function globalRefOf(fn: Function, opts: ReduceOptions, path: string = opts.what ?? "value"): GlobalRef {
  const marked = (fn as any)[kGlobalRef] as GlobalRef | undefined;
  if (marked) return marked;
  const cached = refCache.get(fn);
  if (cached) return cached;
  const name = fn.name;
  const kind = isClass(fn) ? "class" : "function";
  if (!name || name.startsWith("bound ") || /^(anonymous|<anonymous>)$/.test(name)) {
    throw new TypeError(
      `cannot send an anonymous ${kind} to a worker (${path}): ` +
        `define it with \`export ${kind === "class" ? "class Name" : "function name(...)"}\` at the top level of a module and pass it by name`,
    );
  }
  const module = opts.locate?.(fn) ?? state.locate?.(fn) ?? opts.defaultModule;
  if (!module) throw new TypeError(`cannot find the module that defines '${name}' (${path}); pass { module: import.meta } to name it`);
  let exportPath: string = name;
  const cjs = commonJsExports(module);
  if (cjs !== undefined) {
    // CommonJS: the module's exports are known here; look the value up among them.
    const key = Object.keys(cjs).find((k) => cjs[k] === fn) ?? (typeof cjs === "function" && cjs === fn ? "" : undefined);
    if (key === undefined) {
      throw new TypeError(
        `${kind} '${name}' (${path}) is not in module.exports of ${module}: add it (\`module.exports.${name} = ${name}\`); ` +
          "a worker finds functions and classes by module and exported name, as Python's pickle does (closures and local functions cannot travel)",
      );
    }
    exportPath = key;
  } else if (!module.startsWith("node:")) {
    const found = exportedName(module, name);
    if (found === null) {
      throw new TypeError(
        `${kind} '${name}' (${path}) is not exported from ${module}: declare it with \`export ${kind} ${name}\` at the top level of the module ` +
          "(a worker finds functions and classes by module and exported name, as Python's pickle does; closures and local functions cannot travel)",
      );
    }
    if (found !== undefined) exportPath = found;
  }
  const ref = { module: module.startsWith(cjsRoot) ? esmRoot + module.slice(cjsRoot.length) : module, path: exportPath };
  refCache.set(fn, ref);
  state.known.set(`${module}#${exportPath}`, fn);
  return ref;
}

/** True for a `class` (which must be called with `new`). */
export function isClass(fn: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

const privateCache = new WeakMap<Function, string | null>();
/** The first `#private` member declared by `ctor` or a base class of it, or null. */
function privateMemberOf(ctor: Function): string | null {
  if (privateCache.has(ctor)) return privateCache.get(ctor)!;
  let found: string | null = null;
  for (let c: any = ctor; typeof c === "function" && c !== Object && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    // An instance member declared `#name` (a static one belongs to the class, which travels by name).
    for (const m of Function.prototype.toString.call(c).matchAll(/(?:^|[\s;{}])(static\s+)?(?:(?:get|set|async)\s+)?\*?(#[A-Za-z_$][\w$]*)\s*[=;(\n}]/gm)) {
      if (!m[1]) {
        found = `${c.name}.${m[2]}`;
        break;
      }
    }
    if (found !== null) break;
  }
  privateCache.set(ctor, found);
  return found;
}

/** A user instance reduced as pickle does: `__reduce__()`'s [callable, args], or its class and own fields. */
export type ReducedInstance =
  | { kind: "reduce"; fn: GlobalRef; args: unknown[] }
  | { kind: "inst"; cls: GlobalRef; fields: Record<string, unknown> };

/** Describes an instance of a user class for the trip, or throws with its path and the fix. */
export function reduceInstance(value: object, opts: ReduceOptions, path: string): ReducedInstance {
  const o = value as any;
  if (typeof o.__reduce__ === "function") {
    const r = o.__reduce__();
    if (!Array.isArray(r) || r.length < 2 || typeof r[0] !== "function" || !Array.isArray(r[1])) {
      throw new TypeError(`__reduce__ must return a tuple: [callable, args] (${path})`);
    }
    return { kind: "reduce", fn: globalRefOf(r[0], opts, `${path}.__reduce__()[0]`), args: r[1] };
  }
  const ctor = o.constructor as Function | undefined;
  if (typeof ctor !== "function" || Object.getPrototypeOf(value) !== ctor.prototype && !(value instanceof ctor)) {
    throw new TypeError(`cannot pickle '${ctor?.name ?? "object"}' object (${path}): send data, or an instance of an exported class`);
  }
  const priv = privateMemberOf(ctor);
  if (priv !== null) {
    throw new TypeError(
      `cannot pickle '${ctor.name}' object (${path}): its class declares the private member ${priv}, which cannot be copied to another process; ` +
        "use an ordinary field (e.g. `_name`), or define `__reduce__()` returning [callable, args]",
    );
  }
  const cls = globalRefOf(ctor, opts, `${path}.constructor`);
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(value)) fields[k] = o[k];
  return { kind: "inst", cls, fields };
}

/** Looks up a global named by `ref` in this thread: a module it imported, or a value it sent itself. */
export function resolveGlobal(ref: GlobalRef): unknown {
  const ns = state.modules.get(ref.module);
  if (ns !== undefined) return lookupGlobal(ns, ref);
  const key = `${ref.module}#${ref.path}`;
  if (state.known.has(key)) return state.known.get(key);
  // A function known here whose module scope has the binding: one of the same module first,
  // then any (a module that imports the class has it in its scope too); the value found must
  // have been defined in the named module.
  if (state.scopeLookup && !ref.path.includes(".") && ref.path !== "default") {
    const candidates: Function[] = [];
    for (const [k, v] of state.known) if (typeof v === "function" && k.startsWith(ref.module + "#")) candidates.push(v);
    for (const [k, v] of state.known) if (typeof v === "function" && !k.startsWith(ref.module + "#")) candidates.push(v);
    for (const ns of state.modules.values()) {
      for (const v of Object.values((ns ?? {}) as object)) {
        if (typeof v === "function") {
          candidates.push(v);
          break;
        }
      }
    }
    const tried = new Set<Function>();
    for (const fn of candidates) {
      if (tried.has(fn)) continue;
      tried.add(fn);
      const found = state.scopeLookup(fn, ref.path);
      if (found !== undefined && (typeof found !== "function" || (state.locate?.(found) ?? ref.module) === ref.module)) {
        state.known.set(key, found);
        return found;
      }
    }
  }
  throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].AttributeError(
    `cannot find '${ref.path}' of ${ref.module} in this process: it has not loaded that module through the library ` +
      "(pass a function of that module to this process first, e.g. as the target, or import it in the target's module)",
  );
}

/** Calls what `__reduce__()` named with its arguments (`new` for a class). */
export function callReduced(fn: Function, args: unknown[]): unknown {
  return isClass(fn) ? Reflect.construct(fn, args) : Reflect.apply(fn, undefined, args);
}

/** Rebuilds an instance from its class and fields, as unpickling does (no constructor runs). */
export function rebuildInstance(cls: Function, fields: Record<string, unknown>): object {
  const out = Object.create(cls.prototype);
  for (const k of Object.keys(fields)) out[k] = fields[k];
  return out;
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Replaces shared objects, functions and class instances in `value` by transferable descriptions. */
export function reduceValue(value: unknown, opts: ReduceOptions = {}, seen = new Map<object, unknown>(), path: string = opts.what ?? "value"): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value === "function") return { [kTag]: "fn", ref: globalRefOf(value, opts, path) };
    if (typeof value === "symbol") throw new TypeError(`cannot pickle 'symbol' object (${path})`);
    return value;
  }
  if (seen.has(value)) return seen.get(value);
  const typeName = (value as any)[kReduceType] as string | undefined;
  if (typeName !== undefined) {
    const out: Record<string, unknown> = { [kTag]: "obj", type: typeName };
    seen.set(value, out);
    // The reduced state may hold other shared objects or functions (a Condition's lock, a
    // Barrier's action): reduce it in turn.
    out.state = reduceValue(registry.get(typeName)!.reduce(value), opts, seen, path);
    return out;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, isTuple(value) ? { [kTag]: "tuple", items: out } : out);
    for (let i = 0; i < value.length; i++) out.push(reduceValue(value[i], opts, seen, at(path, i)));
    return seen.get(value);
  }
  if (value instanceof Map) {
    const entries: unknown[] = [];
    const out = { [kTag]: "map", entries };
    seen.set(value, out);
    for (const [k, v] of value) entries.push([reduceValue(k, opts, seen, path), reduceValue(v, opts, seen, at(path, String(k)))]);
    return out;
  }
  if (value instanceof Set) {
    const items: unknown[] = [];
    const out = { [kTag]: "set", items };
    seen.set(value, out);
    for (const v of value) items.push(reduceValue(v, opts, seen, path));
    return out;
  }
  if (isPlain(value)) {
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const k of Object.keys(value)) out[k] = reduceValue((value as any)[k], opts, seen, at(path, k));
    return out;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer ||
      value instanceof Date || value instanceof RegExp || value instanceof Error) {
    return value; // structured clone carries these as they are
  }
  // An instance of a user class: send its class by name and its own fields, as pickle does.
  const r = reduceInstance(value, opts, path);
  if (r.kind === "reduce") {
    const out: Record<string, unknown> = { [kTag]: "reduce", fn: r.fn };
    seen.set(value, out);
    out.args = reduceValue(r.args, opts, seen, `${path}.__reduce__()[1]`);
    return out;
  }
  const fields: Record<string, unknown> = {};
  const out = { [kTag]: "inst", cls: r.cls, fields };
  seen.set(value, out);
  for (const k of Object.keys(r.fields)) fields[k] = reduceValue(r.fields[k], opts, seen, at(path, k));
  return out;
}

/** Lists the module URLs that `rebuildValue` will need to have imported. */
export function modulesOf(reduced: unknown, acc = new Set<string>(), seen = new Set<object>()): Set<string> {
  if (reduced === null || typeof reduced !== "object" || seen.has(reduced)) return acc;
  seen.add(reduced);
  const tag = (reduced as any)[kTag];
  if (tag === "fn") acc.add((reduced as any).ref.module);
  else if (tag === "inst") acc.add((reduced as any).cls.module);
  else if (tag === "reduce") acc.add((reduced as any).fn.module);
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
    if (cur !== undefined) {
      if (typeof cur === "function") noteArrived(cur, ref);
      return cur;
    }
  }
  throw new (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")].AttributeError(
    `'${ref.path}' is not exported from ${ref.module}: add \`export\` to its declaration ` +
      "(a worker finds functions and classes by module and export name, as Python's spawn does)",
  );
}

/**
 * Remembers the name a function or class arrived under: sent on from this thread, it goes by the
 * same name without asking V8 where it was defined (the first such question opens an inspector
 * session, tens of ms of a child's start). It is also known by that name, as if this thread had
 * sent it (resolveGlobal() searches the scopes of known functions).
 */
function noteArrived(fn: Function, ref: GlobalRef): void {
  if ((fn as any)[kGlobalRef] || refCache.has(fn)) return;
  const named: GlobalRef = { module: ref.module, path: ref.path };
  refCache.set(fn, named);
  const key = `${named.module}#${named.path}`;
  if (!state.known.has(key)) state.known.set(key, fn);
}

function findGlobal(modules: Map<string, unknown>, ref: GlobalRef): unknown {
  const ns = modules.get(ref.module);
  return ns !== undefined ? lookupGlobal(ns, ref) : resolveGlobal(ref);
}

/** Rebuilds a value reduced by `reduceValue`; `modules` maps each URL of `modulesOf` to its namespace. */
export function rebuildValue(reduced: unknown, modules: Map<string, unknown>, seen = new Map<object, unknown>()): unknown {
  if (reduced === null || typeof reduced !== "object") return reduced;
  if (seen.has(reduced)) return seen.get(reduced);
  const tag = (reduced as any)[kTag];
  const r = reduced as any;
  switch (tag) {
    case "fn":
      return findGlobal(modules, r.ref);
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
      const cls = findGlobal(modules, r.cls) as Function;
      const out = Object.create(cls.prototype);
      seen.set(reduced, out);
      for (const k of Object.keys(r.fields)) out[k] = rebuildValue(r.fields[k], modules, seen);
      return out;
    }
    case "reduce": {
      const fn = findGlobal(modules, r.fn) as Function;
      const out = callReduced(fn, rebuildValue(r.args, modules, seen) as unknown[]);
      seen.set(reduced, out);
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
