// Python's argument binding (CPython Python/ceval.c initialize_locals and Argument Clinic's
// parser) for the library's public callables: positionals, then one trailing options object
// with the remaining keyword names, bound against a declared signature. One declaration gives
// the runtime binding, CPython's TypeError texts and the TypeScript types of the call.
// Per-parameter converters (shared/convert.ts) validate the values as CPython does.

import { TypeError } from "./pyerrors.js";

/** Converts and validates one argument (throws Python's error); `In` is what TypeScript callers pass. */
export interface Converter<In = unknown, Out = In> {
  (value: unknown): Out;
  /** Type-only. */
  readonly __in?: In;
}

/** A converter that only types the parameter: `as<(x: number) => unknown>()`. */
export function as<T>(): Converter<T, T> {
  return identity as Converter<T, T>;
}
const identity = (v: unknown) => v;

/** How a parameter may be passed (Python's parameter kinds). */
export type Kind = "positional" | "positional-only" | "keyword-only" | "var-positional" | "var-keyword";

/**
 * Whether a plain object that lands on this parameter's position is its *value* (true) or the
 * trailing keyword object (false).
 */
export type ObjectRule = (value: object, sig: Signature<any>, param: AnyParam) => boolean;

/** One declared parameter. `In` is what the TypeScript caller may pass, `Out` what the function gets. */
export interface Param<N extends string = string, In = unknown, Out = unknown, K extends Kind = Kind, Opt extends boolean = boolean> {
  readonly name: N;
  readonly kind: K;
  readonly optional: Opt;
  readonly default: Out | undefined;
  readonly convert: ((value: unknown) => unknown) | null;
  readonly object: ObjectRule | null;
  /** Type-only: what callers pass. */
  readonly __in?: In;
}
/** Any declared parameter. */
export type AnyParam = Param<string, any, any, Kind, boolean>;

interface ParamOptions {
  /** The default (Python's); without it the parameter is required. Not converted. */
  default?: unknown;
  /** Keyword-only (after `*` in Python), positional-only (before `/`), `*args`, or `**kwargs` (last; gets an object). */
  kind?: Kind;
  /** See ObjectRule: when a plain object at this position is a value. */
  object?: ObjectRule;
}

type ConvIn<C> = C extends Converter<infer I, any> ? I : unknown;
type ConvOut<C> = C extends Converter<any, infer O> ? O : unknown;
type KindOf<O> = O extends { kind: infer K extends Kind } ? K : "positional";
type OptOf<O> = O extends { default: any } ? true : O extends { kind: "var-positional" | "var-keyword" } ? true : false;
type DefaultOf<O> = O extends { default: infer D } ? D : never;

/** Declares a parameter: `p("timeout", convert.timeout, { default: null })`. */
export function p<const N extends string, C extends Converter<any, any> | null = null, const O extends ParamOptions = {}>(
  name: N,
  convert?: C,
  options?: O,
): Param<N, ConvIn<C>, ConvOut<C> | DefaultOf<O>, KindOf<O>, OptOf<O>> {
  const o: ParamOptions = options ?? {};
  return {
    name,
    kind: o.kind ?? "positional",
    optional: "default" in o || o.kind === "var-positional" || o.kind === "var-keyword",
    default: o.default,
    convert: convert ?? null,
    object: o.object ?? null,
  } as any;
}

/** A plain object at a required value position is the value; at an optional one, unless all its keys are keyword names. */
export const anyValue: ObjectRule = (v, sig, q) => !q.optional || !sig.allKeywords(v);
/** A plain object at this position is always the value (a positional-only parameter of a C function). */
export const alwaysValue: ObjectRule = () => true;
/** A plain object with a `__call__` method is a callable value (Python's protocol). */
export const callableValue: ObjectRule = (v) => typeof (v as { __call__?: unknown }).__call__ === "function";

/**
 * Error texts: "py" for functions written in Python, "c" for Argument Clinic's and
 * PyArg_ParseTupleAndKeywords' (SemLock.acquire, list.sort), "builtin" for C methods that take
 * positionals only (METH_O, METH_NOARGS, _PyArg_CheckPositional: `list.append`, `dict.get`),
 * "slot" for slot wrappers (`list.__len__`: "expected 0 arguments, got 1") and "slot-unpack" for
 * those that count with PyArg_UnpackTuple (`list.__setitem__`: " expected 2 arguments, got 1").
 */
