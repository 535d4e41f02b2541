// Helpers of the unpickler (reader.ts) that do not touch its stack: Python type names for
// messages, the escapes of the protocol-0 STRING opcode, and the swap of dicts that became Maps.

import { isTuple } from "../format.js";
import { UnpicklingError } from "./errors.js";
import { PyFloat } from "./float.js";

/** The Python type name of a value, for error messages. */
export function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  switch (typeof v) {
    case "boolean": return "bool";
    case "number": return Number.isInteger(v) ? "int" : "float";
    case "bigint": return "int";
    case "string": return "str";
  }
  if (Array.isArray(v)) return isTuple(v) ? "tuple" : "list";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  if (v instanceof PyFloat) return "float";
  if (typeof v === "function") return "type";
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return "dict";
  return (v as any).constructor?.name ?? "object";
}

export function loadKey(op: number): string {
  if (op >= 0x20 && op < 0x7f) return String.fromCharCode(op);
  return "\\x" + op.toString(16).padStart(2, "0");
}

// Python's escape_decode for the STRING opcode: \\ \' \" \n \r \t \a \b \f \v \xhh \ooo.
export function unescapeBytes(s: string): string {
  const simple: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b", f: "\f", v: "\v", "\n": "" };
  return s.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.|\n)?/g, (m, e: string | undefined) => {
    if (e === undefined) throw new UnpicklingError("Trailing \\ in string");
    if (e in simple) return simple[e]!;
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return m;
  });
}

// A dict that became a Map after a second reference to it was handed out: swap every reference
// in the result (iteratively, each container once).
export function replaceAll(root: unknown, replaced: Map<object, Map<unknown, unknown>>): unknown {
  const sub = (v: unknown): unknown => (v !== null && typeof v === "object" && replaced.has(v) ? replaced.get(v) : v);
  const seen = new Set<object>();
  const todo: unknown[] = [sub(root)];
  while (todo.length > 0) {
    const v = todo.pop();
    if (v === null || typeof v !== "object" || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) todo.push((v[i] = sub(v[i])));
    } else if (v instanceof Map) {
      for (const [k, x] of v) {
        const y = sub(x);
        if (y !== x) v.set(k, y);
        todo.push(y);
      }
    } else if (v instanceof Set || ArrayBuffer.isView(v) || v instanceof PyFloat) {
      continue;
    } else {
      for (const k of Object.keys(v)) {
        const x = (v as any)[k];
        const y = sub(x);
        if (y !== x) Object.defineProperty(v, k, { value: y, writable: true, enumerable: true, configurable: true });
        todo.push(y);
      }
      if (v instanceof Error && Array.isArray((v as any).args)) todo.push((v as any).args);
    }
  }
  return sub(root);
}

