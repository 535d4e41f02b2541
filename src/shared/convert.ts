// Per-parameter converters for shared/binder.ts: each validates a value as CPython 3.11 does
// for the same argument of the same call (the C parsers of _multiprocessing.SemLock, the
// arithmetic of Lib/multiprocessing, selectors' and threading's timeout conversions), with
// CPython's error classes and messages. JavaScript numbers stand for both int and float:
// a safe integer is an int, any other number a float; bigint is an int, boolean a bool.

import type { Converter } from "./binder.js";
import { OSError, OverflowError, TypeError, ValueError } from "./pyerrors.js";

/** Python's `type(v).__name__` for a JavaScript value. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  switch (typeof v) {
    case "number":
      return Number.isSafeInteger(v) ? "int" : "float";
    case "bigint":
      return "int";
    case "boolean":
      return "bool";
    case "string":
      return "str";
    case "function":
      return "function";
    case "symbol":
      return "symbol";
  }
  if (Array.isArray(v)) return "list";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  const proto = Object.getPrototypeOf(v);
  if (proto === null || proto === Object.prototype) return "dict";
  return (v as object).constructor?.name ?? "object";
}

/** True for what Python sees as an int (bool included). */
export function isPyInt(v: unknown): v is number | bigint | boolean {
  return (typeof v === "number" && Number.isSafeInteger(v)) || typeof v === "bigint" || typeof v === "boolean";
}

/** True for what Python sees as a real number (int, float, bool). */
function isReal(v: unknown): v is number | bigint | boolean {
  return typeof v === "number" || typeof v === "bigint" || typeof v === "boolean";
}
function toNumber(v: number | bigint | boolean): number {
  return typeof v === "number" ? v : Number(v);
}

const kIntMax = 2147483647;
/** 2**63 - 1 nanoseconds, in seconds: the largest _PyTime_t. */
const kPyTimeMaxSeconds = 9223372036.854775;

function conv<In, Out>(fn: (v: unknown) => Out): Converter<In, Out> {
  return fn as Converter<In, Out>;
}

// --- timeouts ------------------------------------------------------------------------------------
// CPython validates a timeout in three different ways, depending on the call:
//  - SemLock.acquire() (Lock, RLock, Semaphore, Condition.wait, Event.wait, Queue.put) parses a
//    float at once ("must be real number, not str"), treats negatives as 0, and fails with
//    OSError EINVAL only when it has to sleep with a deadline that does not fit (NaN, inf, huge);
//  - connection.wait() (Connection.poll, Queue.get, Process.join) adds the timeout to the clock
//    and hands it to poll() in milliseconds: TypeError, ValueError for NaN, OverflowError above
//    ~24.8 days;
//  - threading (AsyncResult.get/wait, IMapIterator.next) compares it with 0 and converts it to
//    a _PyTime_t, and only when it has to wait.

/** A timeout as SemLock.acquire() parses it: seconds or null. */
export const semTimeout = conv<number | boolean | bigint | null, number | null>((v) => {
  if (v === null || v === undefined) return null;
  if (!isReal(v)) throw new TypeError(`must be real number, not ${pyTypeName(v)}`);
  return toNumber(v);
});

/** `block` as SemLock.acquire() parses it (a C int): bools and ints, truthiness kept. */
export const semBlock = conv<boolean | number, boolean>((v) => {
  if (!isPyInt(v)) throw new TypeError(`'${pyTypeName(v)}' object cannot be interpreted as an integer`);
  return typeof v === "bigint" ? v !== 0n : Boolean(v);
});

/** Python's truth value (`if block:`). */
export const truthy = conv<unknown, boolean>((v) => {
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  if (Array.isArray(v) || v instanceof Uint8Array || typeof v === "string") return v.length > 0;
  if (typeof v === "bigint") return v !== 0n;
  return Boolean(v);
});

/**
 * Milliseconds that SemLock.acquire() sleeps at most for a parsed timeout (Infinity: forever).
 * Call it only when the call must sleep: CPython fails only then.
 * @throws OSError "[Errno 22] Invalid argument" for NaN or a deadline past 2**63 seconds.
 */
export function semWaitMs(block: boolean, timeout: number | null): number {
  if (!block) return 0;
  if (timeout === null) return Infinity;
  if (Number.isNaN(timeout) || timeout + Date.now() / 1000 >= 2 ** 63) throw new OSError(22, "Invalid argument");
  return timeout <= 0 ? 0 : timeout * 1000;
}

/** A timeout as connection.wait() uses it (`time.monotonic() + timeout`): seconds or null. */
export const pollTimeout = conv<number | boolean | bigint | null, number | null>((v) => {
  if (v === null || v === undefined) return null;
  if (!isReal(v)) throw new TypeError(`unsupported operand type(s) for +: 'float' and '${pyTypeName(v)}'`);
  return toNumber(v);
});

/**
 * Milliseconds that connection.wait() sleeps at most (Infinity: forever), with the errors of
 * selectors.PollSelector.select().
 */
