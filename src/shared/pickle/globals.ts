// The allowlist of globals the unpickler may name (CPython's Unpickler.find_class, restricted as
// the "Restricting Globals" section of Python's pickle docs recommends), and the reducers the
// pickler uses for JavaScript values that Python writes through a global (exceptions, sets and
// bytes below protocol 4/3). Nothing here ever imports a module: a global is a table entry.

import { BaseException } from "../pyerrors.js";
import { PickleError, UnpicklingError } from "./errors.js";
import { float } from "./float.js";

/**
 * What a global means on both sides. Every member is optional: give what your type needs.
 */
export interface GlobalHandlers {
  /** The JavaScript value the bare global stands for when a pickle names it without calling it. */
  value?: unknown;
  /** REDUCE (and INST/OBJ): `global(*args)`; returns the rebuilt object. */
  call?(args: unknown[]): unknown;
  /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args, **kwargs)`; defaults to `call(args)`. */
  newobj?(args: unknown[], kwargs: Record<string, unknown>): unknown;
  /** BUILD: `obj.__setstate__(state)`; the default copies a dict state into own properties. */
  setstate?(obj: any, state: unknown): void;
  /** For dumps: the JavaScript class whose instances pickle through this global. */
  type?: abstract new (...args: any[]) => unknown;
  /**
   * For dumps: how an instance of `type` reduces: the call's arguments, an optional state for
   * BUILD, and `newobj: true` to write NEWOBJ (`cls.__new__(cls, *args)`) instead of REDUCE.
   */
  reduce?(obj: any): { args: unknown[]; state?: unknown; newobj?: boolean };
}

/** One allowlisted global. */
export interface GlobalEntry {
  readonly module: string;
  readonly name: string;
  readonly handlers: GlobalHandlers;
  /** What the reader pushes for the global. */
  readonly value: unknown;
}

/** The marker pushed for a global that has no JavaScript value of its own (`builtins.set`). */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {
    Object.freeze(this);
  }
  __repr__(): string {
    return `<global '${this.module}.${this.name}'>`;
  }
  /** The entry to write this global again. */
  entry(): GlobalEntry {
    return { module: this.module, name: this.name, handlers: {}, value: this };
  }
}

/**
 * A builtin type received as a value (`conn.send([2.25, None, 'junk', float])` in Python): prints
 * as Python does (`<class 'float'>`) and pickles back to the same global. `py.float` pickles as
 * `builtins.float` too, so a Node sender can write the type as Python does.
 *
 * Differs from Python: a marker object, not a callable type (JavaScript has no such values).
 */
export class PyBuiltinType extends PickleGlobal {
  constructor(name: string) {
    super("builtins", name);
  }
  override __repr__(): string {
    return `<class '${this.name}'>`;
  }
  toString(): string {
    return this.__repr__();
  }
}

/**
 * The builtin types a pickle may name as plain values: data types only. Nothing here runs code:
 * a bare type is a marker, and only `float`, `set`, `frozenset`, `bytes` and `bytearray` may be
 * called (on data), as before.
 */
const BUILTIN_TYPES = new Set("bool bytearray bytes complex dict float frozenset int list object range set slice str tuple type".split(" "));

const kState = Symbol.for("multiprocessing-ts.pickle.globals");
interface State {
  byName: Map<string, GlobalEntry>;
  byValue: Map<unknown, GlobalEntry>;
  byType: Map<Function, GlobalEntry>;
}
const state: State = ((globalThis as any)[kState] ??= { byName: new Map(), byValue: new Map(), byType: new Map() });

/** Python 3.11's builtin exception names (the classes of src/shared/pyerrors.ts are a subset). */
export const BUILTIN_EXCEPTIONS = new Set(
  ("ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError BrokenPipeError " +
    "BufferError BytesWarning ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError " +
    "ConnectionResetError DeprecationWarning EOFError EncodingWarning EnvironmentError Exception ExceptionGroup " +
    "FileExistsError FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError ImportError " +
    "ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError KeyboardInterrupt " +
    "LookupError MemoryError ModuleNotFoundError NameError NotADirectoryError NotImplementedError OSError " +
    "OverflowError PendingDeprecationWarning PermissionError ProcessLookupError RecursionError ReferenceError " +
    "ResourceWarning RuntimeError RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning " +
    "SystemError SystemExit TabError TimeoutError TypeError UnboundLocalError UnicodeDecodeError " +
    "UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning " +
    "ZeroDivisionError").split(" "),
);
/** The names Python 2's `exceptions` module had (protocol 2 writes `exceptions.X` for these). */
const PY2_EXCEPTIONS = new Set(
  ("ArithmeticError AssertionError AttributeError BaseException BufferError BytesWarning DeprecationWarning " +
    "EOFError EnvironmentError Exception FloatingPointError FutureWarning GeneratorExit IOError ImportError " +
    "ImportWarning IndentationError IndexError KeyError KeyboardInterrupt LookupError MemoryError NameError " +
    "NotImplementedError OSError OverflowError PendingDeprecationWarning ReferenceError RuntimeError " +
    "RuntimeWarning StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError TypeError " +
    "UnboundLocalError UnicodeDecodeError UnicodeEncodeError UnicodeError UnicodeTranslateError UnicodeWarning " +
    "UserWarning ValueError Warning ZeroDivisionError").split(" "),
);

const PY3_OSERRORS = new Set(
  ("BrokenPipeError ChildProcessError ConnectionAbortedError ConnectionError ConnectionRefusedError " +
    "ConnectionResetError FileExistsError FileNotFoundError InterruptedError IsADirectoryError " +
    "NotADirectoryError PermissionError ProcessLookupError TimeoutError").split(" "),
);

/** The builtin exception classes this library has (pyerrors' registry, whichever build made them). */
function pyErrorClass(name: string): (new (...a: unknown[]) => BaseException) | undefined {
  if (!BUILTIN_EXCEPTIONS.has(name)) return undefined;
  const reg = (globalThis as any)[Symbol.for("multiprocessing-ts.pyerrors")] as Record<string, any> | undefined;
  const cls = reg && Object.hasOwn(reg, name) ? reg[name] : undefined;
  // No instanceof BaseException: the ESM and CommonJS builds each have their own BaseException,
  // and the shared classes extend whichever build defined them first.
  return typeof cls === "function" ? cls : undefined;
}

/** Copies a dict state into own properties, never through a setter or a prototype. */
export function setAttributes(obj: object, st: unknown): void {
  const entries: Iterable<[unknown, unknown]> =
    st instanceof Map ? st : st !== null && typeof st === "object" && !Array.isArray(st) && Object.getPrototypeOf(st) === Object.prototype ? Object.entries(st) : (null as any);
  if (entries === null) throw new UnpicklingError("state is not a dictionary");
  for (const [k, v] of entries) {
    if (typeof k !== "string") throw new UnpicklingError("attribute name must be string");
    Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
  }
}

function exceptionHandlers(cls: new (...a: unknown[]) => BaseException): GlobalHandlers {
  return {
    value: cls,
    call: (args) => new cls(...args),
    newobj: (args) => new cls(...args),
    setstate: (obj, st) => {
      // BaseException.__setstate__ with (None or) a dict of attributes.
      if (st === null) return;
      setAttributes(obj, st);
    },
  };
}

function bytesArg(what: string, args: unknown[]): Buffer {
  if (args.length === 0) return Buffer.alloc(0);
  const [src, encoding] = args;
  if (src instanceof Uint8Array && args.length === 1) return Buffer.from(src);
  if (typeof src === "string" && (args.length === 1 || typeof encoding === "string")) return encodeText(src, args.length === 1 ? "latin-1" : (encoding as string));
  throw new UnpicklingError(`${what}() arguments from this pickle are not supported (only bytes, or a str with an encoding)`);
}

function encodeText(s: string, encoding: string): Buffer {
  const enc = encoding.toLowerCase().replace(/_/g, "-");
  if (enc === "latin1" || enc === "latin-1" || enc === "iso-8859-1" || enc === "ascii") {
    const limit = enc === "ascii" ? 0x7f : 0xff;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > limit) throw new UnpicklingError(`'${enc === "ascii" ? "ascii" : "latin-1"}' codec can't encode character in position ${i}: ordinal not in range(${limit + 1})`);
    }
    return Buffer.from(s, "latin1");
  }
  if (enc === "utf-8" || enc === "utf8") return Buffer.from(s, "utf8");
  throw new UnpicklingError(`encoding '${encoding}' is not allowed in a pickle (latin-1, ascii or utf-8)`);
}

