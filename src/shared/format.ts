// Python's repr() and str() of JavaScript values (Python 3.11 Objects/*object.c formatting).
// Used by print() and by every __repr__ in the library, on both sides of a worker.

import { BaseException, installFormatters } from "./pyerrors.js";
import { addressOf } from "./current.js";

/** Marks an Array that prints as a Python tuple: `(1, 2)`, `(1,)`. */
export const kTuple = Symbol.for("multiprocessing-ts.tuple");
/** Method name our objects use for Python's `__repr__`. */
export const kRepr = "__repr__";

/** Python's `tuple(...)`: an Array that prints with parentheses. */
export function tuple<T extends unknown[]>(...items: T): T {
  return markTuple(items);
}

/** Marks an existing array as a tuple, in place. */
export function markTuple<T extends unknown[]>(items: T): T {
  Object.defineProperty(items, kTuple, { value: true, enumerable: false });
  return items;
}

/** True if `v` is an Array marked as a tuple. */
export function isTuple(v: unknown): boolean {
  return Array.isArray(v) && (v as any)[kTuple] === true;
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr(bytes)`: `b'hi\x00'`. */
export function reprBytes(b: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const c of b) {
    if (c === 0x27) hasSingle = true;
    else if (c === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? '"' : "'";
  let out = "b" + quote;
  for (const c of b) {
    if (c === quote.charCodeAt(0) || c === 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c >= 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += String.fromCharCode(c);
  }
  return out + quote;
}

function reprNumber(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (Object.is(n, -0)) return "-0";
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // Python switches to exponent notation below 1e-4 and from 1e16, with two-digit exponents.
  const [mantissa, e] = n.toExponential().split("e") as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return String(n);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Python's `repr(v)` for a JavaScript value. */
export function repr(v: unknown, seen: Set<unknown> = new Set()): string {
  switch (typeof v) {
    case "undefined":
      return "None";
    case "boolean":
      return v ? "True" : "False";
    case "number":
      return reprNumber(v);
    case "bigint":
      return v.toString();
    case "string":
      return reprString(v);
    case "symbol":
      return v.toString();
    case "function":
      return v.name ? `<function ${v.name}>` : "<function <lambda>>";
  }
  if (v === null) return "None";
  const o = v as any;
  if (typeof o[kRepr] === "function") return String(o[kRepr]());
  if (seen.has(v)) return Array.isArray(v) ? "[...]" : "{...}";
  seen.add(v);
  try {
    if (Array.isArray(v)) {
      const parts = v.map((x) => repr(x, seen));
      if (o[kTuple]) return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
      return `[${parts.join(", ")}]`;
    }
    if (v instanceof Uint8Array) return reprBytes(v);
    if (v instanceof Map) {
      return `{${[...v].map(([k, x]) => `${repr(k, seen)}: ${repr(x, seen)}`).join(", ")}}`;
    }
    if (v instanceof Set) return v.size === 0 ? "set()" : `{${[...v].map((x) => repr(x, seen)).join(", ")}}`;
    if (v instanceof BaseException) return v.__repr__();
    if (v instanceof Error) return `${v.name}(${reprString(v.message)})`;
    if (ArrayBuffer.isView(v)) return `array('${typedCode(v)}', [${Array.from(v as any, (x) => repr(x, seen)).join(", ")}])`;
    if (isPlainObject(v as object)) {
      return `{${Object.entries(v as object).map(([k, x]) => `${reprString(k)}: ${repr(x, seen)}`).join(", ")}}`;
    }
    if (typeof o.toString === "function" && o.toString !== Object.prototype.toString) return String(o.toString());
    // Python's default repr: `<__main__.Task object at 0x7f…>` (the module is shown as __main__).
    return `<__main__.${o.constructor?.name ?? "object"} object at ${addressOf(o)}>`;
  } finally {
    seen.delete(v);
  }
}

function typedCode(v: ArrayBufferView): string {
  const name = v.constructor.name;
  const codes: Record<string, string> = {
    Int8Array: "b", Uint8Array: "B", Int16Array: "h", Uint16Array: "H", Int32Array: "i",
    Uint32Array: "I", BigInt64Array: "q", BigUint64Array: "Q", Float32Array: "f", Float64Array: "d",
  };
  return codes[name] ?? "B";
}

/** Python's `str(v)`: strings as they are, everything else as repr (exceptions: their message). */
export function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof BaseException) return v.message;
  if (v instanceof Error) return v.message;
  if (v !== null && typeof v === "object" && typeof (v as any).__str__ === "function") return String((v as any).__str__());
  return repr(v);
}

installFormatters(repr, str);
