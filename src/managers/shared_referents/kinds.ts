// The builtin referents a manager keeps in shared memory (continues managers/shared_referents.ts):
// for each of dict, list, Namespace and Value, the methods a thread runs on its replica (the very
// functions the server runs: containers.ts, referents.ts), which of them change it, and how it
// becomes a snapshot and back.

import { repr } from "../../shared/format.js";
import { dictMethods, listMethods } from "../containers.js";
import { Namespace, Value } from "../referents.js";

/** Items a call may spread through the stack and still run in any thread (see Kind.heavy). */
const kSpreadSafe = 8192;

/** A kind's methods, `self` first (as containers.ts's tables). */
export type Methods = Record<string, (self: any, ...args: any[]) => unknown>;

/** What the shared path knows of one builtin type. */
export interface Kind {
  id: number;
  /** The class of the server's referent. */
  type: Function;
  /** Its kind in managers/signatures.ts (whose declarations say which calls fit). */
  referent: string;
  methods: Methods;
  /** Calls that do not change the referent. */
  readonly: Set<string>;
  /** Calls that do (their records are logged). */
  mutating: Set<string>;
  /** 1: read-only, 2: mutating (made from the two sets). */
  role?: Map<string, 1 | 2>;
  /** Plain data that codec.ts encodes, standing for the referent. */
  snapshot(obj: any): unknown;
  /** A replica from a decoded snapshot. */
  fresh(snap: any): any;
  /** Makes the server's referent hold what `fresh` holds (its identity stays). */
  reset(obj: any, fresh: any): void;
  /** Arguments a local call must not take (left to the server). */
  refuse(args: readonly unknown[]): boolean;
  /**
   * Calls published as a snapshot instead of a record: those that spread many items through the
   * stack (push(...xs)), whose success depends on the thread's stack size (main thread 1 MB,
   * workers 4 MB): a replay in another thread must not fail where the call succeeded.
   */
  heavy(obj: any, name: string, args: readonly unknown[]): boolean;
}

// Every kind has every member, in one order: one hidden class, so that a call site that has seen
// one kind does not deoptimize on the next.
const never = (): boolean => false;

const dictKind: Kind = {
  id: 1,
  referent: "dict",
  type: Map,
  methods: { ...dictMethods, __repr__: (m) => repr(m) },
  readonly: new Set(["__contains__", "__getitem__", "__len__", "get", "items", "keys", "values", "copy", "__repr__"]),
  mutating: new Set(["__delitem__", "__setitem__", "clear", "pop", "popitem", "setdefault", "update"]),
  snapshot: (m: Map<unknown, unknown>) => m,
  fresh: (snap: Map<unknown, unknown>) => snap,
  reset(obj: Map<unknown, unknown>, fresh: Map<unknown, unknown>) {
    obj.clear();
    for (const [k, v] of fresh) obj.set(k, v);
  },
  refuse: never,
  heavy: never,
};

const listKind: Kind = {
  id: 2,
  referent: "list",
  type: Array,
  methods: { ...listMethods, __repr__: (l) => repr(l) },
  readonly: new Set(["__contains__", "__getitem__", "__len__", "count", "index", "__add__", "__mul__", "__rmul__", "__reversed__", "__repr__"]),
  mutating: new Set(["__delitem__", "__setitem__", "append", "extend", "insert", "pop", "remove", "reverse", "sort", "__imul__"]),
  snapshot: (l: unknown[]) => l,
  fresh: (snap: unknown[]) => snap,
  reset(obj: unknown[], fresh: unknown[]) {
    obj.length = 0;
    for (const v of fresh) obj.push(v);
  },
  refuse: never,
  heavy(l: unknown[], name, args) {
    if (name === "append") return false;
    if (name === "sort") return l.length > kSpreadSafe;
    if (name === "__imul__") return typeof args[0] === "number" && l.length * args[0] > kSpreadSafe;
    if (name !== "extend") return false;
    const xs = args[0] as any;
    return !(typeof xs === "string" || Array.isArray(xs) ? xs.length <= kSpreadSafe : xs instanceof Map || xs instanceof Set ? xs.size <= kSpreadSafe : false);
  },
};

const ns = Namespace.prototype;
const namespaceKind: Kind = {
  id: 3,
  referent: "namespace",
  type: Namespace,
  methods: {
    __getattribute__: (o, name) => ns.__getattribute__.call(o, name),
    __repr__: (o) => ns.__repr__.call(o),
    __setattr__: (o, name, v) => ns.__setattr__.call(o, name, v),
    __delattr__: (o, name) => ns.__delattr__.call(o, name),
  },
  readonly: new Set(["__getattribute__", "__repr__"]),
  mutating: new Set(["__setattr__", "__delattr__"]),
  snapshot: (n: object) => ({ ...n }),
  fresh: (snap: Record<string, unknown>) => snap,
  reset(obj: Record<string, unknown>, fresh: Record<string, unknown>) {
    for (const k of Object.keys(obj)) delete obj[k];
    Object.assign(obj, fresh);
  },
  refuse: (args) => typeof args[0] !== "string" || args[0] === "__proto__",
  heavy: never,
};

const vp = Value.prototype;
const valueKind: Kind = {
  id: 4,
  referent: "value",
  type: Value,
  methods: {
    get: (o) => vp.get.call(o),
    __repr__: (o) => vp.__repr__.call(o),
    set: (o, v) => vp.set.call(o, v),
  },
  readonly: new Set(["get", "__repr__"]),
  mutating: new Set(["set"]),
  snapshot: (v: Value) => ({ _typecode: v._typecode, _value: v._value }),
  fresh: (snap: { _typecode: string; _value: unknown }) => snap,
  reset(obj: Value, fresh: { _typecode: string; _value: unknown }) {
    obj._typecode = fresh._typecode;
    obj._value = fresh._value;
  },
  refuse: never,
  heavy: never,
};

/** The kinds by the id a slot records. */
export const kinds: Record<number, Kind> = { 1: dictKind, 2: listKind, 3: namespaceKind, 4: valueKind };
/** Method names of compact records (by index). */
export const kMethodNames: string[] = [];
/** Index of each method name in kMethodNames. */
export const kMethodIds = new Map<string, number>();
for (const kind of Object.values(kinds)) {
  kind.role = new Map();
  for (const m of kind.readonly) kind.role.set(m, 1);
  for (const m of kind.mutating) {
    kind.role.set(m, 2);
    if (!kMethodIds.has(m)) {
      kMethodIds.set(m, kMethodNames.length);
      kMethodNames.push(m);
    }
  }
}
/** The kinds by builtin typeid callable (ServerSpec.registry). */
export const kindsByCallable: Record<string, Kind> = { "builtin:dict": dictKind, "builtin:list": listKind, "builtin:Namespace": namespaceKind, "builtin:Value": valueKind };