function builtinEntry(module: string, name: string): GlobalEntry | undefined {
  if (module === "builtins") {
    const cls = pyErrorClass(name);
    if (cls) return makeEntry(module, name, exceptionHandlers(cls));
    if (!BUILTIN_TYPES.has(name)) return undefined;
    const value = builtinType(name);
    if (name === "set" || name === "frozenset") return makeEntry(module, name, { value, call: (args) => new Set(iterArg(name, args)) });
    if (name === "bytearray" || name === "bytes") return makeEntry(module, name, { value, call: (args) => bytesArg(name, args) });
    if (name === "float") return makeEntry(module, name, { value, call: (args) => (args.length === 0 ? float() : float(args[0])) });
    return makeEntry(module, name, { value });
  }
  if (module === "_codecs" && name === "encode") {
    return makeEntry(module, name, {
      call: (args) => {
        if (typeof args[0] !== "string") throw new UnpicklingError("_codecs.encode() argument 1 must be str");
        return encodeText(args[0], args.length > 1 ? String(args[1]) : "utf-8");
      },
    });
  }
  return undefined;
}

const builtinTypes = new Map<string, PyBuiltinType>();
/** The marker of builtin type `name` (one per name). */
function builtinType(name: string): PyBuiltinType {
  let t = builtinTypes.get(name);
  if (t === undefined) builtinTypes.set(name, (t = new PyBuiltinType(name)));
  return t;
}