export type Style = "py" | "c" | "builtin" | "slot" | "slot-unpack";

/** A declared Python signature: `sig("Queue.get", [p("block"...), p("timeout"...)], { method: true })`. */
export class Signature<Ps extends readonly AnyParam[] = readonly AnyParam[]> {
  /** The name CPython prints in errors (`ApplyResult.get`, `wait`, `acquire`). */
  readonly qualname: string;
  readonly params: Ps;
  /** Methods count `self` in the positional counts of CPython's messages. */
  readonly method: boolean;
  readonly style: Style;
  readonly #nPos: number;
  readonly #var: number;
  /** Index of the `**kwargs` parameter, or -1. */
  readonly #varKw: number;
  readonly #byName = new Map<string, number>();
  readonly #required: number;
  /** Only positional parameters: bind() may take its fast path. */
  readonly #simple: boolean;

  constructor(qualname: string, params: Ps, options: { method?: boolean; style?: Style } = {}) {
    this.qualname = qualname;
    this.params = params;
    this.method = options.method ?? false;
    this.style = options.style ?? "py";
    let nPos = 0;
    let required = 0;
    let v = -1;
    let vk = -1;
    params.forEach((q, i) => {
      if (vk >= 0) throw new Error(`bad signature ${qualname}`);
      if (q.kind === "positional" || q.kind === "positional-only") {
        if (v >= 0 || (i > 0 && params[i - 1]!.kind === "keyword-only")) throw new Error(`bad signature ${qualname}`);
        nPos++;
        if (!q.optional) required = nPos;
      } else if (q.kind === "var-positional") v = i;
      else if (q.kind === "var-keyword") vk = i;
      if (q.kind !== "positional-only" && q.kind !== "var-positional" && q.kind !== "var-keyword") this.#byName.set(q.name, i);
    });
    this.#nPos = nPos;
    this.#var = v;
    this.#varKw = vk;
    this.#required = required;
    this.#simple = v < 0 && vk < 0 && params.every((q) => q.kind === "positional" || q.kind === "positional-only");
  }

  /** True if `n` positionals (and no keywords) fit: what a call already split may be checked with. */
  accepts(n: number): boolean {
    return n >= this.#required && (n <= this.#nPos || this.#var >= 0);
  }

  /** True if every own key of `obj` names a parameter that can be passed by keyword. */
  allKeywords(obj: object): boolean {
    for (const k in obj) if (Object.hasOwn(obj, k) && !this.#byName.has(k)) return false;
    return true;
  }

  /** Whether `last`, a plain object at position `pos`, is the keyword object. */
  #isKeywords(last: object, pos: number): boolean {
    const q = pos < this.#nPos ? this.params[pos]! : this.#var >= 0 ? this.params[this.#var]! : null;
    if (q === null || q.object === null) return true;
    if (q.kind === "var-positional") return true;
    return !q.object(last, this, q);
  }

