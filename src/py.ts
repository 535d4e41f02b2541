// `multiprocessing-ts/py`: the few Python builtins that tutorials need (print, range, len, str,
// repr, tuple, time, os, sys) and Python's builtin exception classes.
// print() writes synchronously, so lines from many processes interleave as Python's do.

import { availableParallelism } from "node:os";
import { current } from "./shared/current.js";
import { repr as pyRepr, str as pyStr, tuple as pyTuple } from "./shared/format.js";
import { kGlobalRef, registerModule } from "./shared/reduction.js";
import { mainModuleUrl } from "./shared/bootstrapping.js";
import { sleepMs } from "./shared/semlock.js";
import { writeAllSync } from "./shared/stdio.js";
import { SystemExit, TypeError, ValueError } from "./shared/pyerrors.js";
export { ConnectionError, ConnectionRefusedError, ConnectionResetError } from "./shared/pyerrors.js";
import { isMainThread } from "node:worker_threads";
import { realpathSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { callable } from "./shared/callable.js";
import { callerUrl, entryModuleUrl, esmDistUrl } from "./shared/location.js";

export {
  AssertionError, AttributeError, BaseException, BrokenPipeError, EOFError, Exception, FileExistsError,
  FileNotFoundError, IndexError, KeyError, LookupError, NotImplementedError, OSError, OverflowError,
  RuntimeError, StopIteration, SystemExit, TypeError, ValueError,
} from "./shared/pyerrors.js";

/** A text stream as Python's sys.stdout: anything with `write(text)` (and optionally `flush()`). */
export interface TextStream {
  write(text: string): unknown;
  flush?(): unknown;
}

class FdStream implements TextStream {
  readonly #fd: number;
  constructor(fd: number) {
    this.#fd = fd;
  }
  write(text: string): number {
    writeAllSync(this.#fd, text);
    return text.length;
  }
  flush(): void {}
}

const selfUrl = esmDistUrl(callerUrl(), 0) + "py.js";
function exported<T extends object>(value: T, path: string): T {
  Object.defineProperty(value, kGlobalRef, { value: { module: selfUrl, path }, enumerable: false });
  return value;
}

/** Python's `str(x)`. */
export const str = exported((x: unknown): string => pyStr(x), "str");
/** Python's `repr(x)`. */
export const repr = exported((x: unknown): string => pyRepr(x), "repr");
/** Python's `tuple(...)`: an Array that prints as `(1, 2)`. */
export const tuple = pyTuple;
/** Python's `float(x)`: `py.float(2)` is the float 2.0 (pickles as a float, prints `2.0`). */
export { float, PyFloat } from "./shared/pickle/float.js";
export { ArithmeticError, ImportError, MemoryError, ModuleNotFoundError, NameError, PermissionError, RecursionError, ZeroDivisionError } from "./shared/pyerrors.js";

/**
 * Print the values to sys.stdout, separated by spaces, followed by a newline, in one
 * synchronous write (Python's `str()` of each value: `[0, 1]`, `True`, `None`, `'a'` in lists).
 */
export const print = exported((...values: unknown[]): void => {
  sys.stdout.write(values.map((v) => pyStr(v)).join(" ") + "\n");
}, "print");

/** Python's `len(x)`: strings, arrays, Maps, Sets, and objects with `__len__()` or `length`. */
export function len(x: unknown): number {
  if (typeof x === "string" || Array.isArray(x)) return x.length;
  if (x instanceof Map || x instanceof Set) return x.size;
  if (x !== null && typeof x === "object") {
    const o = x as any;
    if (typeof o.__len__ === "function") return o.__len__();
    if (typeof o.length === "number") return o.length;
    if (typeof o.size === "number") return o.size;
  }
  const name = x === null || x === undefined ? "NoneType" : typeof x === "number" ? (Number.isInteger(x) ? "int" : "float") : (x as any)?.constructor?.name ?? typeof x;
  throw new TypeError(`object of type '${name}' has no len()`);
}

/** Python's `range(stop)` / `range(start, stop[, step])`: a lazy, re-iterable sequence of integers. */
class Range implements Iterable<number> {
  readonly start: number;
  readonly stop: number;
  readonly step: number;
  constructor(start: number, stop?: number, step: number = 1) {
    if (stop === undefined) [start, stop] = [0, start];
    for (const v of [start, stop, step]) {
      if (!Number.isInteger(v)) throw new TypeError(`'${typeof v === "number" ? "float" : typeof v}' object cannot be interpreted as an integer`);
    }
    if (step === 0) throw new ValueError("range() arg 3 must not be zero");
    this.start = start;
    this.stop = stop;
    this.step = step;
  }
  /** The number of values. */
  get length(): number {
    const n = Math.ceil((this.stop - this.start) / this.step);
    return n > 0 ? n : 0;
  }
  __len__(): number {
    return this.length;
  }
  *[Symbol.iterator](): Iterator<number> {
    if (this.step > 0) for (let i = this.start; i < this.stop; i += this.step) yield i;
    else for (let i = this.start; i > this.stop; i += this.step) yield i;
  }
  /** `range(0, 10)`. */
  __repr__(): string {
    return this.step === 1 ? `range(${this.start}, ${this.stop})` : `range(${this.start}, ${this.stop}, ${this.step})`;
  }
  toString(): string {
    return this.__repr__();
  }
}
Object.defineProperty(Range, "name", { value: "range" });
/** Python's `range(stop)` / `range(start, stop[, step])`, with or without `new`. */
export const range = callable(Range);
export type range = Range;

/** Python's `time` module: `sleep` blocks this thread only. */
export const time = exported({
  /** Suspend the calling process for `seconds` (floats allowed). */
  sleep: (seconds: number): void => {
    if (typeof seconds !== "number" || Number.isNaN(seconds)) throw new TypeError("'NoneType' object cannot be interpreted as an integer");
    if (seconds < 0) throw new ValueError("sleep length must be non-negative");
    sleepMs(seconds * 1000);
  },
  /** Seconds since the epoch, as a float. */
  time: (): number => Date.now() / 1000,
  /** Seconds of a monotonic clock, comparable across processes. */
  monotonic: (): number => performance.timeOrigin / 1000 + performance.now() / 1000,
  /** The highest-resolution monotonic clock, in seconds. */
  perf_counter: (): number => performance.timeOrigin / 1000 + performance.now() / 1000,
}, "time");
exported(time.sleep, "time.sleep");

/** Python's `os` module: the process ids and the CPU count. */
export const os = exported({
  /** This process's id: equal to `current_process().pid`, distinct per child. */
  getpid: (): number => current().pid,
  /** The parent's id. */
  getppid: (): number => (globalThis as any)[Symbol.for("multiprocessing-ts.parentPid")] ?? process.ppid,
  /** The number of CPUs. */
  cpu_count: (): number => availableParallelism(),
}, "os");

/** Turns a SystemExit code into an exit status as the OS reports it (0-255). */
export function exitStatusOf(code: unknown, stderr: TextStream): number {
  if (code === null || code === undefined || code === false) return 0;
  if (code === true) return 1;
  if (typeof code === "number" && Number.isInteger(code)) return code & 0xff;
  if (typeof code === "bigint") return Number(code & 0xffn);
  stderr.write(pyStr(code) + "\n");
  return 1;
}

/** Python's `sys` module: `exit`, and the replaceable `stdout` / `stderr` streams. */
export const sys = exported({
  /** The stream print() writes to; replace it with any object that has `write(text)`. */
  stdout: new FdStream(1) as TextStream,
  /** The stream tracebacks and `sys.exit("message")` write to. */
  stderr: new FdStream(2) as TextStream,
  /** The command line arguments. */
  argv: process.argv.slice(1),
  /**
   * Exit the process: `exit()` / `exit(0)` / `exit(null)` → 0, `exit(n)` → n, `exit("msg")` →
   * the message on stderr and 1. In a child it raises SystemExit (finally blocks run).
   */
  exit: (code?: unknown): never => {
    if (current().isChild || !isMainThread) throw new SystemExit(...(code === undefined ? [] : [code]));
    const status = exitStatusOf(code, sys.stderr);
    sys.stdout.flush?.();
    sys.stderr.flush?.();
    process.exit(status);
  },
}, "sys");
exported(sys.exit, "sys.exit");
// Every function of time, os and sys travels by reference too (`pool.apply_async(os.getpid)`).
for (const [name, ns] of [["time", time], ["os", os], ["sys", sys]] as const) {
  for (const [k, v] of Object.entries(ns)) if (typeof v === "function" && !Object.hasOwn(v, kGlobalRef)) exported(v, `${name}.${k}`);
}
exported(len, "len");
exported(range, "range");
// Receivers find these by the ESM URL of this file, whichever build sent them.
registerModule(selfUrl, { str, repr, print, len, range, time, os, sys });

/**
 * Python's `__name__` of the calling module: `__name__(import.meta)` (CommonJS: `__name__(module)`)
 * is `"__main__"` in the program's entry module, `"__mp_main__"` when a child re-imported that
 * module (as Python's spawn names it), else the module's file name without its extension.
 */
export function __name__(meta: ImportMeta | { filename?: string; id?: string }): string {
  const m = meta as any;
  let url: string | null = typeof m?.url === "string" ? m.url.replace(/[?#].*$/, "") : typeof m?.filename === "string" ? pathToFileURL(m.filename).href : null;
  if (url === null) throw new TypeError("__name__() takes import.meta (or a CommonJS module)");
  try {
    url = pathToFileURL(realpathSync(fileURLToPath(url))).href;
  } catch {
    // keep url as it is
  }
  if (isMainThread && !current().isChild) {
    if (url === entryModuleUrl()) return "__main__";
  } else if (url === mainModuleUrl()) return "__mp_main__";
  const base = url.slice(url.lastIndexOf("/") + 1);
  return base.replace(/\.[^.]*$/, "");
}
exported(__name__, "__name__");