function iterArg(name: string, args: unknown[]): Iterable<unknown> {
  if (args.length === 0) return [];
  const a = args[0];
  if (Array.isArray(a) || a instanceof Set) return a;
  throw new UnpicklingError(`${name}() argument from this pickle must be a list, tuple or set`);
}

const entries = new Map<string, GlobalEntry>();
// Entries of the `globals` option of loads(), per handlers object and per value pushed.
const extraEntries = new WeakMap<GlobalHandlers, GlobalEntry>();
const extraByValue = new WeakMap<object, GlobalEntry>();
function makeEntry(module: string, name: string, handlers: GlobalHandlers): GlobalEntry {
  const key = module + "\n" + name;
  let e = entries.get(key);
  if (e === undefined) {
    e = Object.freeze({ module, name, handlers, value: handlers.value ?? new PickleGlobal(module, name) });
    entries.set(key, e);
    if (typeof e.value === "object" || typeof e.value === "function") state.byValue.set(e.value, e);
  }
  return e;
}

/** Python 2 builtins that protocol 0-2 pickles name, and their Python 3 names (as fix_imports). */
const PY2_BUILTIN_NAMES: Record<string, string> = { __proto__: null as any, long: "int", unicode: "str", xrange: "range" };

/** Python 3's names for the modules and names a protocol 0-2 pickle may use (fix_imports). */
function fixImports(module: string, name: string): [string, string] {
  if (module === "__builtin__") return ["builtins", PY2_BUILTIN_NAMES[name] ?? name];
  if (module === "exceptions") return ["builtins", name === "StandardError" ? "Exception" : name];
  if (module === "copy_reg") return ["copyreg", name];
  return [module, name];
}

/**
 * Looks a global up in the allowlist: the builtins' exceptions this library has, the builtin data
 * types (`float`, `int`, `str`, `set`, `bytes`, ... as PyBuiltinType markers; `float`, `set`,
 * `frozenset`, `bytes`, `bytearray` callable on data), `_codecs.encode`, what `registerGlobal`
 * added, then `extra`.
 * @throws UnpicklingError "global 'os.system' is forbidden" for anything else.
 */