export function pollWaitMs(timeout: number | null): number {
  if (timeout === null) return Infinity;
  if (Number.isNaN(timeout)) throw new ValueError("cannot convert float NaN to integer");
  if (timeout <= 0) return 0;
  if (timeout === Infinity) throw new OverflowError("cannot convert float infinity to integer");
  const ms = Math.ceil(timeout * 1000);
  if (timeout > kPyTimeMaxSeconds) throw new OverflowError("timestamp too large to convert to C _PyTime_t");
  if (ms > kIntMax) throw new OverflowError("timeout is too large");
  return ms;
}

/** A timeout as threading's waits take it, unchecked until they must wait (see threadingWaitMs). */
export const lazyTimeout = conv<number | boolean | bigint | null, unknown>((v) => v);

/**
 * Milliseconds that a threading wait (`Condition.wait(timeout)`, `Lock.acquire(True, timeout)`)
 * sleeps at most: CPython checks the timeout only when it has to wait.
 */
export function threadingWaitMs(timeout: unknown): number {
  if (timeout === null || timeout === undefined) return Infinity;
  if (!isReal(timeout)) throw new TypeError(`'>' not supported between instances of '${pyTypeName(timeout)}' and 'int'`);
  const t = toNumber(timeout);
  if (!(t > 0)) return 0; // NaN and negatives: acquire(False)
  if (t > kPyTimeMaxSeconds) {
    throw new OverflowError(isPyInt(timeout) ? "timestamp too large to convert to C _PyTime_t" : "timestamp out of range for platform time_t");
  }
  return t * 1000;
}

/**
 * A timeout as multiprocessing's Condition.wait_for() takes it (`time.monotonic() + timeout`),
 * then each wait as SemLock.acquire(): seconds or null.
 */
export const addTimeout = pollTimeout;

// --- sizes and counts -----------------------------------------------------------------------------

/** An int for a C `int` (Semaphore's value): floats refused, range checked. */
export const cInt = conv<number | boolean | bigint, number>((v) => {
  if (!isPyInt(v)) throw new TypeError(`'${pyTypeName(v)}' object cannot be interpreted as an integer`);
  const n = typeof v === "bigint" ? v : BigInt(v as number | boolean);
  if (n > BigInt(kIntMax) || n < -BigInt(kIntMax) - 1n) throw new OverflowError(`Python int too large to convert to C int`);
  return Number(n);
});

/** Queue's maxsize: `if maxsize <= 0: maxsize = SEM_VALUE_MAX`, then a BoundedSemaphore's value. */
export const queueMaxsize = conv<number | boolean | bigint, number>((v) => {
  if (!isReal(v)) throw new TypeError(`'<=' not supported between instances of '${pyTypeName(v)}' and 'int'`);
  if (toNumber(v) <= 0) return 0;
  return cInt(v);
});

/** A value compared with ints (`offset < 0`): any real number; else CPython's TypeError. */
export function comparable(op: string) {
  return conv<number | boolean | bigint, number>((v) => {
    if (!isReal(v)) throw new TypeError(`'${op}' not supported between instances of '${pyTypeName(v)}' and 'int'`);
    return toNumber(v);
  });
}
export const ltComparable = comparable("<");
/** Like ltComparable, None allowed. */
export const optLtComparable = conv<number | boolean | bigint | null, number | null>((v) => (v === null ? null : ltComparable(v)));

/**
 * send_bytes(buf, offset, size) checks of Connection.send_bytes, in CPython's order; returns the
 * byte range. `n` is the buffer's length in bytes.
 */
export function sendBytesRange(n: number, offset: number, size: number | null): [number, number] {
  if (offset < 0) throw new ValueError("offset is negative");
  if (n < offset) throw new ValueError("buffer length < offset");
  if (size === null) size = n - offset;
  else if (size < 0) throw new ValueError("size is negative");
  else if (offset + size > n) throw new ValueError("buffer length < offset + size");
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(size)) {
    throw new TypeError("slice indices must be integers or None or have an __index__ method");
  }
  return [offset, size];
}

/** Pool's `processes`: None, or an int >= 1 (checked in this order, as Pool.__init__ does). */
export const kMaxPoolProcesses = 1024;
export const poolProcesses = conv<number | boolean | bigint | null, number | null>((v) => {
  if (v === null || v === undefined) return null;
  if (!isReal(v)) throw new TypeError(`'<' not supported between instances of '${pyTypeName(v)}' and 'int'`);
  if (toNumber(v) < 1) throw new ValueError("Number of processes must be at least 1");
  if (!isPyInt(v)) throw new TypeError(`'${pyTypeName(v)}' object cannot be interpreted as an integer`);
  const n = toNumber(v);
  if (n > kMaxPoolProcesses) {
    // CPython would start them until fork() fails; threads of one process run out sooner.
    const e = new OSError(11, "Resource temporarily unavailable");
    e.message += ` (Pool(${typeof v === "bigint" ? v.toString() : n}): at most ${kMaxPoolProcesses} worker threads in one Node process)`;
    throw e;
  }
  return n;
});

