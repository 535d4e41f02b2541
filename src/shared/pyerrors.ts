// Python's builtin exception classes, as real JavaScript classes.
// Lives in shared/ because both sides throw them; `multiprocessing-ts/py` re-exports them.
// The class objects are kept on globalThis so that the ESM and CommonJS builds loaded into one
// thread hand out the same classes (an `instanceof` check works whichever build threw).

const kRegistry = Symbol.for("multiprocessing-ts.pyerrors");

/** The base of the exceptions this library throws: `str(e)` is `message`, `repr(e)` is Python's. */
export class BaseException extends Error {
  /** Python's `e.args`. */
  args: unknown[];
  constructor(...args: unknown[]) {
    super(args.length === 0 ? "" : args.length === 1 ? pyStrArg(args[0]) : pyTupleText(args));
    this.args = args;
    Object.defineProperty(this, "name", { value: new.target.name, enumerable: false, configurable: true, writable: true });
  }
  /** Python's `repr(e)`: `ValueError('boom')`. */
  __repr__(): string {
    return `${this.name}(${this.args.map((a) => pyReprArg(a)).join(", ")})`;
  }
  /** Python's `str(e)`. */
  override toString(): string {
    return this.message;
  }
}

// Set by py/format.ts when it loads (it imports this module, not the other way round).
let pyReprArg: (v: unknown) => string = (v) => (typeof v === "string" ? `'${v}'` : String(v));
let pyStrArg: (v: unknown) => string = (v) => String(v);
let pyTupleText: (v: unknown[]) => string = (v) => `(${v.map((x) => pyReprArg(x)).join(", ")})`;
/** @internal wires Python's repr/str into exception messages. */
export function installFormatters(repr: (v: unknown) => string, str: (v: unknown) => string): void {
  pyReprArg = repr;
  pyStrArg = str;
  pyTupleText = (v) => repr(Object.assign([...v], { [Symbol.for("multiprocessing-ts.tuple")]: true }));
}

function define<T extends abstract new (...a: any[]) => any>(name: string, make: () => T): T {
  const reg: Record<string, T> = ((globalThis as any)[kRegistry] ??= {});
  return (reg[name] ??= make());
}

/** `Exception`: the base of all non-exit exceptions. */
export const Exception = define("Exception", () => class Exception extends BaseException {});
export type Exception = InstanceType<typeof Exception>;
/** `ValueError`. */
export const ValueError = define("ValueError", () => class ValueError extends Exception {});
export type ValueError = InstanceType<typeof ValueError>;
/** `TypeError` (Python's, not the JS global). */
export const TypeError = define("TypeError", () => class TypeError extends Exception {});
export type TypeError = InstanceType<typeof TypeError>;
/** `AssertionError`. */
export const AssertionError = define("AssertionError", () => class AssertionError extends Exception {});
export type AssertionError = InstanceType<typeof AssertionError>;
/** `RuntimeError`. */
export const RuntimeError = define("RuntimeError", () => class RuntimeError extends Exception {});
export type RuntimeError = InstanceType<typeof RuntimeError>;
/** `NotImplementedError`. */
export const NotImplementedError = define("NotImplementedError", () => class NotImplementedError extends RuntimeError {});
export type NotImplementedError = InstanceType<typeof NotImplementedError>;
/** `OSError`: `OSError(errno, strerror)` reads `[Errno 32] Broken pipe`. */
export const OSError = define(
  "OSError",
  () =>
    class OSError extends Exception {
      errno: number | null;
      strerror: string | null;
      constructor(...args: unknown[]) {
        super(...args);
        this.errno = null;
        this.strerror = null;
        if (args.length >= 2 && typeof args[0] === "number") {
          this.errno = args[0];
          this.strerror = String(args[1]);
          this.message = `[Errno ${args[0]}] ${args[1]}` + (args.length >= 3 ? `: ${pyReprArg(args[2])}` : "");
        }
      }
    },
);
export type OSError = InstanceType<typeof OSError>;
/** `BrokenPipeError`. */
export const BrokenPipeError = define("BrokenPipeError", () => class BrokenPipeError extends OSError {});
export type BrokenPipeError = InstanceType<typeof BrokenPipeError>;
/** `FileExistsError`. */
/** `ConnectionError`: base of the connection-related OSErrors. */
export const ConnectionError = define("ConnectionError", () => class ConnectionError extends OSError {});
export type ConnectionError = InstanceType<typeof ConnectionError>;
/** `ConnectionRefusedError`: `[Errno 111] Connection refused`. */
export const ConnectionRefusedError = define("ConnectionRefusedError", () => class ConnectionRefusedError extends ConnectionError {});
export type ConnectionRefusedError = InstanceType<typeof ConnectionRefusedError>;