export function findGlobal(module: string, name: string, proto: number, extra?: Record<string, GlobalHandlers>): GlobalEntry {
  if (proto < 3) [module, name] = fixImports(module, name);
  const key = module + "\n" + name;
  const registered = state.byName.get(key);
  if (registered) return registered;
  const dotted = `${module}.${name}`;
  if (extra && Object.hasOwn(extra, dotted)) {
    const h = extra[dotted]!;
    let e = extraEntries.get(h);
    if (e === undefined || e.module !== module || e.name !== name) {
      e = Object.freeze({ module, name, handlers: h, value: h.value ?? h.type ?? new PickleGlobal(module, name) });
      extraEntries.set(h, e);
    }
    if (typeof e.value === "object" || typeof e.value === "function") extraByValue.set(e.value as object, e);
    return e;
  }
  const builtin = builtinEntry(module, name);
  if (builtin) return builtin;
  throw new UnpicklingError(`global '${dotted}' is forbidden`);
}

/** The entry whose value the reader pushed (to call it), or undefined. */
export function entryOfValue(value: unknown): GlobalEntry | undefined {
  const e = state.byValue.get(value);
  if (e) return e;
  // A value can only be on the unpickler's stack through findGlobal, so an entry of the
  // `globals` option of an earlier call is never reached from a call without it.
  const x = value !== null && (typeof value === "object" || typeof value === "function") ? extraByValue.get(value) : undefined;
  if (x) return x;
  if (typeof value === "function" && pyErrorClass(value.name) === value) {
    return builtinEntry("builtins", value.name);
  }
  // py.float, the library's spelling of Python's float type, pickles as `builtins.float`.
  if (value === float) return builtinEntry("builtins", "float");
  return undefined;
}

/** The registered global whose `type` is the value's class, for dumps. */
export function entryOfInstance(obj: object): GlobalEntry | undefined {
  return state.byType.size === 0 ? undefined : state.byType.get(obj.constructor as Function);
}

/** The builtin exception class of an instance (its exact class), for dumps. */
export function builtinExceptionOf(obj: object): string | undefined {
  const ctor = obj.constructor as Function | undefined;
  return typeof ctor === "function" && pyErrorClass(ctor.name) === ctor ? ctor.name : undefined;
}

/** True for an instance of a Python exception class of this library (of either build). */
export function isPyException(e: unknown): e is BaseException {
  return e instanceof Error && Array.isArray((e as any).args);
}

/**
 * Names of a global as protocol 2 writes them with fix_imports: `exceptions.ValueError`,
 * `__builtin__.set`; Python-3-only OSError subclasses become `exceptions.OSError`.
 */
export function py2Name(module: string, name: string): [string, string] {
  if (module !== "builtins") return [module, name];
  if (PY2_EXCEPTIONS.has(name)) return ["exceptions", name];
  if (PY3_OSERRORS.has(name)) return ["exceptions", "OSError"];
  if (name === "ModuleNotFoundError") return ["exceptions", "ImportError"];
  return ["__builtin__", name];
}

/**
 * Adds a global to the allowlist, with how it is rebuilt (`call`, `newobj`, `setstate`) and,
 * optionally, how instances of a JavaScript class pickle through it (`type` + `reduce`).
 * Later modules use it for `multiprocessing.managers.Token` and `RemoteError`.
 * @throws PickleError when the global is already registered with other handlers.
 */
export function registerGlobal(module: string, name: string, handlers: GlobalHandlers): void {
  const key = module + "\n" + name;
  const prev = state.byName.get(key);
  if (prev && prev.handlers !== handlers) {
    // The same module loaded twice (ESM + CommonJS builds): keep the first, pickle both classes.
    if (prev.handlers.type?.name === handlers.type?.name) {
      if (handlers.type) state.byType.set(handlers.type, { ...prev, handlers: { ...prev.handlers, reduce: handlers.reduce } });
      return;
    }
    throw new PickleError(`global '${module}.${name}' is already registered`);
  }
  const entry: GlobalEntry = Object.freeze({ module, name, handlers, value: handlers.value ?? handlers.type ?? new PickleGlobal(module, name) });
  state.byName.set(key, entry);
  if (typeof entry.value === "object" || typeof entry.value === "function") state.byValue.set(entry.value, entry);
  if (handlers.type) state.byType.set(handlers.type, entry);
}