/** Pool's `maxtasksperchild`: None or a positive int. */
export const maxtasksperchild = conv<number | boolean | bigint | null, number | null>((v) => {
  if (v === null || v === undefined) return null;
  if (!isPyInt(v) || toNumber(v) <= 0) throw new ValueError("maxtasksperchild must be a positive int or None");
  return toNumber(v);
});

/** The resource limits of a worker thread (Node's `Worker` option `resourceLimits`), in MB. */
export interface ResourceLimits {
  /** The main heap's maximum size, in MB. */
  maxOldGenerationSizeMb?: number;
  /** The heap space for recently created objects, in MB. */
  maxYoungGenerationSizeMb?: number;
  /** The pre-allocated memory range for generated code, in MB. */
  codeRangeSizeMb?: number;
  /** The thread's maximum stack size, in MB. */
  stackSizeMb?: number;
}

const kResourceLimitKeys = ["maxOldGenerationSizeMb", "maxYoungGenerationSizeMb", "codeRangeSizeMb", "stackSizeMb"] as const;

/**
 * Pool's `resourceLimits` (not in Python): None, or an object of Node's Worker resource limits
 * (positive numbers of MB).
 */
export const resourceLimits = conv<ResourceLimits | null, ResourceLimits | null>((v) => {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw new TypeError(`resourceLimits must be an object or None, not ${pyTypeName(v)}`);
  const out: ResourceLimits = {};
  for (const key of Object.keys(v)) {
    if (!(kResourceLimitKeys as readonly string[]).includes(key)) throw new TypeError(`resourceLimits got an unexpected key '${key}' (one of: ${kResourceLimitKeys.join(", ")})`);
    const n = (v as Record<string, unknown>)[key];
    if (typeof n !== "number" || !(n > 0) || !Number.isFinite(n)) throw new ValueError(`resourceLimits.${key} must be a positive number of MB, not ${typeof n === "number" ? String(n) : pyTypeName(n)}`);
    out[key as keyof ResourceLimits] = n;
  }
  return out;
});

const kIsliceError = "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.";

/**
 * map()'s chunksize: None, or an int. As in CPython, 0 and negatives make the result a list of
 * None at once; a float, NaN or an int past sys.maxsize is islice()'s ValueError (CPython raises it
 * in its task thread, and hangs for some of them; here it is raised by the call).
 */
export const mapChunksize = conv<number | boolean | bigint | null, number | null>((v) => {
  if (v === null || v === undefined) return null;
  if (!isReal(v)) throw new TypeError(`'<=' not supported between instances of '${pyTypeName(v)}' and 'int'`);
  if (toNumber(v) <= 0) return 0;
  if (!isPyInt(v) || (typeof v === "bigint" && v > 2n ** 63n - 1n)) throw new ValueError(kIsliceError);
  return toNumber(v);
});

/** imap()'s chunksize: an int >= 1 ("Chunksize must be 1+, not 0"). */
export const imapChunksize = conv<number | boolean | bigint, number>((v) => {
  if (!isReal(v)) throw new TypeError(`'<' not supported between instances of '${pyTypeName(v)}' and 'int'`);
  const n = toNumber(v);
  if (n < 1) throw new ValueError(`Chunksize must be 1+, not ${n}`);
  if (!isPyInt(v) || (typeof v === "bigint" && v > 2n ** 63n - 1n)) throw new ValueError(kIsliceError);
  return n;
});

/** An iterable argument: anything with Symbol.iterator; else "'int' object is not iterable". */
export function iterable<T = unknown>() {
  return conv<Iterable<T>, Iterable<T>>((v) => {
    if (v === null || v === undefined || typeof (v as any)[Symbol.iterator] !== "function") {
      throw new TypeError(`'${pyTypeName(v)}' object is not iterable`);
    }
    return v as Iterable<T>;
  });
}

/** A callable (function, or object with `__call__`) or None, else `TypeError(message)`. */
export function optCallable<F>(message: string) {
  return conv<F | null, F | null>((v) => {
    if (v === null || v === undefined) return null;
    if (typeof v !== "function" && typeof (v as any)?.__call__ !== "function") throw new TypeError(message);
    return v as F;
  });
}

/** Array()'s size_or_initializer: an int, or a sequence (anything with a length / iterable). */
export const sizeOrInitializer = conv<number | bigint | boolean | Iterable<unknown>, number | Iterable<unknown>>((v) => {
  if (typeof v === "boolean") return Number(v);
  if (typeof v === "bigint") {
    if (v > 2n ** 63n - 1n || v < -(2n ** 63n)) throw new OverflowError("cannot fit 'int' into an index-sized integer");
    return Number(v);
  }
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new TypeError("object of type 'float' has no len()");
    return v;
  }
  if (typeof v === "string") return v; // a sequence of characters ('u' arrays)
  if (v === null || v === undefined || typeof (v as any)[Symbol.iterator] !== "function") {
    throw new TypeError(`object of type '${pyTypeName(v)}' has no len()`);
  }
  return v as Iterable<unknown>;
});
