// Part of the shared_memory module: how its constructors bind arguments (Python's signature
// binding: positionals, then one trailing options object) and Python's type names for errors.

import { TypeError } from "../shared/pyerrors.js";

/** True for a plain object: the trailing options object of a call. */
export function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Binds positionals and a trailing options object as Python binds `f(a, b, *, kw)`. */
export function bindArgs(
  fn: string,
  names: readonly string[],
  keywordOnly: readonly string[],
  args: unknown[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--; // f(a, undefined) is f(a)
  args = args.slice(0, end);
  let positional = args;
  if (args.length > 0 && isOptions(args[args.length - 1])) {
    positional = args.slice(0, -1);
    const opts = args[args.length - 1] as Record<string, unknown>;
    for (const k of Object.keys(opts)) {
      if (!names.includes(k) && !keywordOnly.includes(k)) throw new TypeError(`${fn}() got an unexpected keyword argument '${k}'`);
      const i = names.indexOf(k);
      if (i >= 0 && i < positional.length) throw new TypeError(`${fn}() got multiple values for argument '${k}'`);
      out[k] = opts[k];
    }
  }
  if (positional.length > names.length) {
    throw new TypeError(`${fn}() takes from 1 to ${names.length + 1} positional arguments but ${positional.length + 1} were given`);
  }
  positional.forEach((v, i) => (out[names[i]!] = v));
  return out;
}

/** `type(v).__name__` for the JavaScript values that stand for Python's. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  switch (typeof v) {
    case "number":
      return Number.isInteger(v) ? "int" : "float";
    case "bigint":
      return "int";
    case "boolean":
      return "bool";
    case "string":
      return "str";
    case "function":
      return "function";
  }
  if (Array.isArray(v)) return "list";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Map) return "dict";
  if (v instanceof Set) return "set";
  if (isOptions(v)) return "dict";
  return (v as object).constructor?.name ?? "object";
}