/** `ConnectionResetError`: `[Errno 104] Connection reset by peer`. */
export const ConnectionResetError = define("ConnectionResetError", () => class ConnectionResetError extends ConnectionError {});
export type ConnectionResetError = InstanceType<typeof ConnectionResetError>;

export const FileExistsError = define("FileExistsError", () => class FileExistsError extends OSError {});
export type FileExistsError = InstanceType<typeof FileExistsError>;
/** `FileNotFoundError`. */
export const FileNotFoundError = define("FileNotFoundError", () => class FileNotFoundError extends OSError {});
export type FileNotFoundError = InstanceType<typeof FileNotFoundError>;
/** `EOFError`. */
export const EOFError = define("EOFError", () => class EOFError extends Exception {});
export type EOFError = InstanceType<typeof EOFError>;
/** `LookupError`. */
export const LookupError = define("LookupError", () => class LookupError extends Exception {});
export type LookupError = InstanceType<typeof LookupError>;
/** `IndexError`. */
export const IndexError = define("IndexError", () => class IndexError extends LookupError {});
export type IndexError = InstanceType<typeof IndexError>;
/** `KeyError`: `str(e)` keeps the quotes, as in Python. */
export const KeyError = define(
  "KeyError",
  () =>
    class KeyError extends LookupError {
      constructor(...args: unknown[]) {
        super(...args);
        if (args.length === 1) this.message = pyReprArg(args[0]);
      }
    },
);
export type KeyError = InstanceType<typeof KeyError>;
/** `AttributeError`. */
export const AttributeError = define("AttributeError", () => class AttributeError extends Exception {});
export type AttributeError = InstanceType<typeof AttributeError>;
/** `OverflowError`. */
export const OverflowError = define("OverflowError", () => class OverflowError extends Exception {});
export type OverflowError = InstanceType<typeof OverflowError>;
/** `ArithmeticError` (so that a CPython peer's arithmetic errors unpickle). */
export const ArithmeticError = define("ArithmeticError", () => class ArithmeticError extends Exception {});
export type ArithmeticError = InstanceType<typeof ArithmeticError>;
/** `ZeroDivisionError`. */
export const ZeroDivisionError = define("ZeroDivisionError", () => class ZeroDivisionError extends ArithmeticError {});
export type ZeroDivisionError = InstanceType<typeof ZeroDivisionError>;
/** `NameError`. */
export const NameError = define("NameError", () => class NameError extends Exception {});
export type NameError = InstanceType<typeof NameError>;
/** `PermissionError`. */
export const PermissionError = define("PermissionError", () => class PermissionError extends OSError {});
export type PermissionError = InstanceType<typeof PermissionError>;
/** `ImportError`. */
export const ImportError = define("ImportError", () => class ImportError extends Exception {});
export type ImportError = InstanceType<typeof ImportError>;
/** `ModuleNotFoundError`. */
export const ModuleNotFoundError = define("ModuleNotFoundError", () => class ModuleNotFoundError extends ImportError {});
export type ModuleNotFoundError = InstanceType<typeof ModuleNotFoundError>;
/** `MemoryError`. */
export const MemoryError = define("MemoryError", () => class MemoryError extends Exception {});
export type MemoryError = InstanceType<typeof MemoryError>;
/** `RecursionError`. */
export const RecursionError = define("RecursionError", () => class RecursionError extends RuntimeError {});
export type RecursionError = InstanceType<typeof RecursionError>;
/** `StopIteration`. */
export const StopIteration = define("StopIteration", () => class StopIteration extends Exception {});
export type StopIteration = InstanceType<typeof StopIteration>;
/** `SystemExit`: thrown by `sys.exit()` inside a child; the bootstrap turns it into the exit code. */
export const SystemExit = define(
  "SystemExit",
  () =>
    class SystemExit extends BaseException {
      code: unknown;
      constructor(...args: unknown[]) {
        super(...args);
        this.code = args.length === 0 ? null : args[0];
      }
    },
);
export type SystemExit = InstanceType<typeof SystemExit>;
/** `struct.error` (raised by ShareableList for an int outside int64; its `__name__` is `error`). */
export const StructError = define("struct.error", () => class error extends Exception {});
export type StructError = InstanceType<typeof StructError>;