  /**
   * Splits a call as bind() would, without binding: the positionals (an `undefined` before the
   * last one given becomes its parameter's default) and the keyword object (null if none; keys
   * whose value is `undefined` left out). What a client sends as Python's `(args, kwds)`.
   */
  split(args: ArrayLike<unknown>): [unknown[], Record<string, unknown> | null] {
    let n = args.length;
    while (n > 0 && args[n - 1] === undefined) n--;
    let kw: Record<string, unknown> | null = null;
    if (n > 0) {
      const last = args[n - 1];
      if (isPlainObject(last) && this.#isKeywords(last, n - 1)) {
        n--;
        while (n > 0 && args[n - 1] === undefined) n--;
        for (const k in last) {
          if (Object.hasOwn(last, k) && last[k] !== undefined) (kw ??= {})[k] = last[k];
        }
      }
    }
    if (kw === null && n === args.length && Array.isArray(args) && !args.includes(undefined)) return [args, null];
    const pos = Array.prototype.slice.call(args, 0, n);
    for (let i = 0; i < n; i++) if (pos[i] === undefined && i < this.#nPos) pos[i] = this.params[i]!.default;
    return [pos, kw];
  }

  /**
   * Binds a call as it arrives on a manager's wire, Python's `(args, kwds)`: the keywords
   * explicit; without any, as bind() (a trailing plain object may still be the keyword object).
   * @throws TypeError with CPython's text when the call does not fit the signature.
   */
  bindWire(args: readonly unknown[], kwds: Record<string, unknown> | null): Outs<Ps> {
    if (kwds === null || countKeys(kwds) === 0) return this.bind(args);
    return this.bindSlow(args, args.length, kwds);
  }

  /**
   * Binds `args` (positionals, then optionally one trailing keyword object) and converts each
   * value. Returns the values in declaration order (`*args` as an array), defaults filled in.
   * `undefined` means "not given", as an omitted argument.
   * @throws TypeError with CPython's text when the call does not fit the signature.
   */
  bind(args: ArrayLike<unknown>): Outs<Ps> {
    let n = args.length;
    while (n > 0 && args[n - 1] === undefined) n--;
    let kw: Record<string, unknown> | null = null;
    if (n > 0) {
      const last = args[n - 1];
      if (isPlainObject(last) && this.#isKeywords(last, n - 1)) {
        kw = last as Record<string, unknown>;
        n--;
        while (n > 0 && args[n - 1] === undefined) n--;
      }
    }
    const params = this.params;
    if (kw === null && n <= this.#nPos && this.#simple) {
      // Fast path (positionals only, no *args, no keyword-only): no bookkeeping beyond `out`.
      const out: unknown[] = new Array(params.length);
      for (let i = 0; i < params.length; i++) {
        const q = params[i]!;
        const v = i < n ? args[i] : undefined;
        if (v === undefined) {
          if (!q.optional) return this.bindSlow(args, n, null);
          out[i] = q.default;
        } else out[i] = q.convert === null ? v : q.convert(v);
      }
      return out as Outs<Ps>;
    }
    return this.bindSlow(args, n, kw);
  }

  /** @internal the general case of bind(): `n` positionals, `kw` the keyword object or null. */
  bindSlow(args: ArrayLike<unknown>, n: number, kw: Record<string, unknown> | null): Outs<Ps> {
    const params = this.params;
    const out: unknown[] = new Array(params.length);
    const given: boolean[] = new Array(params.length).fill(false);
    const style = this.style;
    if (style !== "py") this.#checkC(n, kw);
    const nPos = Math.min(n, this.#nPos);
    for (let i = 0; i < nPos; i++) {
      if (args[i] !== undefined) {
        out[i] = args[i];
        given[i] = true;
      }
    }
    if (kw !== null) {
      for (const key in kw) {
        if (!Object.hasOwn(kw, key)) continue;
        const i = this.#byName.get(key);
        if (i === undefined) {
          if (this.#varKw >= 0) {
            if (kw[key] !== undefined) ((out[this.#varKw] ??= {}) as Record<string, unknown>)[key] = kw[key];
            continue;
          }
          throw new TypeError(this.style === "c" ? `'${key}' is an invalid keyword argument for ${this.qualname}()` : `${this.qualname}() got an unexpected keyword argument '${key}'`);
        }
        if (i < n && i < this.#nPos && args[i] !== undefined) {
          throw new TypeError(this.style === "c" ? `argument for ${this.qualname}() given by name ('${key}') and position (${i + 1})` : `${this.qualname}() got multiple values for argument '${key}'`);
        }
        const v = kw[key];
        if (v !== undefined) {
          out[i] = v;
          given[i] = true;
        }
      }
    }
    if (n > this.#nPos && this.#var < 0) throw this.#tooMany(n, kw);
    if (this.#var >= 0) {
      out[this.#var] = n > this.#nPos ? Array.prototype.slice.call(args, this.#nPos, n) : [];
      given[this.#var] = true;
    }
    if (this.#varKw >= 0) {
      out[this.#varKw] ??= {};
      given[this.#varKw] = true;
    }
    let missing: string[] | null = null;
    let missingKw: string[] | null = null;
    for (let i = 0; i < params.length; i++) {
      if (given[i]) continue;
      const q = params[i]!;
      if (q.optional) out[i] = q.default;
      else if (q.kind === "keyword-only") (missingKw ??= []).push(q.name);
      else (missing ??= []).push(q.name);
    }
    if (missing) throw this.#missing(missing, "positional");
    if (missingKw) throw this.#missing(missingKw, "keyword-only");
    for (let i = 0; i < params.length; i++) {
      const c = params[i]!.convert;
      if (c !== null && given[i] && i !== this.#varKw) {
        if (i === this.#var) out[i] = (out[i] as unknown[]).map(c);
        else out[i] = c(out[i]);
      }
    }
    return out as Outs<Ps>;
  }

  /** The checks C functions make before binding ("c", "builtin" and "slot" styles), with their texts. */
  #checkC(n: number, kw: Record<string, unknown> | null): void {
    const q = this.qualname;
    const nk = kw ? countKeys(kw) : 0;
    const s = (k: number) => (k === 1 ? "" : "s");
    if (this.style === "c") {
      if (this.#var >= 0 || this.#varKw >= 0) return;
      const len = this.params.length;
      if (n + nk > len) throw new TypeError(`${q}() takes at most ${len} ${n === 0 ? "keyword " : ""}argument${s(len)} (${n + nk} given)`);
      if (n > this.#nPos) throw new TypeError(this.#nPos === 0 ? `${q}() takes no positional arguments` : `${q}() takes at most ${this.#nPos} positional argument${s(this.#nPos)} (${n} given)`);
      return;
    }
    const short = q.slice(q.lastIndexOf(".") + 1);
    if (nk > 0 && this.#varKw < 0) throw new TypeError(this.style === "builtin" ? `${q}() takes no keyword arguments` : `wrapper ${short}() takes no keyword arguments`);
    if (n < this.#required || (n > this.#nPos && this.#var < 0)) throw this.#arityC(n);
  }

  /** The TypeError of a C function ("builtin" and "slot" styles) given `n` positionals that do not fit. */
  #arityC(n: number): TypeError {
    const q = this.qualname;
    const short = q.slice(q.lastIndexOf(".") + 1);
    const s = (k: number) => (k === 1 ? "" : "s");
    const min = this.#required;
    const max = this.#var >= 0 ? Infinity : this.#nPos;
    if (this.style !== "builtin") return new TypeError(`${this.style === "slot-unpack" ? " " : ""}expected ${max} argument${s(max)}, got ${n}`);
    if (max === 0) return new TypeError(`${q}() takes no arguments (${n} given)`);
    if (min === 1 && max === 1) return new TypeError(`${q}() takes exactly one argument (${n} given)`);
    if (min === max) return new TypeError(`${short} expected ${max} argument${s(max)}, got ${n}`);
    if (n < min) return new TypeError(`${short} expected at least ${min} argument${s(min)}, got ${n}`);
    return new TypeError(`${short} expected at most ${max} argument${s(max)}, got ${n}`);
  }

  #tooMany(n: number, kw: Record<string, unknown> | null): TypeError {
    const self = this.method ? 1 : 0;
    const max = this.#nPos + self;
    const min = this.#required + self;
    const given = n + self;
    let kwOnlyGiven = 0;
    if (kw) for (const k in kw) if (Object.hasOwn(kw, k) && kw[k] !== undefined && this.params[this.#byName.get(k)!]?.kind === "keyword-only") kwOnlyGiven++;
    const takes = min === max ? `${max} positional argument${max === 1 ? "" : "s"}` : `from ${min} to ${max} positional arguments`;
    const extra = kwOnlyGiven ? ` positional argument${given === 1 ? "" : "s"} (and ${kwOnlyGiven} keyword-only argument${kwOnlyGiven === 1 ? "" : "s"})` : "";
    return new TypeError(`${this.qualname}() takes ${takes} but ${given}${extra} ${given === 1 && !kwOnlyGiven ? "was" : "were"} given`);
  }

  #missing(names: string[], what: string): TypeError {
    // A C function that counts its arguments: as if the call stopped before the first one missing.
    if (this.style === "builtin" || this.style.startsWith("slot")) return this.#arityC(this.params.findIndex((q) => q.name === names[0]));
    if (this.style === "c") {
      const i = this.params.findIndex((q) => q.name === names[0]);
      return new TypeError(`${this.qualname}() missing required argument '${names[0]}' (pos ${i + 1})`);
    }
    const q = names.map((x) => `'${x}'`);
    const list = q.length === 1 ? q[0] : q.length === 2 ? `${q[0]} and ${q[1]}` : `${q.slice(0, -1).join(", ")}, and ${q[q.length - 1]}`;
    return new TypeError(`${this.qualname}() missing ${names.length} required ${what} argument${names.length === 1 ? "" : "s"}: ${list}`);
  }
}

/**
 * Declares a signature. `method`: a bound method (CPython counts `self` in its messages); `id`:
 * the key it is listed under (default the qualname; two callables may share one: the manager's
 * `queue.Queue.get` and multiprocessing's `Queue.get` both print `Queue.get`).
 */
export function sig<const Ps extends readonly AnyParam[]>(qualname: string, params: Ps, options?: { method?: boolean; style?: Style; id?: string }): Signature<Ps> {
  const s = new Signature(qualname, params, options);
  declared.set(options?.id ?? qualname, s);
  return s;
}

// Every declared signature, by qualname (kept on globalThis: the ESM and CommonJS builds share it).
const declared: Map<string, Signature<any>> = ((globalThis as any)[Symbol.for("multiprocessing-ts.signatures")] ??= new Map());
/** @internal every signature declared so far (the tests walk them). */
export function declaredSignatures(): ReadonlyMap<string, Signature<any>> {
  return declared;
}

/**
 * For a method that takes no argument: CPython's TypeError when given some
 * (`Queue.qsize() takes 1 positional argument but 2 were given`).
 */
export function noArgs(qualname: string, args: ArrayLike<unknown>, method = true): void {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  if (n === 0) return;
  if (n === 1 && isPlainObject(args[0])) {
    const k = Object.keys(args[0] as object);
    if (k.length === 0) return;
    throw new TypeError(`${qualname}() got an unexpected keyword argument '${k[0]}'`);
  }
  const self = method ? 1 : 0;
  throw new TypeError(`${qualname}() takes ${self} positional argument${self === 1 ? "" : "s"} but ${n + self} ${n + self === 1 ? "was" : "were"} given`);
}

/** A plain object (`{...}` or `Object.create(null)`): the only thing taken as a keyword object. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function countKeys(o: object): number {
  let k = 0;
  for (const key in o) if (Object.hasOwn(o, key) && (o as Record<string, unknown>)[key] !== undefined) k++;
  return k;
}

// --- types derived from a declaration ------------------------------------------------------------

type InOf<Q, Over> = Q extends Param<infer N, infer In, any, any, any> ? (N extends keyof Over ? Over[N] : In) : never;
type OutOf<Q> = Q extends Param<any, any, infer Out, infer K, any> ? (K extends "var-positional" ? Out[] : K extends "var-keyword" ? Record<string, unknown> : Out) : never;

/** The values `bind()` returns, in declaration order. */
export type Outs<Ps extends readonly AnyParam[]> = { -readonly [K in keyof Ps]: OutOf<Ps[K]> };

type KeywordNames<Ps extends readonly AnyParam[]> = Exclude<Ps[number], { kind: "positional-only" | "var-positional" | "var-keyword" }>;
type VarKeywords<Ps extends readonly AnyParam[]> = [Extract<Ps[number], { kind: "var-keyword" }>] extends [never] ? {} : { [key: string]: unknown };
type RequiredKw<Ps extends readonly AnyParam[]> = Extract<KeywordNames<Ps>, { optional: false }>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The keyword object for the parameters `Ps` (those not already given positionally). */
export type Keywords<Ps extends readonly AnyParam[], Over = {}> = Simplify<
  { [Q in RequiredKw<Ps> as Q["name"]]: InOf<Q, Over> } & { [Q in Exclude<KeywordNames<Ps>, RequiredKw<Ps>> as Q["name"]]?: InOf<Q, Over> | undefined } & VarKeywords<Ps>
>;

type HasRequiredKw<Ps extends readonly AnyParam[]> = [RequiredKw<Ps>] extends [never] ? false : true;
type Trailing<Ps extends readonly AnyParam[], Over> = [KeywordNames<Ps> | Extract<Ps[number], { kind: "var-keyword" }>] extends [never] ? [] : HasRequiredKw<Ps> extends true ? [kw: Keywords<Ps, Over>] : [kw?: Keywords<Ps, Over>];
type PosIn<Q, Over> = Q extends { optional: true } ? InOf<Q, Over> | undefined : InOf<Q, Over>;

/**
 * The argument lists a declaration accepts: any prefix of the positionals, then the keyword
 * object with the rest. `Over` replaces declared input types by name (for generic methods).
 */
export type Bound<S, Over = {}> = S extends Signature<infer Ps> ? PadAll<Prefixes<Ps, Over, []>, [unknown, ...Ps]> : never;
/**
 * Bound for each member of the union `Over`: overrides that go together, such as Pool.apply's
 * `{ args: Parameters<F>; kwds: {} } | { args: [x: number]; kwds: { scale: number } }`.
 */
export type BoundEach<S, Over> = Over extends unknown ? Bound<S, Over> : never;
/**
 * How `func(...args, kw)` can fit a function's parameters `P` when a non-empty keyword object is
 * appended to `args` (Process's `kwargs`, Pool.apply's `kwds`): `args` is a prefix of `P`, `kw`
 * fits the next parameter (one that takes an object), and the parameters after it are optional.
 * One `{ args, kw }` per way; never when no parameter takes an object.
 */
export type KeywordSplit<P extends unknown[], Done extends unknown[] = []> = number extends P["length"]
  ? { args: P; kw: unknown extends P[number] ? Record<string, unknown> : Extract<P[number], Record<string, any>> }
  : P extends []
    ? never
    : P extends [(infer H)?, ...infer Rest]
      ? ([Extract<H, Record<string, any>>] extends [never] ? never : [] extends Rest ? { args: Done; kw: Extract<H, Record<string, any>> } : never) | KeywordSplit<Rest, [...Done, H]>
      : never;
/**
 * The type of the slots past the last argument a call can take: an argument there reads
 * "Type 'string' is not assignable to type 'TooManyArguments'". Nothing but `undefined` fits.
 */
export interface TooManyArguments {
  readonly "no argument can be passed here": unique symbol;
}
/**
 * An `args` tuple for a function with parameters `P` (Process's `args`, Pool.apply's): `P` and a
 * few optional `TooManyArguments` slots, so that an argument too many reads as such (and one of
 * the wrong type as its parameter's type) rather than as "not assignable to type 'undefined'".
 */
export type ArgsFor<P extends unknown[]> = number extends P["length"] ? P : [...P, _?: TooManyArguments, _?: TooManyArguments, _?: TooManyArguments];
// Every alternative gets optional slots up to the longest one: TypeScript then gives a callback
// argument its contextual type whatever the number of arguments before it.
type PadAll<U, K extends readonly unknown[]> = U extends unknown[] ? (number extends U["length"] ? U : Pad<U, K>) : never;
type Pad<T extends unknown[], K extends readonly unknown[]> = K extends readonly [unknown, ...infer Rest] ? Pad<[...T, _?: TooManyArguments], Rest> : T;
type Prefixes<Ps extends readonly AnyParam[], Over, Done extends unknown[]> =
  | [...Done, ...Trailing<Ps, Over>]
  | (Ps extends readonly [infer H extends AnyParam, ...infer R extends readonly AnyParam[]]
      ? H extends { kind: "positional" | "positional-only" }
        ? Prefixes<R, Over, [...Done, PosIn<H, Over>]>
        : H extends { kind: "var-positional" }
          ? [...Done, ...InOf<H, Over>[]] | [...Done, ...InOf<H, Over>[], Keywords<R, Over>]
          : never
      : never);
